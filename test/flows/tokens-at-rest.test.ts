// Nothing live at rest: after a real sign-in, a refresh and a sign-in left half-way, a copy of
// DATA_DIR (the SQLite file, its -wal and -shm, keys, outbox) holds no authorization code, access
// or refresh token, nor session cookie value, and oidc-provider's rows no interaction cookie
// value; and every file in it is the server user's alone, whatever the process umask. On MongoDB
// (under `npm run test:mongo`) the same holds for a dump of every collection.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite/index.js';
import { Browser } from '../support/browser.js';
import { registerApp } from '../support/factories.js';
import { TEST_MONGODB_URI, startLinkid, type RunningLinkid } from '../support/linkid.js';
import { dumpDatabase } from '../support/test-databases.js';
import { oidc, type RelyingParty } from '../support/relying-party.js';
import { confirmLink, finishAtApp, reasonOf, requestLink } from '../support/sign-in.js';
import { useSharedLinkid } from '../support/use-linkid.js';

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

function dirsUnder(dir: string): string[] {
  return [
    dir,
    ...fs
      .readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.join(entry.parentPath, entry.name)),
  ];
}

/** Which of `values` appear, as bytes, in which file under `dir`. */
function findValues(dir: string, values: Record<string, string>): string[] {
  const found: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = fs.readFileSync(file);
    for (const [name, value] of Object.entries(values)) {
      if (bytes.includes(Buffer.from(value, 'utf8'))) found.push(`${name} in ${path.relative(dir, file)}`);
    }
  }
  return found;
}

/** The browser's current cookies whose name matches, signatures and cleared cookies aside. */
async function cookieValues(browser: Browser, prefix: string, name: RegExp): Promise<Record<string, string>> {
  const all = (await browser.jar.serialize()).cookies;
  return Object.fromEntries(
    all
      .filter((cookie) => name.test(String(cookie.key)) && !String(cookie.key).endsWith('.sig') && typeof cookie.value === 'string' && cookie.value !== '')
      .map((cookie) => [`${prefix} cookie ${String(cookie.key)}`, String(cookie.value)]),
  );
}

describe.skipIf(TEST_MONGODB_URI)('oidc artefacts at rest (SQLite files)', () => {
  let linkid: RunningLinkid;
  let rp: RelyingParty;
  /** Bearer values oidc-provider issued: codes, tokens, the session cookie. */
  const bearer: Record<string, string> = {};
  /** Interaction cookie values (the interaction's id), of a finished and a pending sign-in. */
  const interactions: Record<string, string> = {};
  const pendingBrowser = new Browser();

  beforeAll(async () => {
    linkid = await startLinkid({ keepData: true });
    rp = await registerApp(linkid, { name: 'Vault' });
    const browser = new Browser();
    const attempt = await rp.authorizationUrl({ scope: 'openid email offline_access', prompt: 'consent' });
    const { mail } = await requestLink(browser, linkid, attempt, 'rest@example.com');
    Object.assign(interactions, await cookieValues(browser, 'finished', /interaction|resume/));
    const callback = await finishAtApp(browser, rp, await confirmLink(browser, mail));
    bearer['authorization code'] = new URL(callback).searchParams.get('code')!;
    const tokens = await rp.redeem(callback, attempt);
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    Object.assign(bearer, {
      'access token': tokens.access_token,
      'refresh token': tokens.refresh_token!,
      'refreshed access token': refreshed.access_token,
      'refreshed refresh token': refreshed.refresh_token!,
    });
    Object.assign(bearer, await cookieValues(browser, 'signed-in', /session/));

    // A second browser stops at "check your email": its interaction is still live.
    const pending = pendingBrowser;
    await requestLink(pending, linkid, await rp.authorizationUrl(), 'pending@example.com');
    Object.assign(interactions, await cookieValues(pending, 'pending', /interaction|resume/));
    await linkid.settle();
  });
  afterAll(async () => {
    await linkid.close();
    fs.rmSync(linkid.dataDir, { recursive: true, force: true });
  });

  it('collected every kind of live value it looks for', () => {
    expect(Object.keys(bearer)).toContain('signed-in cookie linkid-session');
    expect(Object.keys(interactions)).toContain('pending cookie linkid-interaction');
    expect(Object.values({ ...bearer, ...interactions }).every((value) => /^[\w-]{40,}$/.test(value))).toBe(true);
  });

  it('stores no code, token or session cookie value in any file under DATA_DIR while running, WAL included', () => {
    expect(filesUnder(linkid.dataDir).some((file) => file.endsWith('-wal'))).toBe(true);
    expect(findValues(linkid.dataDir, bearer)).toEqual([]);
  });

  it("keeps no interaction cookie value in oidc-provider's rows (ids, payloads, lookup columns)", () => {
    const db = new Database(path.join(linkid.dataDir, SQLITE_FILE_NAME), { readonly: true });
    try {
      const rows = JSON.stringify(db.prepare('SELECT * FROM oidc_models').all());
      expect(rows).toContain('Interaction');
      expect(
        Object.entries(interactions)
          .filter(([, value]) => rows.includes(value))
          .map(([name]) => name),
      ).toEqual([]);
    } finally {
      db.close();
    }
  });

  // The sign-in's own tables (login_tokens, mail_queue) keep the interaction id in clear: a link
  // must find its sign-in from the email alone. That id opens nothing by itself, because the
  // interaction and resume cookies that carry it are signed with the cookie keys, which are not
  // in the database. This proves it: the id alone, as a cookie, is refused.
  it('needs the cookie signature, not only the interaction id the sign-in tables keep, to use an interaction', async () => {
    const uid = interactions['pending cookie linkid-interaction']!;
    const thief = new Browser('with a copy of the database');
    const url = `${linkid.issuer}/interaction/${uid}`;
    await thief.jar.setCookie(`linkid-interaction=${uid}; Path=/interaction/${uid}; HttpOnly`, url);
    const page = await thief.request(url);
    expect(page.status).toBe(410);
    expect(reasonOf(page)).toBe('interaction_expired');
    // The browser that holds the signed pair still gets its page: the interaction is alive.
    expect((await pendingBrowser.request(url)).status).toBe(200);
  });

  it('still stores none of the bearer values once the WAL is checkpointed into the database file', async () => {
    await linkid.store.close();
    expect(filesUnder(linkid.dataDir).some((file) => file.endsWith('-wal'))).toBe(false);
    expect(findValues(linkid.dataDir, bearer)).toEqual([]);
  });
});

