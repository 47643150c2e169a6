// When the store cannot take writes, people get a 503 page that says so (with Retry-After), both
// on our pages and on oidc-provider's endpoints, and nothing is half-written: once the store is
// back the same request works.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite/index.js';
import { Browser } from '../support/browser.js';
import { TEST_MONGODB_URI, startLinkid, type RunningLinkid } from '../support/linkid.js';
import { settledOutbox } from '../support/outbox.js';
import { registerApp } from '../support/factories.js';
import type { RelyingParty } from '../support/relying-party.js';

let linkid: RunningLinkid;
let rp: RelyingParty;

beforeAll(async () => {
  if (TEST_MONGODB_URI) return;
  linkid = await startLinkid({ sqliteBusyTimeoutMs: 50 });
  rp = await registerApp(linkid, { name: 'Notes' });
});
afterAll(() => linkid?.close());

/** Another process holding the write lock, as a long backup or a stuck writer would. */
function lockStore() {
  const other = new Database(path.join(linkid.dataDir, SQLITE_FILE_NAME));
  other.pragma('busy_timeout = 0');
  other.exec('BEGIN EXCLUSIVE');
  return () => {
    other.exec('ROLLBACK');
    other.close();
  };
}

// Locks the SQLite file; the MongoDB equivalent (a server going away) is not simulated here.
describe.skipIf(TEST_MONGODB_URI)('store unavailable (SQLite locked by another writer)', () => {
  it("answers 503 store_unavailable on oidc-provider's authorization endpoint, then recovers", async () => {
    const browser = new Browser();
    const attempt = await rp.authorizationUrl();
    const unlock = lockStore();
    let page;
    try {
      page = await browser.request(attempt.url);
    } finally {
      unlock();
    }
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('5');
    expect(page.body).toContain('Sign-in is briefly unavailable');
    expect(page.body).toContain('store_unavailable');
    expect((await browser.follow(attempt.url)).status).toBe(200);
  });

  it('answers 503 on the email form and sends no mail; the retry works', async () => {
    const browser = new Browser();
    const form = await browser.follow((await rp.authorizationUrl()).url);
    const action = /action="([^"]+\/login)"/.exec(form.body)![1]!;
    const unlock = lockStore();
    let refused;
    try {
      refused = await browser.request(new URL(action, linkid.issuer).href, { form: { email: 'busy@example.com' } });
    } finally {
      unlock();
    }
    expect(refused.status).toBe(503);
    expect(refused.body).toContain('store_unavailable');
    expect((await settledOutbox(linkid)).filter((mail) => mail.to === 'busy@example.com')).toHaveLength(0);
    const retried = await browser.request(new URL(action, linkid.issuer).href, { form: { email: 'busy@example.com' } });
    expect(retried.status).toBe(200);
    expect((await settledOutbox(linkid)).filter((mail) => mail.to === 'busy@example.com')).toHaveLength(1);
  });

  it('answers JSON 503 to API clients (a pushed authorization request, which writes)', async () => {
    const basic = Buffer.from(`${rp.client.client_id}:${rp.client.client_secret}`).toString('base64');
    const body = new URLSearchParams({
      response_type: 'code',
      client_id: rp.client.client_id,
      redirect_uri: rp.redirectUri,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const push = () => fetch(`${linkid.issuer}/request`, { method: 'POST', headers: { accept: 'application/json', authorization: `Basic ${basic}` }, body });
    const unlock = lockStore();
    let response;
    try {
      response = await push();
    } finally {
      unlock();
    }
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: 'store_unavailable' });
    expect((await push()).status).toBe(201);
  });
});
