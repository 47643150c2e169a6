// Every page and the email in each shipped language, through a real linkid over HTTP: the
// language follows the app's ui_locales, then the browser's Accept-Language, then DEFAULT_LOCALE;
// the email speaks the language of the page it was asked from, dates included, and pages that
// know the sign-in (the link opened elsewhere, "This wasn't me") speak the sign-in's language.
import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/i18n/catalog.js';
import { LOCALES, type Locale } from '../../src/kernel/locales.js';
import { Browser, type Page } from '../support/browser.js';
import { fakeClock } from '../support/fake-clock.js';
import { latestSignInMail, type SignInMail } from '../support/outbox.js';
import { oidc } from '../support/relying-party.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();
const catalog = createCatalog();
const wordsIn = (locale: Locale) => catalog.translator(locale, { product: 'linkid' });

/** A browser whose person reads `language`: it sends Accept-Language with every request. */
class ReadingBrowser extends Browser {
  constructor(private readonly language: string) {
    super(`browser reading ${language}`);
  }

  override request(url: string, init: Parameters<Browser['request']>[1] = {}): Promise<Page> {
    return super.request(url, { ...init, headers: { 'accept-language': this.language, ...init.headers } });
  }
}

/** Text as the (auto-escaping) templates print it. */
const asHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

function expectPageIn(page: Page, locale: Locale, ...texts: string[]): void {
  expect(page.headers.get('content-language'), `${page.url}\n${page.body}`).toBe(locale);
  expect(page.body).toContain(`<html lang="${locale}">`);
  for (const text of texts) expect(page.body, page.url).toContain(asHtml(text));
}

const cancelLinkOf = (mail: SignInMail) => /(http\S+\/login\/cancel\?token=[\w-]{43})/.exec(mail.message.text)![1]!;

