// Today's release on a store an older one wrote: test/fixtures/old-store/ holds a DATA_DIR made by
// an earlier commit (manifest.json says which, and make.sh how), with an app that release
// registered and an account it made. Started on a copy, linkid migrates it, the app's secret still
// works (it is derived from the old release's server secret), and the person signs in as the same
// account. `migrate --dry-run` first says what the start will change, and changes nothing.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClientView } from '../../src/admin/clients.js';
import { linkidAdmin } from '../support/admin-cli.js';
import { Browser } from '../support/browser.js';
import { TEST_MONGODB_URI } from '../support/linkid.js';
import { RelyingParty } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/old-store');
const manifest = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'manifest.json'), 'utf8')) as {
  commit: string;
  schemaVersion: string;
  client: Pick<ClientView, 'client_id' | 'client_secret' | 'redirect_uris' | 'token_endpoint_auth_method'>;
  account: { email: string; sub: string };
};

const { start } = useLinkid();

const digestOf = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe.skipIf(TEST_MONGODB_URI)(`a store written by an older release (${manifest.commit.slice(0, 7)}, ${manifest.schemaVersion})`, () => {
  it('is previewed by migrate --dry-run, migrated at start, and its app and account sign in as before', { timeout: 60_000 }, async () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-upgrade-'));
    const dataDir = path.join(scratch, 'data');
    const keysDir = path.join(scratch, 'keys');
    fs.mkdirSync(dataDir, { mode: 0o700 });
    fs.copyFileSync(path.join(FIXTURE, 'linkid.sqlite'), path.join(dataDir, 'linkid.sqlite'));
    fs.cpSync(path.join(FIXTURE, 'keys'), keysDir, { recursive: true });

    // The preview runs on the old file as it is, before anything opened it as a store.
    const before = digestOf(path.join(dataDir, 'linkid.sqlite'));
    const plan = JSON.parse(await linkidAdmin({ dataDir, config: {} }, ['migrate', '--dry-run'], { KEYS_DIR: keysDir })) as {
      current: string;
      target: string;
      migrations: { version: number }[];
    };
    expect(plan.current).toBe(manifest.schemaVersion);
    const oldVersion = Number(manifest.schemaVersion.split(':')[1]);
    const newVersion = Number(plan.target.split(':')[1]);
    expect(newVersion).toBeGreaterThan(oldVersion);
    expect(plan.migrations.map((migration) => migration.version)).toEqual(Array.from({ length: newVersion - oldVersion }, (_, i) => oldVersion + i + 1));
    expect(digestOf(path.join(dataDir, 'linkid.sqlite'))).toBe(before);

    const linkid = await start({ dataDir, env: { KEYS_DIR: keysDir } });
    expect(linkid.store.schemaVersion).toBe(plan.target);
    const listed = (await linkid.services.admin.clients.list()).map((client) => client.client_id);
    expect(listed).toContain(manifest.client.client_id);

    const app = await RelyingParty.discover(linkid.issuer, manifest.client as ClientView);
    const { tokens } = await signIn(new Browser(), linkid, app, manifest.account.email);
    expect(tokens.claims()).toMatchObject({ sub: manifest.account.sub, email: manifest.account.email, email_verified: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  });
});
