// "Your data" as its owner uses it, through a real linkid on loopback, a cookie-keeping browser
// and an openid-client app: the download holds the account, its apps, its browsers and its audit
// events and nothing secret or of anyone else; deleting asks for a fresh link when the sign-in is
// old, refuses a cross-site post and a wrong confirmation, and otherwise removes the account for
// good: its tokens die, its app hears of it by back-channel logout, its audit events stay without
// the address, and the address signs up again as a new account.
import { describe, expect, it, vi } from 'vitest';
import { openAccount, signInOnForm } from '../support/account.js';
import { Browser, type Page } from '../support/browser.js';
import { askToChange, latestChangeMail, pressLink } from '../support/email-change.js';
import { createUser } from '../support/factories.js';
import { fakeClock } from '../support/fake-clock.js';
import type { RunningLinkid } from '../support/linkid.js';
import { useLogoutReceivers, verifyLogoutToken } from '../support/logout-receiver.js';
import { RelyingParty, oidc } from '../support/relying-party.js';
import { reasonOf, requestLink, signIn } from '../support/sign-in.js';
import { holding, storedRecords } from '../support/stored-records.js';
import { useLinkid } from '../support/use-linkid.js';

const CHROME_ON_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const OFFLINE = { scope: 'openid email offline_access', prompt: 'consent' };
const MINUTE = 60_000;

interface AccountData {
  account: { sub: string; email: string; created_at: string; last_login_at: string | null };
  apps: { client_id: string; name: string; scopes: string[]; granted_at: string | null }[];
  sessions: { this_browser: boolean; user_agent: string | null; signed_in_at: string | null; last_active_at: string | null; apps: string[] }[];
  audit_events: {
    window_days: number;
    since: string;
    max_events: number;
    truncated: boolean;
    events: { event: string; at: string; request_id: string | null; user_agent: string | null }[];
  };
}

/** Every cookie value a browser holds for linkid, on any path. */
async function cookieValues(browser: Browser, linkid: RunningLinkid): Promise<string[]> {
  return (await browser.jar.getCookies(linkid.issuer, { allPaths: true })).map((cookie) => cookie.value).filter((value) => value.length >= 8);
}

/** An app with a back-channel logout endpoint, registered with linkid. */
async function appWithBackchannel(linkid: RunningLinkid, uri: string): Promise<RelyingParty> {
  const client = await linkid.createClient({
    name: 'Calendar',
    firstParty: true,
    redirectUris: ['http://localhost:5000/cb'],
    metadata: { backchannel_logout_uri: uri, backchannel_logout_session_required: true },
  });
  return RelyingParty.discover(linkid.issuer, client);
}

const isIso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