const GERMAN_MONTHS = ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'];
const FRENCH_MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];
const hhmm = (date: Date) => `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;

describe('the language of a sign-in', () => {
  it('ui_locales=de: German email form and "check your email", a German email with a German date', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock });
    const browser = new Browser();
    const form = await browser.follow((await rp.authorizationUrl({ ui_locales: 'de' })).url);
    expectPageIn(form, 'de', 'Bei Notes anmelden', 'E-Mail-Adresse', 'Anmeldelink per E-Mail senden');
    expect(form.body).not.toContain('Email me a sign-in link');

    const check = await browser.submit(form, /\/login$/, { email: 'greta@example.com' });
    expectPageIn(check, 'de', 'Prüfen Sie Ihr Postfach', '6-stelliger Code', 'Beide gelten 10 Minuten lang.');
    const delivery = /data-url="([^"]+)"/.exec(check.body)![1]!;
    const status = await fetch(new URL(delivery, linkid.issuer), {
      headers: { accept: 'application/json', cookie: await browser.jar.getCookieString(new URL(delivery, linkid.issuer).href) },
    });
    expect(((await status.json()) as { label: string }).label).toMatch(/^(Wird gesendet|Gesendet|Zugestellt)$/);

    const mail = await latestSignInMail(linkid, 'greta@example.com');
    const expires = new Date(clock.now() + 600_000);
    expect(mail.message.subject).toBe('Ihr Anmeldelink für Notes');
    expect(mail.message.html).toContain('<html lang="de">');
    expect(mail.message.text).toContain('Oder geben Sie diesen Code in dem Fenster ein, in dem Sie begonnen haben:');
    expect(mail.message.text).toContain('Geben Sie diesen Code und diesen Link an niemanden weiter.');
    expect(mail.message.text).toContain(
      `laufen in 10 Minuten ab (am ${expires.getUTCDate()}. ${GERMAN_MONTHS[expires.getUTCMonth()]} ${expires.getUTCFullYear()} um ${hhmm(expires)} UTC).`,
    );
    expect(mail.message.text).toContain('Sie können diese Anmeldung auch abbrechen:');
    expect(mail.message.html).toContain('Das war ich nicht');
    expect(mail.message.text).not.toMatch(/Sign in|expire/);
  });

  it('Accept-Language: fr without ui_locales gives French pages and a French email; the answer varies by it', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock });
    const browser = new ReadingBrowser('fr-CH, fr;q=0.9, en;q=0.5');
    const form = await browser.follow((await rp.authorizationUrl()).url);
    expectPageIn(form, 'fr', 'Se connecter à Notes');
    expect(form.headers.get('vary')).toMatch(/accept-language/i);
    await browser.submit(form, /\/login$/, { email: 'amelie@example.com' });
    const mail = await latestSignInMail(linkid, 'amelie@example.com');
    const expires = new Date(clock.now() + 600_000);
    expect(mail.message.subject).toBe('Votre lien de connexion pour Notes');
    expect(mail.message.text).toContain(
      `expirent dans 10 minutes (le ${expires.getUTCDate()} ${FRENCH_MONTHS[expires.getUTCMonth()]} ${expires.getUTCFullYear()} à ${hhmm(expires)} UTC).`,
    );
  });

  it('ui_locales wins over Accept-Language, and a regional tag finds its language', async () => {
    const { rp } = await setup();
    const form = await new ReadingBrowser('de').follow((await rp.authorizationUrl({ ui_locales: 'ja es-MX' })).url);
    expectPageIn(form, 'es', 'Iniciar sesión en Notes');
    const austrian = await new ReadingBrowser('de-AT').follow((await rp.authorizationUrl()).url);
    expectPageIn(austrian, 'de', 'Bei Notes anmelden');
  });

  it('a language linkid does not ship falls back to DEFAULT_LOCALE', async () => {
    const english = await setup();
    const page = await new ReadingBrowser('ja').follow((await english.rp.authorizationUrl({ ui_locales: 'ja' })).url);
    expectPageIn(page, 'en', 'Sign in to Notes', 'Email me a sign-in link');

    const spanish = await setup({ env: { DEFAULT_LOCALE: 'es' } });
    const browser = new ReadingBrowser('ja, zh;q=0.8');
    const form = await browser.follow((await spanish.rp.authorizationUrl({ ui_locales: 'ja' })).url);
    expectPageIn(form, 'es', 'Iniciar sesión en Notes');
    await browser.submit(form, /\/login$/, { email: 'kenji@example.com' });
    expect((await latestSignInMail(spanish.linkid, 'kenji@example.com')).message.subject).toBe('Su enlace de inicio de sesión para Notes');
    expectPageIn(await new Browser().request(`${spanish.linkid.issuer}/no/such/page`), 'es', 'Página no encontrada');
  });
});

describe('JSON answers', () => {
  it("a refusal for a JSON client describes itself in the reader's language and says which", async () => {
    const { linkid } = await setup();
    const answer = await fetch(`${linkid.issuer}/no/such/page`, { headers: { accept: 'application/json', 'accept-language': 'de-DE,de;q=0.9' } });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-language')).toBe('de');
    expect(answer.headers.get('vary')).toMatch(/accept-language/i);
    expect(await answer.json()).toMatchObject({ error: 'not_found', error_description: 'Seite nicht gefunden' });
  });
});

describe.each(LOCALES)('every page in %s', (locale) => {
  it('from the email form to the app, logout, "This wasn\'t me", a renewed link and the error pages', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock }, { name: 'Photos' });
    const t = wordsIn(locale);
    const app = 'Photos';
    const browser = new ReadingBrowser(locale);

    const attempt = await rp.authorizationUrl({ ui_locales: locale });
    const form = await browser.follow(attempt.url);
    expectPageIn(form, locale, t('emailForm.title'), t('emailForm.heading', { app }), t('emailForm.intro'), t('emailForm.submit'), t('emailForm.cancel'));
    expectPageIn(await browser.submit(form, /\/login$/, { email: 'not an address' }), locale, t('reason.invalid_email.next'));

    const check = await browser.submit(form, /\/login$/, { email: 'reader@example.com' });
    expectPageIn(check, locale, t('checkEmail.heading'), t('checkEmail.linkOrCode', { count: 10 }), t('checkEmail.codeLabel'), t('checkEmail.resend'));
    const mail = await latestSignInMail(linkid, 'reader@example.com');
    expect(mail.message.subject).toBe(t('email.subject', { app }));
    expect(mail.message.html).toContain(`<html lang="${locale}">`);
    expect(mail.message.text).toContain(t('email.neverShare'));

    // The link opened in another browser: what it can do there, and the numbers to approve with.
    const elsewhere = new Browser();
    const other = await elsewhere.request(mail.link);
    expectPageIn(other, locale, t('otherBrowser.heading'), t('otherBrowser.approveButton'), t('otherBrowser.qrButton'), t('otherBrowser.codeHint'));
    const numbers = await elsewhere.submit(other, /\/login\/link\/approve$/);
    expectPageIn(numbers, locale, t('approve.heading'), t('approve.intro', { app }), t('approve.notMe'));
    expectPageIn(check, locale, t('checkEmail.continue'));

    const wrong = await browser.submit(check, /\/code$/, { code: mail.code === '000000' ? '111111' : '000000' });
    expectPageIn(wrong, locale, `${t('reason.code_invalid.title')}. ${t('reason.code_invalid.next')}`);
    const consent = await browser.submit(check, /\/code$/, { code: mail.code }, rp.redirectUri);
    expectPageIn(consent, locale, t('consent.title'), t('consent.heading', { app }), t('consent.scope.openid'), t('consent.scope.email'), t('consent.allow'));
    const landed = await browser.submit(consent, /\/consent$/, { decision: 'allow' }, rp.redirectUri);
    const tokens = await rp.redeem(landed.location!, attempt);

    const logout = await browser.follow(oidc.buildEndSessionUrl(rp.config, { id_token_hint: tokens.id_token!, ui_locales: locale }).href);
    expectPageIn(logout, locale, t('logout.title'), t('logout.headingApp', { app }), t('logout.intro'), t('logout.yes'), t('logout.no'));
    expectPageIn(await browser.submit(logout, /\/session\/end\/confirm$/, { logout: 'yes' }), locale, t('loggedOut.heading'));

    // A second sign-in: its link expires, a new one is mailed, then the owner of the address ends it.
    clock.advance(60_000); // the outbox orders mails by the time they were written
    const again = await browser.follow((await rp.authorizationUrl({ ui_locales: locale })).url);
    const waiting = await browser.submit(again, /\/login$/, { email: 'reader@example.com' });
    const late = await latestSignInMail(linkid, 'reader@example.com');
    clock.advance(11 * 60 * 1000);
    const expired = await browser.request(late.link);
    expectPageIn(expired, locale, t('reason.token_expired.title'), t('error.renewLink'));
    expectPageIn(await browser.submit(expired, /\/login\/link\/renew$/), locale, t('linkRenewed.heading'), t('linkRenewed.status'));
    const renewed = await latestSignInMail(linkid, 'reader@example.com');
    expect(renewed.link).not.toBe(late.link);
    expect(renewed.message.subject).toBe(t('email.subject', { app }));

    const owner = new Browser(); // names no language: the pages speak the sign-in's
    const cancel = await owner.request(cancelLinkOf(renewed));
    expectPageIn(cancel, locale, t('cancel.heading'), t('cancel.button'), t('cancel.safe'));
    expectPageIn(await owner.submit(cancel, /\/login\/cancel$/), locale, t('cancelled.heading'), t('cancelled.status'), t('cancelled.more'));
    expectPageIn(await browser.submit(waiting, /\/login$/), locale, t('reason.sign_in_cancelled.title'), t('error.backToApp', { app }));

    expectPageIn(await browser.request(`${linkid.issuer}/no/such/page`), locale, t('reason.not_found.title'), t('reason.not_found.next'));
    const authorize = new URL(rp.config.serverMetadata().authorization_endpoint!);
    authorize.search = new URLSearchParams({ client_id: 'nobody', response_type: 'code', scope: 'openid', ui_locales: locale }).toString();
    expectPageIn(await browser.request(authorize.href), locale, t('oidcError.heading'), t('oidcError.invalid_client'));
  });
});
