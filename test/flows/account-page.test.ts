// The account page as its owner uses it: reached through the linkid session (single sign-on from
// an app, or the magic link when there is none), it shows the address, the signed-in browsers
// and the apps with access; "remove access" and "sign out everywhere" end what they say, at the
// token level an app sees (refresh and userinfo refused).
import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/i18n/catalog.js';
import { openAccount, signInOnForm } from '../support/account.js';
import { Browser } from '../support/browser.js';
import { createUser, registerApp } from '../support/factories.js';
import { fakeClock } from '../support/fake-clock.js';
import { mailsTo } from '../support/outbox.js';
import { oidc } from '../support/relying-party.js';
import { reasonOf, signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const CHROME_ON_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const offline = { scope: 'openid email offline_access', prompt: 'consent' };

describe('the account page', () => {
  const suite = useLinkid();

  it('opens through the session an app sign-in left, with no second email, and shows the address, the browser and the app', async () => {
    const { linkid, rp } = await suite.setup();
    const browser = new Browser(CHROME_ON_MAC);
    await signIn(browser, linkid, rp, 'ada@example.com');
    const mailsBefore = (await mailsTo(linkid, 'ada@example.com')).length;

    const page = await browser.follow(`${linkid.issuer}/account`);

    expect(page.status, page.body).toBe(200);
    expect(page.url).toBe(`${linkid.issuer}/account`);
    expect(page.body).toContain('<strong>ada@example.com</strong>');
    expect(page.body).toMatch(/Account created <time datetime="[^"]+" data-local>\w+ \d+, \d{4} at \d+:\d\d\s[AP]M UTC<\/time>\./);
    expect(page.body).toContain('Chrome on macOS');
    expect(page.body).toContain('this browser');
    expect(page.body).toMatch(/<strong>Notes<\/strong>/);
    expect(page.body).toContain('See your email address');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect((await mailsTo(linkid, 'ada@example.com')).length).toBe(mailsBefore);
  });

  it("writes every time in UTC, saying so, inside a <time> that the page's nonced script rewrites in the reader's zone", async () => {
    const { linkid, rp } = await suite.setup();
    const browser = new Browser(CHROME_ON_MAC);
    await signIn(browser, linkid, rp, 'ada@example.com', offline);
    const user = (await linkid.store.users.findByEmail('ada@example.com'))!;

    const page = await browser.request(`${linkid.issuer}/account`, { headers: { 'accept-language': 'de' } });

    expect(page.status, page.body).toBe(200);
    const created = new Date(user.createdAt);
    const text = createCatalog().formatDateTime('de', user.createdAt);
    expect(text).toMatch(/^\d+\. \p{L}+ \d{4} um \d\d:\d\d UTC$/u);
    expect(page.body).toContain(`Konto erstellt am <time datetime="${created.toISOString()}" data-local>${text}</time>.`);
    // Created, signed in, and the app granted: each a <time> in UTC.
    const times = [...page.body.matchAll(/<time datetime="([^"]+)" data-local>([^<]+)<\/time>/g)];
    expect(times.length).toBe(3);
    expect(page.body).toMatch(/Angemeldet am <time [^>]+>[^<]+ UTC<\/time>/);
    expect(page.body).toMatch(/seit <time [^>]+>[^<]+ UTC<\/time>/);
    for (const [, iso, shown] of times) {
      expect(new Date(iso!).toISOString()).toBe(iso);
      expect(shown).toBe(createCatalog().formatDateTime('de', Date.parse(iso!)));
    }
    const nonce = /script-src 'nonce-([^']+)'/.exec(page.headers.get('content-security-policy') ?? '')?.[1];
    expect(nonce).toBeTruthy();
    const script = /<script nonce="([^"]+)">([\s\S]*?)<\/script>/.exec(page.body);
    expect(script?.[1]).toBe(nonce);
    expect(script?.[2]).toContain("querySelectorAll('time[data-local]')");
    expect(script?.[2]).toContain('Intl.DateTimeFormat');
  });

  it('asks a browser without a session for a magic link, then comes back to the account page', async () => {
    const { linkid } = await suite.setup();
    await createUser(linkid, 'grace@example.com');
    const browser = new Browser(FIREFOX_ON_WINDOWS);

    const page = await openAccount(browser, linkid, 'grace@example.com');

    expect(page.status, page.body).toBe(200);
    expect(page.url).toBe(`${linkid.issuer}/account`);
    expect(page.body).toContain('<strong>grace@example.com</strong>');
    expect(page.body).toContain('Firefox on Windows');
    // The page's own sign-in is not an app with access.
    expect(page.body).toContain('No app has access to your account.');
  });

  it('creates no account for an unknown address: it gets the refused email and never reaches the page', async () => {
    const { linkid } = await suite.setup();
    const browser = new Browser();
    const form = await browser.follow(`${linkid.issuer}/account`);
    expect(form.url).toMatch(/\/interaction\/[^/]+$/);
    const check = await browser.submit(form, /\/login$/, { email: 'nobody@example.com' });
    expect(check.status).toBe(200);
    expect(check.body).toContain('Check your email');
    const [mail] = await mailsTo(linkid, 'nobody@example.com');
    expect(mail?.text).not.toMatch(/\/login\/link\?token=/);
    expect(await linkid.store.users.findByEmail('nobody@example.com')).toBeUndefined();
  });

  it('lists every signed-in browser, marking only the one looking', async () => {
    const { linkid, rp } = await suite.setup();
    const chrome = new Browser(CHROME_ON_MAC);
    const firefox = new Browser(FIREFOX_ON_WINDOWS);
    await signIn(chrome, linkid, rp, 'ada@example.com');
    await signIn(firefox, linkid, rp, 'ada@example.com');

    const fromChrome = await chrome.follow(`${linkid.issuer}/account`);
    const fromFirefox = await firefox.follow(`${linkid.issuer}/account`);

    for (const page of [fromChrome, fromFirefox]) {
      expect(page.body).toContain('Chrome on macOS');
      expect(page.body).toContain('Firefox on Windows');
      expect(page.body.match(/class="badge"/g)?.length).toBe(1);
    }
    expect(fromChrome.body).toMatch(/Chrome on macOS<\/strong> <span class="badge">this browser/);
    expect(fromFirefox.body).toMatch(/Firefox on Windows<\/strong> <span class="badge">this browser/);
  });

  it('removes one app: its refresh and access tokens stop working, the other app keeps its own, and it asks for consent again', async () => {
    const { linkid, rp: notes } = await suite.setup();
    const wiki = await registerApp(linkid, { name: 'Wiki', firstParty: false });
    const browser = new Browser();
    const atNotes = await signIn(browser, linkid, notes, 'ada@example.com', offline);
    const wikiAttempt = await wiki.authorizationUrl(offline);
    let page = await browser.follow(wikiAttempt.url, wiki.redirectUri);
    page = await browser.submit(page, /\/consent$/, { decision: 'allow' }, wiki.redirectUri);
    const atWiki = await wiki.redeem(page.location!, wikiAttempt);

    const account = await browser.follow(`${linkid.issuer}/account`);
    expect(account.body).toMatch(/<strong>Wiki<\/strong>/);
    const removed = await browser.submit(account, /\/account\/apps\/remove$/, { client_id: wiki.client.client_id });

    expect(removed.url).toBe(`${linkid.issuer}/account`);
    expect(removed.body).not.toMatch(/<strong>Wiki<\/strong>/);
    expect(removed.body).toMatch(/<strong>Notes<\/strong>/);
    await expect(oidc.refreshTokenGrant(wiki.config, atWiki.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(wiki.config, atWiki.access_token, oidc.skipSubjectCheck)).rejects.toThrow();
    const stillNotes = await oidc.refreshTokenGrant(notes.config, atNotes.tokens.refresh_token!);
    expect(stillNotes.access_token).toBeTruthy();
    // Still signed in to linkid, but Wiki must be allowed again.
    const again = await browser.follow((await wiki.authorizationUrl(offline)).url, wiki.redirectUri);
    expect(again.body).toContain('name="decision"');
  });

  it('signs out everywhere: every browser asks for a link again and every refresh token is refused', async () => {
    const { linkid, rp } = await suite.setup();
    const here = new Browser(CHROME_ON_MAC);
    const there = new Browser(FIREFOX_ON_WINDOWS);
    const first = await signIn(here, linkid, rp, 'ada@example.com', offline);
    const second = await signIn(there, linkid, rp, 'ada@example.com', offline);

    const account = await here.follow(`${linkid.issuer}/account`);
    const done = await here.submit(account, /\/account\/sign-out-everywhere$/);

    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain('2 browsers were signed out');
    for (const browser of [here, there]) {
      const page = await browser.follow(`${linkid.issuer}/account`);
      expect(page.url).toMatch(/\/interaction\/[^/]+$/);
    }
    for (const tokens of [first.tokens, second.tokens]) {
      await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    }
  });

  it('refuses a removal without the same-origin form, and of a client the account page itself is', async () => {
    const { linkid, rp } = await suite.setup();
    const browser = new Browser();
    const atNotes = await signIn(browser, linkid, rp, 'ada@example.com', offline);

    const crossSite = await browser.request(`${linkid.issuer}/account/apps/remove`, {
      form: { client_id: rp.client.client_id },
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    const own = await browser.request(`${linkid.issuer}/account/apps/remove`, { form: { client_id: 'linkid-account' } });

    expect(crossSite.status).toBe(403);
    expect(reasonOf(crossSite)).toBe('origin_mismatch');
    expect(own.status).toBe(400);
    expect(reasonOf(own)).toBe('invalid_request');
    expect((await oidc.refreshTokenGrant(rp.config, atNotes.tokens.refresh_token!)).access_token).toBeTruthy();
  });

  it('destroys the code its own sign-in returns: the callback URL signs in no other browser', async () => {
    const { linkid } = await suite.setup();
    await createUser(linkid, 'grace@example.com');
    const browser = new Browser();
    const form = await browser.follow(`${linkid.issuer}/account`);
    const check = await browser.submit(form, /\/login$/, { email: 'grace@example.com' });
    expect(check.status).toBe(200);
    const { confirmLink } = await import('../support/sign-in.js');
    const { latestSignInMail } = await import('../support/outbox.js');
    const confirmed = await confirmLink(browser, await latestSignInMail(linkid, 'grace@example.com'));
    const callback = await browser.follow(confirmed.location!, `${linkid.issuer}/account/callback`);
    expect(callback.location).toMatch(/\/account\/callback\?code=/);

    const stranger = new Browser();
    const replayed = await stranger.follow(callback.location!);
    expect(replayed.url).toMatch(/\/interaction\/[^/]+$/);
    const owner = await browser.follow(callback.location!);
    expect(owner.url).toBe(`${linkid.issuer}/account`);
    expect(owner.body).toContain('grace@example.com');
    const code = new URL(callback.location!).searchParams.get('code')!;
    expect(await linkid.services.provider.AuthorizationCode.find(code)).toBeUndefined();
  });

  it("asks a sign-in older than 10 minutes for a fresh link before a sensitive page, and the fresh one counts on linkid's own clock", async () => {
    const clock = fakeClock();
    const { linkid, rp } = await suite.setup({ clock });
    const browser = new Browser();
    await signIn(browser, linkid, rp, 'ada@example.com');
    expect((await browser.follow(`${linkid.issuer}/account/email`)).url).toBe(`${linkid.issuer}/account/email`);

    clock.advance(11 * 60 * 1000);
    const form = await browser.follow(`${linkid.issuer}/account/email`);
    expect(form.url).toMatch(/\/interaction\/[^/]+$/);
    expect(form.body).toContain('value="ada@example.com"');
    const page = await signInOnForm(browser, linkid, form, 'ada@example.com');

    expect(page.url).toBe(`${linkid.issuer}/account/email`);
    expect(page.body).toContain('New email address');
    // Reading the account page itself never needed a fresh sign-in.
    clock.advance(11 * 60 * 1000);
    expect((await browser.follow(`${linkid.issuer}/account`)).url).toBe(`${linkid.issuer}/account`);
  });

  it('shows a reason, not a loop, when its sign-in comes back with an error', async () => {
    const { linkid } = await suite.setup();
    const page = await new Browser().request(`${linkid.issuer}/account/callback?error=access_denied&state=x`);
    expect(page.status).toBe(400);
    expect(reasonOf(page)).toBe('sign_in_unfinished');
    expect(page.body).toContain('href="/account"');
  });
});
