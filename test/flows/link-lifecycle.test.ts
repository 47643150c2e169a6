// A link's life: it works once, is refused when used again or after its 10 minutes (on a fake
// clock, without sleeping), is unknown when mangled, and of 20 confirms sent at once exactly one
// wins. Each refusal names its reason. One linkid serves every test here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, formOn } from '../support/browser.js';
import { fakeClock } from '../support/fake-clock.js';
import { registerApp } from '../support/factories.js';
import { startLinkid, type RunningLinkid } from '../support/linkid.js';
import type { RelyingParty } from '../support/relying-party.js';
import { finishAtApp, pendingLink as pendingLinkIn, reasonOf } from '../support/sign-in.js';

const clock = fakeClock();
let linkid: RunningLinkid;
let rp: RelyingParty;

beforeAll(async () => {
  // Room for the 20 concurrent confirms below; the per-token limit has its own test.
  linkid = await startLinkid({ clock, env: { RATE_LIMIT_VERIFY_PER_TOKEN: '50/10m' } });
  rp = await registerApp(linkid);
});
afterAll(() => linkid.close());

const pendingLink = (email: string) => pendingLinkIn(linkid, rp, email);

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
