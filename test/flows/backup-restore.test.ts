// Backups that restore: `linkid-admin backup FILE` copies the SQLite store while linkid serves
// sign-ins, `restore FILE` puts it into a fresh DATA_DIR, and a person signs in there as the same
// account with the same app (the keys come along in KEYS_DIR). Every bad file or path is one line
// and a non-zero exit, and leaves the store as it was. MongoDB has its own tools: there the
// commands say so.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { linkidAdmin, linkidAdminResult } from '../support/admin-cli.js';
import { Browser } from '../support/browser.js';
import { TEST_MONGODB_URI, type RunningLinkid } from '../support/linkid.js';
import { RelyingParty } from '../support/relying-party.js';
import { signIn, submitEmail } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup, start } = useLinkid();

const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-backup-'));
const storeFile = (dataDir: string) => path.join(dataDir, 'linkid.sqlite');
const digestOf = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

interface Summary {
  schemaVersion: string;
  tables: Record<string, number>;
}

describe.skipIf(TEST_MONGODB_URI)('backup and restore of the SQLite store', () => {
  it('backs up while sign-ins go on, and a person signs in from the restored copy as the same account', { timeout: 60_000 }, async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_SEND_PER_IP: '100000/1h' } });
    const browser = new Browser();
    const first = await signIn(browser, linkid, rp, 'ann@example.com');
    const sub = first.tokens.claims()!.sub;

    const dir = scratch();
    const file = path.join(dir, 'linkid-backup.sqlite');
    // Sign-in emails keep being asked for while the backup runs.
    let stop = false;
    const load = (async () => {
      let sent = 0;
      while (!stop) {
        const page = await submitEmail(new Browser(), rp, `load${sent}@example.com`);
        expect(page.status).toBe(200);
        sent += 1;
      }
      return sent;
    })();
    const report = JSON.parse(await linkidAdmin(linkid, ['backup', file])) as Summary & { backup: string; tookMs: number };
    stop = true;
    expect(await load).toBeGreaterThan(0);

    expect(report.backup).toBe(file);
    expect(report.schemaVersion).toBe(linkid.store.schemaVersion);
    expect(report.tables.users).toBeGreaterThanOrEqual(1);
    expect(report.tables.clients).toBe(1);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // Nothing but the backup itself is left beside it.
    expect(fs.readdirSync(dir)).toEqual(['linkid-backup.sqlite']);

    // Another machine: a fresh DATA_DIR, the same keys.
    const fresh = path.join(dir, 'restored-data');
    const restore = JSON.parse(await linkidAdmin(linkid, ['restore', file], { DATA_DIR: fresh })) as Summary & { previous: string | null };
    expect(restore).toMatchObject({ schemaVersion: report.schemaVersion, tables: report.tables, previous: null });

    // The limits' counters come along too: the load above spent this IP's default budget.
    const restored = await start({ dataDir: fresh, env: { KEYS_DIR: path.join(linkid.dataDir, 'keys'), RATE_LIMIT_SEND_PER_IP: '100000/1h' } });
    const sameApp = await RelyingParty.discover(restored.issuer, rp.client);
    const again = await signIn(new Browser(), restored, sameApp, 'ann@example.com');
    expect(again.tokens.claims()!.sub).toBe(sub);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to restore over a store that a running linkid has open, and leaves it as it was', async () => {
    const { linkid } = await setup();
    const dir = scratch();
    const file = path.join(dir, 'copy.sqlite');
    await linkidAdmin(linkid, ['backup', file]);
    const before = digestOf(storeFile(linkid.dataDir));
    const refused = await linkidAdminResult(linkid, ['restore', file]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: the store in .* is in use by a running linkid .*stop it first$/)]);
    expect(refused.stdout).toBe('');
    expect(digestOf(storeFile(linkid.dataDir))).toBe(before);
    expect(fs.readdirSync(linkid.dataDir).filter((name) => /restoring|before-restore/.test(name))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the store it replaces beside the restored one', async () => {
    const linkid = await start({ keepData: true });
    const dir = scratch();
    const file = path.join(dir, 'empty-ish.sqlite');
    await linkidAdmin(linkid, ['backup', file]);
    await linkid.createClient({ name: 'Made after the backup', redirectUris: ['https://app.example.com/cb'] });
    await linkid.close();
    const restore = JSON.parse(await linkidAdmin(linkid, ['restore', file])) as { previous: string; tables: Record<string, number> };
    expect(restore.tables.clients).toBe(0);
    expect(path.dirname(restore.previous)).toBe(linkid.dataDir);
    const kept = new Database(restore.previous, { readonly: true });
    expect((kept.prepare('SELECT name FROM clients').all() as { name: string }[]).map((row) => row.name)).toEqual(['Made after the backup']);
    kept.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(linkid.dataDir, { recursive: true, force: true });
  });

  // Eleven commands, each its own process.
  it('answers a bad file or path with one line and a non-zero exit, and changes nothing', { timeout: 120_000 }, async () => {
    const linkid = await start({ keepData: true });
    const dir = scratch();
    const good = path.join(dir, 'good.sqlite');
    await linkidAdmin(linkid, ['backup', good]);
    await linkid.close();

    const foreign = path.join(dir, 'foreign.sqlite');
    const other = new Database(foreign);
    other.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)');
    other.close();
    const newer = path.join(dir, 'newer.sqlite');
    fs.copyFileSync(good, newer);
    const future = new Database(newer);
    future.pragma('user_version = 999');
    future.close();
    const corrupt = path.join(dir, 'corrupt.sqlite');
    const bytes = fs.readFileSync(good);
    // Keep the header (so it still looks like SQLite) and ruin the pages after it.
    bytes.fill(0x5a, 4096, Math.min(bytes.length, 4096 * 6));
    fs.writeFileSync(corrupt, bytes);
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'not a database');

    const cases: [string[], RegExp][] = [
      [['restore', path.join(dir, 'missing.sqlite')], /^error: no such file: .*missing\.sqlite$/],
      [['restore', dir], /^error: .* is not a file$/],
      [['restore', text], /^error: .*notes\.txt is not a SQLite database/],
      [['restore', foreign], /^error: .*foreign\.sqlite is not a linkid store: it has no oidc_models, users, login_tokens, clients table$/],
      [['restore', newer], /^error: .*newer\.sqlite: the SQLite store has schema version 999, newer than this linkid knows \(\d+\)/],
      [['restore', corrupt], /^error: .*corrupt\.sqlite (fails SQLite's integrity check|is not a usable SQLite database)/],
      [['restore'], /^error: restore needs a FILE$/],
      [['backup', good], /^error: .*good\.sqlite exists: a backup never overwrites a file/],
      [['backup', path.join(dir, 'no-such-dir', 'b.sqlite')], /^error: cannot write .*: no such directory/],
      [['migrate', '--dry-run', 'extra'], /^error: unexpected argument: extra$/],
      [['backup', good, '--dry-run'], /^error: --dry-run is an option of migrate, not of backup$/],
    ];
    const before = digestOf(storeFile(linkid.dataDir));
    for (const [args, expected] of cases) {
      const result = await linkidAdminResult(linkid, args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr.split('\n')[0], args.join(' ')).toMatch(expected);
    }
    expect(digestOf(storeFile(linkid.dataDir))).toBe(before);
    expect(fs.readdirSync(linkid.dataDir).filter((name) => /restoring|before-restore|partial/.test(name))).toEqual([]);
    expect(fs.readdirSync(dir).sort()).toEqual(['corrupt.sqlite', 'foreign.sqlite', 'good.sqlite', 'newer.sqlite', 'notes.txt']);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(linkid.dataDir, { recursive: true, force: true });
  });

  it('previews an upgrade with migrate --dry-run, changing nothing, and migrate then applies it', { timeout: 60_000 }, async () => {
    // A store as an older release left it (test/fixtures/old-store; upgrade.test.ts signs in on it).
    const fixture = path.resolve(import.meta.dirname, '../fixtures/old-store');
    const old = (JSON.parse(fs.readFileSync(path.join(fixture, 'manifest.json'), 'utf8')) as { schemaVersion: string }).schemaVersion;
    const dataDir = scratch();
    fs.copyFileSync(path.join(fixture, 'linkid.sqlite'), storeFile(dataDir));
    const where = { dataDir, config: {} };
    const before = digestOf(storeFile(dataDir));

    const plan = JSON.parse(await linkidAdmin(where, ['migrate', '--dry-run'])) as {
      current: string;
      target: string;
      migrations: { version: number; statements: string[] }[];
    };
    expect(plan).toMatchObject({ store: 'sqlite', current: old });
    const [from, to] = [Number(old.split(':')[1]), Number(plan.target.split(':')[1])];
    expect(plan.migrations.map((migration) => migration.version)).toEqual(Array.from({ length: to - from }, (_, i) => from + i + 1));
    // Each step says what it does, a statement's first line each: here the recovery codes' table.
    expect(plan.migrations.flatMap((migration) => migration.statements)).toContain('CREATE TABLE recovery_codes (');
    expect(digestOf(storeFile(dataDir))).toBe(before);

    expect(JSON.parse(await linkidAdmin(where, ['migrate']))).toEqual({ from: old, to: plan.target });
    expect(JSON.parse(await linkidAdmin(where, ['migrate', '--dry-run']))).toMatchObject({ current: plan.target, migrations: [] });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});

describe.runIf(TEST_MONGODB_URI)('backup and restore on MongoDB', () => {
  it("points to MongoDB's own tools, and migrate --dry-run lists index changes without making them", async () => {
    const linkid: RunningLinkid = await start();
    for (const command of ['backup', 'restore']) {
      const refused = await linkidAdminResult(linkid, [command, path.join(os.tmpdir(), 'x.archive')]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr.split('\n')[0]).toMatch(/^error: the store is MongoDB: back it up with `mongodump --oplog`/);
    }
    expect(JSON.parse(await linkidAdmin(linkid, ['migrate', '--dry-run']))).toEqual({ store: 'mongodb', target: linkid.store.schemaVersion, indexChanges: [] });
  });
});
