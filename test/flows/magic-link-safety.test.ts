// The ways a magic link must fail: reused, expired, raced, opened by a scanner, posted from
// another site or another browser. Each refusal names its reason and burns nothing it should not.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite/index.js';
import { Browser, formOn } from '../support/browser.js';
import { fakeClock } from '../support/fake-clock.js';
import { TEST_MONGODB_URI, startLinkid, type RunningLinkid } from '../support/linkid.js';
import { RelyingParty } from '../support/relying-party.js';
import { confirmLink, finishAtApp, requestLink } from '../support/sign-in.js';

const clock = fakeClock();
let linkid: RunningLinkid;
let rp: RelyingParty;

beforeAll(async () => {
  // Room for the 20 concurrent confirms below; the per-token limit has its own test.
  linkid = await startLinkid({ clock, env: { RATE_LIMIT_VERIFY_PER_TOKEN: '50/10m' } });
  rp = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Notes', firstParty: true }));
});
afterAll(() => linkid.close());

async function pendingLink(email: string) {
  const browser = new Browser();
  const { mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), email);
  return { browser, mail };
}

const reasonOf = (body: string) => /Reason: <code>([a-z_]+)<\/code>/.exec(body)?.[1];

describe('a link that was used', () => {
  it('is refused with token_used, on the page and on a second confirm', async () => {
    const { browser, mail } = await pendingLink('used@example.com');
    const confirm = await browser.request(mail.link);
    const first = await browser.submit(confirm, /\/verify$/, {}, 'http');
    expect(first.status).toBe(303);
    await finishAtApp(browser, rp, first);

    const again = await browser.request(formOn(confirm, /\/verify$/).action, { form: formOn(confirm, /\/verify$/).hidden });
    expect(again.status).toBe(410);
    expect(reasonOf(again.body)).toBe('token_used');

    const reopened = await browser.request(mail.link);
    expect(reopened.status).toBe(410);
    expect(reasonOf(reopened.body)).toBe('token_used');
    expect(reopened.body).toContain('already used');
  });
});

describe('a link that expired', () => {
  it('is refused with token_expired after its 10 minutes, without sleeping', async () => {
    const { browser, mail } = await pendingLink('late@example.com');
    const confirm = await browser.request(mail.link);
    expect(confirm.status).toBe(200);
    clock.advance(10 * 60 * 1000 + 1);
    const opened = await browser.request(mail.link);
    expect(opened.status).toBe(410);
    expect(reasonOf(opened.body)).toBe('token_expired');
    const posted = await browser.submit(confirm, /\/verify$/, {}, 'http');
    expect(posted.status).toBe(410);
    expect(reasonOf(posted.body)).toBe('token_expired');
  });
});

describe('scanners and other browsers', () => {
  it('GET and HEAD of the link never consume it', async () => {
    const { browser, mail } = await pendingLink('scanned@example.com');
    for (let i = 0; i < 3; i += 1) expect((await new Browser('Scanner').request(mail.link)).status).toBe(200);
    expect((await fetch(mail.link, { method: 'HEAD' })).status).toBe(200);
    const row = await linkid.store.loginTokens.findByHash((await import('../../src/login/token-crypto.js')).sha256(mail.token));
    expect(row?.usedAt).toBeNull();
    const confirmed = await confirmLink(browser, mail);
    expect(confirmed.status).toBe(303);
  });

  it('a POST without the browser cookies (a scanner pressing the button) consumes nothing', async () => {
    const { browser, mail } = await pendingLink('pressed@example.com');
    const scanner = new Browser('Scanner');
    const page = await scanner.request(mail.link);
    const posted = await scanner.submit(page, /\/verify$/, {}, 'http');
    expect(posted.status).toBe(403);
    expect(reasonOf(posted.body)).toBe('browser_mismatch');
    expect(posted.body).toContain('browser where you started');
    expect((await confirmLink(browser, mail)).status).toBe(303);
  });

  it('a POST with the interaction cookie but not the binding cookie consumes nothing', async () => {
    const { browser, mail } = await pendingLink('halfcookies@example.com');
    const page = await browser.request(mail.link);
    const form = formOn(page, /\/verify$/);
    const cookies = (await browser.jar.getCookies(form.action)).filter((cookie) => !cookie.key.includes('binding'));
    const posted = await fetch(form.action, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: linkid.issuer,
        accept: 'text/html',
        cookie: cookies.map((cookie) => cookie.cookieString()).join('; '),
      },
      body: new URLSearchParams(form.hidden).toString(),
    });
    expect(posted.status).toBe(403);
    expect(reasonOf(await posted.text())).toBe('browser_mismatch');
    expect((await confirmLink(browser, mail)).status).toBe(303);
  });

  it('a cross-site POST is refused with origin_mismatch and consumes nothing', async () => {
    const { browser, mail } = await pendingLink('csrf@example.com');
    const page = await browser.request(mail.link);
    const form = formOn(page, /\/verify$/);
    const forged = await browser.request(form.action, { form: form.hidden, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
    expect(forged.status).toBe(403);
    expect(reasonOf(forged.body)).toBe('origin_mismatch');
    expect((await confirmLink(browser, mail)).status).toBe(303);
  });

  it('a mangled or unknown token is refused with token_unknown', async () => {
    const browser = new Browser();
    for (const token of ['', 'short', 'A'.repeat(43), '../../etc/passwd']) {
      const page = await browser.request(`${linkid.issuer}/login/link?token=${encodeURIComponent(token)}`);
      expect(page.status).toBe(404);
      expect(reasonOf(page.body)).toBe('token_unknown');
    }
  });
});

describe('concurrent confirms', () => {
  it('20 confirms of one token at once produce exactly one 303', async () => {
    const { browser, mail } = await pendingLink('race@example.com');
    const page = await browser.request(mail.link);
    const form = formOn(page, /\/verify$/);
    const results = await Promise.all(Array.from({ length: 20 }, () => browser.request(form.action, { form: form.hidden })));
    const statuses = results.map((result) => result.status);
    expect(statuses.filter((status) => status === 303)).toHaveLength(1);
    expect(statuses.filter((status) => status !== 303).every((status) => status === 410)).toBe(true);
    expect(results.filter((result) => result.status === 410).every((result) => reasonOf(result.body) === 'token_used')).toBe(true);
  });
});

describe.skipIf(TEST_MONGODB_URI)('secrets at rest (SQLite files)', () => {
  it('no raw token appears in the database files or the logs', async () => {
    const { browser, mail } = await pendingLink('secret@example.com');
    await finishAtApp(browser, rp, await confirmLink(browser, mail));
    const files = fs.readdirSync(linkid.dataDir).filter((name) => name.startsWith(SQLITE_FILE_NAME));
    expect(files.length).toBeGreaterThan(0);
    const bytes = Buffer.concat(files.map((name) => fs.readFileSync(path.join(linkid.dataDir, name))));
    expect(bytes.includes(Buffer.from('secret@example.com'))).toBe(true);
    expect(bytes.includes(Buffer.from(mail.token))).toBe(false);
    const logs = linkid.logs.join('');
    expect(logs).toContain('login.confirmed');
    expect(logs.includes(mail.token)).toBe(false);
    expect(logs.includes(mail.link)).toBe(false);
  });
});
