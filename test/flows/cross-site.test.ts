// Every state-changing POST checks where it came from: a page on another site can make the
// victim's browser post any of our forms with the victim's cookies (SameSite=Lax does not stop a
// top-level form POST to a path the cookie was not scoped away from). Each one must be refused
// with origin_mismatch and change nothing; then the same form from our own page still works.
import { describe, expect, it } from 'vitest';
import { Browser, formOn } from '../support/browser.js';
import { NOTES } from '../support/factories.js';
import { latestSignInMail, settledOutbox } from '../support/outbox.js';
import { confirmLink, reasonOf, requestLink } from '../support/sign-in.js';
import { useLinkid, useSharedLinkid } from '../support/use-linkid.js';

const linkids = useLinkid();
const setup = (firstParty = true) => linkids.setup({}, { ...NOTES, firstParty });

const crossSite = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
/** A client that is not a browser on our page: no Origin, no Sec-Fetch-Site. */
const headless = { origin: '', 'sec-fetch-site': '' };

async function expectRefused(browser: Browser, action: string, form: Record<string, string>, headers: Record<string, string>) {
  const refused = await browser.request(action, { form, headers });
  expect({ action: new URL(action).pathname.replace(/\/interaction\/[^/]+/, '/interaction/UID'), status: refused.status, reason: reasonOf(refused) }).toEqual({
    action: new URL(action).pathname.replace(/\/interaction\/[^/]+/, '/interaction/UID'),
    status: 403,
    reason: 'origin_mismatch',
  });
}

describe('cross-site posts', () => {
  it('the email form and resend: refused, and no mail goes out', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const form = await browser.follow((await rp.authorizationUrl()).url);
    const { action } = formOn(form, /\/login$/);
    await expectRefused(browser, action, { email: 'victim@example.com' }, crossSite);
    await expectRefused(browser, action, { email: 'victim@example.com' }, { origin: 'null', 'sec-fetch-site': 'cross-site' });
    expect(await settledOutbox(linkid)).toHaveLength(0);
    expect((await browser.request(action, { form: { email: 'victim@example.com' } })).status).toBe(200);
  });

  it('the code form: refused without spending an attempt, then the code works from our page', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'code@example.com');
    const { action } = formOn(page, /\/code$/);
    for (let i = 0; i < 6; i += 1) await expectRefused(browser, action, { code: mail.code }, crossSite);
    await expectRefused(browser, action, { code: mail.code }, headless);
    const typed = await browser.submit(page, /\/code$/, { code: mail.code }, 'http');
    expect(typed.status).toBe(303);
  });

  it('consent and abort: refused, and the sign-in is still waiting for the person', async () => {
    const { linkid, rp } = await setup(false);
    const browser = new Browser();
    const { mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'consent@example.com');
    const confirmed = await confirmLink(browser, mail);
    const consent = await browser.follow(confirmed.location!, rp.redirectUri);
    expect(consent.body).toContain('name="decision"');
    const { action } = formOn(consent, /\/consent$/);
    await expectRefused(browser, action, { decision: 'allow' }, crossSite);
    await expectRefused(browser, action.replace(/\/consent$/, '/abort'), {}, crossSite);
    const allowed = await browser.submit(consent, /\/consent$/, { decision: 'allow' }, rp.redirectUri);
    expect(allowed.location?.startsWith(rp.redirectUri)).toBe(true);
    expect(new URL(allowed.location!).searchParams.get('code')).toBeTruthy();
  });

  it('"This wasn\'t me", renew and the link confirm: refused, and the link still signs in', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'links@example.com');
    const origin = new URL(mail.link).origin;
    await expectRefused(browser, `${origin}/login/cancel`, { token: mail.token }, crossSite);
    await expectRefused(browser, `${origin}/login/link/renew`, { token: mail.token }, crossSite);
    const confirmPage = await browser.request(mail.link);
    const { action } = formOn(confirmPage, /\/verify$/);
    await expectRefused(browser, action, { token: mail.token }, crossSite);
    expect(linkid.logs.join('')).not.toContain('"event":"login.cancelled"');
    expect((await confirmLink(browser, mail)).status).toBe(303);
    await latestSignInMail(linkid, 'links@example.com');
    expect(await settledOutbox(linkid)).toHaveLength(1);
  });
});

describe('scanners and other browsers', () => {
  const shared = useSharedLinkid();

  it('a cross-site POST is refused with origin_mismatch and consumes nothing', async () => {
    const { browser, mail } = await shared.pendingLink('csrf@example.com');
    const page = await browser.request(mail.link);
    const form = formOn(page, /\/verify$/);
    const forged = await browser.request(form.action, { form: form.hidden, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
    expect(forged.status).toBe(403);
    expect(reasonOf(forged.body)).toBe('origin_mismatch');
    expect((await confirmLink(browser, mail)).status).toBe(303);
  });
});