describe('download my data', () => {
  const suite = useLinkid();

  it('holds the account, its app with scopes, both its browsers and its audit events; nothing secret, nothing of another account', async () => {
    const { linkid, rp } = await suite.setup();
    const chrome = new Browser(CHROME_ON_MAC);
    const firefox = new Browser(FIREFOX_ON_WINDOWS);
    const first = await signIn(chrome, linkid, rp, 'ada@example.com', OFFLINE);
    const second = await signIn(firefox, linkid, rp, 'ada@example.com', OFFLINE);
    const refreshed = await oidc.refreshTokenGrant(rp.config, first.tokens.refresh_token!);
    const other = await signIn(new Browser(), linkid, rp, 'bob@example.com', OFFLINE);
    await linkid.settle();

    const account = await chrome.follow(`${linkid.issuer}/account`);
    expect(account.body).toContain('href="/account/data"');
    expect(account.body).toContain('Download my data');
    const download = await chrome.request(`${linkid.issuer}/account/data`);

    expect(download.status, download.body).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/^application\/json/);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="linkid-data-\d{4}-\d\d-\d\d\.json"$/);
    expect(download.headers.get('cache-control')).toBe('no-store');
    const data = JSON.parse(download.body) as AccountData;
    const sub = first.tokens.claims()!.sub;
    expect(data.account).toEqual({ sub, email: 'ada@example.com', created_at: isIso, last_login_at: isIso });
    expect(data.apps).toEqual([
      { client_id: rp.client.client_id, name: 'Notes', scopes: expect.arrayContaining(['openid', 'email', 'offline_access']), granted_at: isIso },
    ]);
    expect(data.sessions.map((session) => [session.user_agent, session.this_browser]).sort()).toEqual(
      [
        [CHROME_ON_MAC, true],
        [FIREFOX_ON_WINDOWS, false],
      ].sort(),
    );
    for (const session of data.sessions) expect(session).toMatchObject({ signed_in_at: isIso, last_active_at: isIso, apps: [rp.client.client_id] });
    expect(data.audit_events).toMatchObject({ window_days: 30, max_events: 1000, truncated: false, since: isIso });
    const events = data.audit_events.events.map((event) => event.event);
    // By account id, and by its address before the account existed (the first email asked for).
    for (const expected of ['login.requested', 'mail.sent', 'account.created', 'login.completed', 'tokens.issued']) expect(events).toContain(expected);
    expect(events.filter((event) => event === 'login.completed')).toHaveLength(2);

    const secrets = [
      ...[first, second].flatMap(({ mail, callback, tokens }) => [
        mail.token,
        mail.code,
        new URL(callback).searchParams.get('code')!,
        tokens.access_token,
        tokens.refresh_token!,
        tokens.id_token!,
      ]),
      refreshed.access_token,
      refreshed.refresh_token!,
      rp.client.client_secret!,
      ...(await cookieValues(chrome, linkid)),
      ...(await cookieValues(firefox, linkid)),
    ];
    expect(secrets.length).toBeGreaterThan(15);
    for (const secret of secrets) expect(download.body, `a secret (${secret.slice(0, 4)}...) is in the download`).not.toContain(secret);
    expect(download.body).not.toContain('bob@example.com');
    expect(download.body).not.toContain(other.tokens.claims()!.sub);
  });

  it('holds no event of the account that had its address before: a new account at a given-up address sees only its own', async () => {
    const { linkid, rp } = await suite.setup();
    // The first holder of ada@example.com signs in, then moves the account to another address.
    const before = new Browser(FIREFOX_ON_WINDOWS);
    const earlier = await signIn(before, linkid, rp, 'ada@example.com');
    expect((await askToChange(before, linkid, 'ada@elsewhere.example')).status).toBe(200);
    const moved = await pressLink(before, await latestChangeMail(linkid, 'ada@elsewhere.example', 'confirm'));
    expect(moved.status, moved.body).toBe(200);
    // Someone else signs up with the address it gave up.
    const after = new Browser(CHROME_ON_MAC);
    const later = await signIn(after, linkid, rp, 'ada@example.com');
    expect(later.tokens.claims()!.sub).not.toBe(earlier.tokens.claims()!.sub);
    await linkid.settle();

    const data = JSON.parse((await after.request(`${linkid.issuer}/account/data`)).body) as AccountData;

    expect(data.account.sub).toBe(later.tokens.claims()!.sub);
    const { events } = data.audit_events;
    const earlierRequests = new Set(
      (await linkid.store.audit.search({ accountId: earlier.tokens.claims()!.sub }, linkid.clock.now())).map((event) => event.requestId),
    );
    expect(events.filter((event) => event.user_agent === FIREFOX_ON_WINDOWS)).toEqual([]);
    expect(events.filter((event) => earlierRequests.has(event.request_id))).toEqual([]);
    // Its own sign-in is all there, the email asked for before the account existed included.
    for (const own of ['login.requested', 'mail.sent', 'account.created', 'login.completed']) {
      expect(
        events.filter((event) => event.event === own),
        own,
      ).toHaveLength(1);
    }
  });

  it('sends a browser without a session to the sign-in first, then back to the download', async () => {
    const { linkid } = await suite.setup();
    const user = await createUser(linkid, 'grace@example.com');
    const browser = new Browser();

    const asked = await browser.request(`${linkid.issuer}/account/data`);
    expect(asked.status).toBe(303);
    expect(asked.location).toMatch(/\/auth\?/);
    expect(asked.body).not.toContain(user.id);

    const download = await openAccount(browser, linkid, 'grace@example.com', '/account/data');
    expect(download.url).toBe(`${linkid.issuer}/account/data`);
    expect((JSON.parse(download.body) as AccountData).account.sub).toBe(user.id);
  });
});

/** The delete page's form, submitted with `email` typed in. */
async function submitDelete(browser: Browser, page: Page, email: string): Promise<Page> {
  return browser.submit(page, /\/account\/delete$/, { email });
}

