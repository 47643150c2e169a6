// The link opened somewhere other than the browser that asked for it (iOS Mail's in-app browser,
// another device, someone holding only some of its cookies): nothing is signed in or consumed
// there, and the code from the same email finishes the sign-in in the window where it started.
import { describe, expect, it } from 'vitest';
import { Browser, formOn } from '../support/browser.js';
import { confirmLink, finishAtApp, reasonOf, requestLink } from '../support/sign-in.js';
import { useLinkid, useSharedLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();

describe('the link opened in another browser', () => {
  it('signs nothing in there, and the code typed in the first browser finishes the sign-in', async () => {
    const { linkid, rp } = await setup();
    const first = new Browser('first');
    const { page, mail } = await requestLink(first, linkid, await rp.authorizationUrl(), 'two@example.com');

    // The page knows at the GET: no confirm button that could only fail, but what can be done here.
    const second = new Browser('iOS Mail in-app browser');
    const elsewhere = await second.request(mail.link);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body).toContain('This link opened in a different browser');
    expect(elsewhere.body).not.toMatch(/action="[^"]*\/verify"/);
    expect(elsewhere.body).toContain('type the 6-digit code from the same email');

    const typed = await first.submit(page, /\/code$/, { code: mail.code.replace(/(\d{3})/, '$1 ') }, 'http');
    const callback = await finishAtApp(first, rp, typed);
    expect(new URL(callback).searchParams.get('code')).toBeTruthy();

    // The link is spent now: the code consumed the same token.
    const again = await first.request(mail.link);
    expect(reasonOf(again)).toBe('token_used');
  });

  it('refuses the code in a browser without the binding cookie', async () => {
    const { linkid, rp } = await setup();
    const first = new Browser();
    const { page, mail } = await requestLink(first, linkid, await rp.authorizationUrl(), 'nocookie@example.com');
    const form = formOn(page, /\/code$/);
    const cookies = (await first.jar.getCookies(form.action)).filter((cookie) => !cookie.key.includes('binding'));
    const stranger = new Browser();
    for (const cookie of cookies) await stranger.jar.setCookie(cookie, form.action);
    const refused = await stranger.request(form.action, { form: { ...form.hidden, code: mail.code } });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Open this link in the browser where you started');
    expect((await confirmLink(first, mail)).status).toBe(303);
  });
});

describe('scanners and other browsers', () => {
  const shared = useSharedLinkid();

  it('a POST with the interaction cookie but not the binding cookie consumes nothing', async () => {
    const { browser, mail } = await shared.pendingLink('halfcookies@example.com');
    const page = await browser.request(mail.link);
    const form = formOn(page, /\/verify$/);
    const cookies = (await browser.jar.getCookies(form.action)).filter((cookie) => !cookie.key.includes('binding'));
    const posted = await fetch(form.action, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: shared.linkid.issuer,
        accept: 'text/html',
        cookie: cookies.map((cookie) => cookie.cookieString()).join('; '),
      },
      body: new URLSearchParams(form.hidden).toString(),
    });
    expect(posted.status).toBe(403);
    expect(reasonOf(await posted.text())).toBe('browser_mismatch');
    expect((await confirmLink(browser, mail)).status).toBe(303);
  });
});
