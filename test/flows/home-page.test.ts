// The page at the service's own address (README's http://localhost:3000/): what this is, in the
// reader's language, and the way to the account page, "your account" when this browser is signed
// in to linkid. Anyone can open it, so it names no app and no address, not even the signed-in one.
import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/i18n/catalog.js';
import { LOCALES } from '../../src/kernel/locales.js';
import { Browser, type Page } from '../support/browser.js';
import { signIn } from '../support/sign-in.js';
import { useSharedLinkid } from '../support/use-linkid.js';

const words = (locale: (typeof LOCALES)[number]) => createCatalog().translator(locale, { product: 'linkid' });
const asHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const accountLinks = (page: Page) => [...page.body.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)].map((match) => [match[1], match[2]]);

describe('the page at /', () => {
  const shared = useSharedLinkid();

  it('says what this is and offers a sign-in to the account page to a browser not signed in', async () => {
    const { linkid } = shared;
    const page = await new Browser().request(`${linkid.issuer}/`);

    expect(page.status, page.body).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toContain('<h1>linkid</h1>');
    expect(page.body).toContain('linkid signs you in to apps with a link sent to your email address, with no password.');
    expect(accountLinks(page)).toEqual([['/account', 'Sign in to manage your account']]);
    expect(page.body).not.toContain('You are signed in');
    // Looking for a session makes none.
    expect(page.headers.getSetCookie()).toEqual([]);
  });

  it('offers a signed-in browser its account page, naming neither the account nor its apps', async () => {
    const { linkid, rp } = shared;
    const browser = new Browser();
    await signIn(browser, linkid, rp, 'ada@example.com');

    const page = await browser.request(`${linkid.issuer}/`);

    expect(page.status, page.body).toBe(200);
    expect(page.body).toContain('You are signed in on this browser.');
    expect(accountLinks(page)).toEqual([['/account', 'Go to your account']]);
    expect(page.body).not.toMatch(/[\w.+-]+@[\w-]+\.[a-z]/);
    for (const secret of ['ada@example.com', 'Notes', rp.client.client_id, rp.redirectUri]) expect(page.body).not.toContain(secret);
    // The link leads straight to the account page: no second sign-in.
    const account = await browser.follow(`${linkid.issuer}/account`);
    expect(account.url).toBe(`${linkid.issuer}/account`);
    expect(account.body).toContain('<strong>ada@example.com</strong>');
  });

  it.each(LOCALES)('speaks %s to a browser reading it', async (locale) => {
    const { linkid } = shared;
    const page = await new Browser().request(`${linkid.issuer}/`, { headers: { 'accept-language': locale } });
    const t = words(locale);

    expect(page.headers.get('content-language')).toBe(locale);
    expect(page.body).toContain(`<html lang="${locale}">`);
    expect(page.body).toContain(`<title>${asHtml(t('home.title'))} · linkid</title>`);
    for (const key of ['home.about', 'home.fromAnApp', 'home.signIn']) expect(page.body).toContain(asHtml(t(key)));
  });

  it('answers HEAD, and only GET and HEAD', async () => {
    const { linkid } = shared;
    const head = await fetch(`${linkid.issuer}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const post = await new Browser().request(`${linkid.issuer}/`, { form: { a: 'b' } });
    expect(post.status).toBe(405);
  });
});