describe('delete my account', () => {
  const suite = useLinkid();
  const logoutReceiver = useLogoutReceivers();

  it('asks for a fresh link when the sign-in is more than 10 minutes old, deleting nothing until then', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await suite.setup({ clock });
    const browser = new Browser();
    const held = await signIn(browser, linkid, rp, 'ada@example.com', OFFLINE);
    const sub = held.tokens.claims()!.sub;
    clock.advance(11 * MINUTE);

    const page = await browser.request(`${linkid.issuer}/account/delete`);
    const posted = await browser.request(`${linkid.issuer}/account/delete`, { form: { email: 'ada@example.com' } });

    for (const answer of [page, posted]) {
      expect(answer.status, answer.body).toBe(303);
      const signInUrl = new URL(answer.location!);
      expect(signInUrl.pathname).toBe('/auth');
      expect(signInUrl.searchParams.get('prompt')).toBe('login');
      expect(signInUrl.searchParams.get('login_hint')).toBe('ada@example.com');
    }
    expect(await linkid.store.users.findById(sub)).toMatchObject({ email: 'ada@example.com', disabledAt: null });
    expect((await oidc.refreshTokenGrant(rp.config, held.tokens.refresh_token!)).access_token).toBeTruthy();

    // The fresh link brings the browser back to the delete page. (oidc-provider stamps a sign-in
    // with the real time, so the clock goes back near it first: a minute ahead, so the new email
    // still sorts after the first one in the outbox.)
    clock.advance(-10 * MINUTE);
    // (The post's sign-in, the later one, is the one this browser's flow cookie remembers.)
    const form = await browser.follow(posted.location!);
    expect(form.url).toMatch(/\/interaction\/[^/]+$/);
    const confirm = await signInOnForm(browser, linkid, form, 'ada@example.com');
    expect(confirm.url).toBe(`${linkid.issuer}/account/delete`);
    expect(confirm.body).toContain('Type your email address to confirm');
    expect(await linkid.store.users.findById(sub)).toBeDefined();
  });

  it('deletes for good: tokens refused, the app told by back-channel logout, pending links dead, audit events kept without the address, the address signs up anew', async () => {
    const { linkid } = await suite.setup({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true' } });
    const receiver = await logoutReceiver();
    const app = await appWithBackchannel(linkid, receiver.uri);
    const browser = new Browser(CHROME_ON_MAC);
    const held = await signIn(browser, linkid, app, 'ada@example.com', OFFLINE);
    const sub = held.tokens.claims()!.sub;
    const elsewhere = new Browser();
    const pending = await requestLink(elsewhere, linkid, await app.authorizationUrl(), 'ada@example.com');

    const account = await browser.follow(`${linkid.issuer}/account`);
    expect(account.body).toContain('href="/account/delete"');
    const page = await browser.follow(`${linkid.issuer}/account/delete`);
    expect(page.status, page.body).toBe(200);
    expect(page.body).toContain('<strong>ada@example.com</strong>');
    expect(page.body).toContain('Calendar');
    const done = await submitDelete(browser, page, ' Ada@Example.com ');

    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain('Your account is deleted');
    expect(await linkid.store.users.findById(sub)).toBeUndefined();
    expect(await linkid.store.users.findByEmail('ada@example.com')).toBeUndefined();
    await expect(oidc.refreshTokenGrant(app.config, held.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(app.config, held.tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 5_000 });
    const logout = await verifyLogoutToken(linkid.issuer, receiver.received[0]!.token, app.client.client_id);
    expect(logout).toMatchObject({ sub, sid: held.tokens.claims()!.sid });

    // Signed out here; the link asked for in another browser before the deletion is dead.
    expect((await browser.follow(`${linkid.issuer}/account`)).url).toMatch(/\/interaction\/[^/]+$/);
    expect(reasonOf(await elsewhere.request(pending.mail.link))).toBe('token_unknown');
    expect(await linkid.store.loginTokens.findByHash(pending.mail.token)).toBeUndefined();
    const typed = await elsewhere.submit(pending.page, /\/code$/, { code: pending.mail.code });
    expect(typed.status, typed.body.slice(0, 3000)).toBe(410);

    await linkid.settle();
    const events = await linkid.store.audit.search({ accountId: sub }, linkid.clock.now());
    expect(events.map((event) => event.event)).toEqual(expect.arrayContaining(['account.created', 'login.completed', 'user.deleted']));
    expect(events.filter((event) => event.email !== null)).toEqual([]);
    expect(events.find((event) => event.event === 'user.deleted')?.fields).toMatchObject({ via: 'account-page', by: 'self', sessions: 1 });
    expect(await linkid.store.audit.search({ email: 'ada@example.com' }, linkid.clock.now())).toEqual([]);
    // What still names the address: the send queue's finished messages, until they are purged.
    expect(holding(await storedRecords(linkid), 'ada@example.com')).toEqual(['mail_queue']);

    const again = await signIn(new Browser(), linkid, app, 'ada@example.com');
    expect(again.tokens.claims()!.sub).not.toBe(sub);
  });

  it('refuses a cross-site post and a wrong or missing confirmation, deleting nothing', async () => {
    const { linkid, rp } = await suite.setup();
    const browser = new Browser();
    const held = await signIn(browser, linkid, rp, 'ada@example.com', OFFLINE);
    const sub = held.tokens.claims()!.sub;
    await createUser(linkid, 'bob@example.com');
    const page = await browser.follow(`${linkid.issuer}/account/delete`);

    const crossSite = await browser.request(`${linkid.issuer}/account/delete`, {
      form: { email: 'ada@example.com' },
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    const wrong = await submitDelete(browser, page, 'bob@example.com');
    const missing = await browser.request(`${linkid.issuer}/account/delete`, { form: {} });

    expect(crossSite.status).toBe(403);
    expect(reasonOf(crossSite)).toBe('origin_mismatch');
    for (const refused of [wrong, missing]) {
      expect(refused.status, refused.body).toBe(400);
      expect(reasonOf(refused)).toBe('confirmation_mismatch');
      expect(refused.body).toContain('href="/account/delete"');
    }
    expect(await linkid.store.users.findById(sub)).toMatchObject({ disabledAt: null });
    expect(await linkid.store.users.findByEmail('bob@example.com')).toBeDefined();
    expect((await oidc.refreshTokenGrant(rp.config, held.tokens.refresh_token!)).access_token).toBeTruthy();
    expect((await browser.follow(`${linkid.issuer}/account`)).url).toBe(`${linkid.issuer}/account`);
  });
});