describe.skipIf(TEST_MONGODB_URI)('files under DATA_DIR', () => {
  let linkid: RunningLinkid;
  let parent: string;
  let umask: number;

  beforeAll(async () => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-modes-'));
    // The most permissive umask there is: modes must not depend on it.
    umask = process.umask(0);
    try {
      linkid = await startLinkid({ dataDir: path.join(parent, 'data') });
      const rp = await registerApp(linkid, { name: 'Modes' });
      await requestLink(new Browser(), linkid, await rp.authorizationUrl(), 'modes@example.com');
      await linkid.settle();
    } finally {
      process.umask(umask);
    }
  });
  afterAll(async () => {
    await linkid.close();
    fs.rmSync(parent, { recursive: true, force: true });
  });

  const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

  it('creates the database, its -wal and -shm, key files and outbox mail readable by the owner only (0600)', () => {
    const files = filesUnder(linkid.dataDir);
    const names = files.map((file) => path.relative(linkid.dataDir, file));
    for (const expected of [
      'linkid.sqlite',
      'linkid.sqlite-wal',
      'linkid.sqlite-shm',
      'keys/server-secret',
      'keys/cookie-keys.json',
      'keys/signing-keys.json',
    ]) {
      expect(names).toContain(expected);
    }
    expect(names.some((name) => name.startsWith('outbox/'))).toBe(true);
    expect(Object.fromEntries(files.map((file) => [path.relative(linkid.dataDir, file), mode(file)]))).toEqual(
      Object.fromEntries(names.map((name) => [name, '600'])),
    );
  });

  it('creates DATA_DIR and every directory in it for the owner only (0700)', () => {
    const dirs = dirsUnder(linkid.dataDir);
    expect(dirs.length).toBeGreaterThanOrEqual(3);
    expect(Object.fromEntries(dirs.map((dir) => [path.relative(parent, dir), mode(dir)]))).toEqual(
      Object.fromEntries(dirs.map((dir) => [path.relative(parent, dir), '700'])),
    );
  });
});

describe.skipIf(TEST_MONGODB_URI)('secrets at rest (SQLite files)', () => {
  const shared = useSharedLinkid();

  it('no raw token appears in the database files or the logs', async () => {
    const { browser, mail } = await shared.pendingLink('secret@example.com');
    await finishAtApp(browser, shared.rp, await confirmLink(browser, mail));
    const files = fs.readdirSync(shared.linkid.dataDir).filter((name) => name.startsWith(SQLITE_FILE_NAME));
    expect(files.length).toBeGreaterThan(0);
    const bytes = Buffer.concat(files.map((name) => fs.readFileSync(path.join(shared.linkid.dataDir, name))));
    expect(bytes.includes(Buffer.from('secret@example.com'))).toBe(true);
    expect(bytes.includes(Buffer.from(mail.token))).toBe(false);
    const logs = shared.linkid.logs.join('');
    expect(logs).toContain('login.confirmed');
    expect(logs.includes(mail.token)).toBe(false);
    expect(logs.includes(mail.link)).toBe(false);
  });
});

if (!TEST_MONGODB_URI) {
  // Said in the output, not only counted: the MongoDB counterpart is skipped here on purpose.
  console.warn('[secrets at rest] MongoDB counterpart NOT RUN: MONGODB_URI is not set (npm run test:mongo, or the CI workflow, runs it)');
}

describe.skipIf(!TEST_MONGODB_URI)('secrets at rest (every MongoDB collection)', () => {
  let linkid: RunningLinkid;
  /** Everything that must never be stored in clear, by what it is. */
  const secrets: Record<string, string> = {};
  /** Sign-in codes: six digits also occur inside hashes, so they are looked for as whole values. */
  const codes: Record<string, string> = {};
  /**
   * Interaction cookie values: the sign-in's own collections keep the interaction id in clear (a
   * link must find its sign-in; the id alone opens nothing, see above), oidc-provider's must not.
   */
  const interactions: Record<string, string> = {};
  let dump: Record<string, string>;

  beforeAll(async () => {
    linkid = await startLinkid();
    const rp = await registerApp(linkid, { name: 'Vault' });
    secrets['client secret'] = rp.client.client_secret!;
    const browser = new Browser();
    const attempt = await rp.authorizationUrl({ scope: 'openid email offline_access', prompt: 'consent' });
    const { mail } = await requestLink(browser, linkid, attempt, 'rest@example.com');
    secrets['used link token'] = mail.token;
    Object.assign(interactions, await cookieValues(browser, 'finished', /interaction|resume/));
    codes['used code'] = mail.code;
    const callback = await finishAtApp(browser, rp, await confirmLink(browser, mail));
    secrets['authorization code'] = new URL(callback).searchParams.get('code')!;
    const tokens = await rp.redeem(callback, attempt);
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    Object.assign(secrets, {
      'access token': tokens.access_token,
      'refresh token': tokens.refresh_token!,
      'refreshed access token': refreshed.access_token,
      'refreshed refresh token': refreshed.refresh_token!,
    });
    Object.assign(secrets, await cookieValues(browser, 'signed-in', /session/));
    // A sign-in left at "check your email": its link and code are live.
    const pending = new Browser();
    const { mail: pendingMail } = await requestLink(pending, linkid, await rp.authorizationUrl(), 'pending@example.com');
    secrets['pending link token'] = pendingMail.token;
    Object.assign(interactions, await cookieValues(pending, 'pending', /interaction|resume/));
    codes['pending code'] = pendingMail.code;
    await linkid.settle();
    dump = await dumpDatabase(linkid.config.mongodbUri!);
  });
  afterAll(() => linkid?.close());

  it('dumped the collections that hold sign-ins, tokens and clients', () => {
    expect(Object.keys(dump)).toEqual(expect.arrayContaining(['clients', 'login_tokens', 'mail_queue', 'users', 'oidc_session', 'oidc_grant']));
    expect(dump.users).toContain('rest@example.com');
    expect(Object.keys(secrets)).toContain('signed-in cookie linkid-session');
    expect(Object.values(secrets).every((value) => value.length >= 20)).toBe(true);
  });

  it("keeps no interaction cookie value in oidc-provider's collections", () => {
    expect(Object.keys(interactions)).toContain('pending cookie linkid-interaction');
    const found = Object.entries(dump)
      .filter(([collection]) => collection.startsWith('oidc_'))
      .flatMap(([collection, text]) =>
        Object.entries(interactions)
          .filter(([, value]) => text.includes(value))
          .map(([name]) => `${name} in ${collection}`),
      );
    expect(found).toEqual([]);
  });

  it('holds no raw link token, authorization code, access or refresh token, session cookie, or client secret in any collection', () => {
    const found = Object.entries(dump).flatMap(([collection, text]) =>
      Object.entries(secrets)
        .filter(([, value]) => text.includes(value))
        .map(([name]) => `${name} in ${collection}`),
    );
    expect(found).toEqual([]);
  });

  it('holds no sign-in code as a stored value in any collection', () => {
    const found = Object.entries(dump).flatMap(([collection, text]) =>
      Object.entries(codes)
        .filter(([, code]) => text.includes(`"${code}"`))
        .map(([name]) => `${name} in ${collection}`),
    );
    expect(found).toEqual([]);
  });
});
