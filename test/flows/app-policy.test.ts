// Apps with their own policy, over HTTP with openid-client as the RP: each app's sign-up policy
// (open, allowlist, closed, inherit) decides who may sign in to it, an app's allowlist holds for
// existing accounts and for single sign-on too, each app's links live as long as it asks, an app
// limited to some scopes gets invalid_scope for others, consent is asked or skipped per app, and
// a stored setting that cannot be read admits nobody instead of failing.
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { createUser, registerApp } from '../support/factories.js';
import { fakeClock } from '../support/fake-clock.js';
import type { RunningLinkid } from '../support/linkid.js';
import { mailsTo } from '../support/outbox.js';
import { RelyingParty, oidc } from '../support/relying-party.js';
import { confirmLink, reasonOf, requestLink, signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { start } = useLinkid();

/** The one mail `to` got for the latest sign-in: a sign-in mail (true) or the refused one (false). */
async function gotLink(linkid: RunningLinkid, to: string): Promise<boolean> {
  const mail = (await mailsTo(linkid, to)).at(-1);
  if (!mail) throw new Error(`no mail to ${to}`);
  return mail.text.includes('/login/link?token=');
}

/** Asks `app` for a link for `email` in a fresh browser; the check-your-email page is the same whatever the outcome. */
async function ask(linkid: RunningLinkid, app: RelyingParty, email: string) {
  const browser = new Browser();
  const form = await browser.follow((await app.authorizationUrl()).url);
  const page = await browser.submit(form, /\/login$/, { email });
  expect(page.status, page.body).toBe(200);
  return { browser, page, link: await gotLink(linkid, email) };
}

describe('sign-up policy per app', () => {
  it('an app with an allowlist takes its domains only, existing accounts included, while an open app takes anyone', async () => {
    const linkid = await start({ env: { SIGNUP: 'closed' } });
    const intranet = await registerApp(linkid, { name: 'Intranet', consent: 'skip', signup: 'allowlist', signupDomains: 'corp.example' });
    const forum = await registerApp(linkid, { name: 'Forum', consent: 'skip', signup: 'open' });

    // The global policy is closed: the open app makes new accounts anyway, the allowlisted one for its domain.
    expect((await ask(linkid, forum, 'visitor@mail.example')).link).toBe(true);
    expect((await ask(linkid, intranet, 'staff@corp.example')).link).toBe(true);
    expect((await ask(linkid, intranet, 'staff@eu.corp.example')).link).toBe(true);

    // An account that exists (made through the forum) is still not one the intranet takes.
    await createUser(linkid, 'member@mail.example');
    expect((await ask(linkid, intranet, 'member@mail.example')).link).toBe(false);
    expect((await ask(linkid, forum, 'member@mail.example')).link).toBe(true);
    const refused = (await mailsTo(linkid, 'member@mail.example'))[0]!;
    expect(refused.subject).toContain('Intranet');
    expect(refused.text).toContain('cannot sign in to Intranet');
    expect(refused.text).toContain('Intranet is open only to some addresses, and this is not one of them.');
    expect(refused.text).not.toContain('it has no account');
  });

  it('an app that is closed takes existing accounts only, whatever the global policy', async () => {
    const linkid = await start({ env: { SIGNUP: 'open' } });
    const closed = await registerApp(linkid, { name: 'Board', consent: 'skip', signup: 'closed' });
    await createUser(linkid, 'member@example.com');
    expect((await ask(linkid, closed, 'member@example.com')).link).toBe(true);
    expect((await ask(linkid, closed, 'newcomer@example.com')).link).toBe(false);
  });

  it('an app that inherits follows the global policy, and switching it to inherit restores that', async () => {
    const linkid = await start({ env: { SIGNUP: 'allowlist', SIGNUP_ALLOWED_DOMAINS: 'example.com' } });
    const client = await linkid.createClient({ name: 'Wiki', consent: 'skip', signup: 'open' });
    const wiki = await RelyingParty.discover(linkid.issuer, client);
    expect((await ask(linkid, wiki, 'one@example.org')).link).toBe(true);
    const updated = await linkid.updateClient(client.client_id, { signup: 'inherit' });
    expect(updated.settings).toEqual({});
    expect((await ask(linkid, wiki, 'two@example.org')).link).toBe(false);
    expect((await ask(linkid, wiki, 'three@example.com')).link).toBe(true);
  });

  it('an allowlisted app refuses a finished sign-in whose app changed its policy meanwhile (checked again at the end)', async () => {
    const linkid = await start({ env: { SIGNUP: 'open' } });
    const client = await linkid.createClient({ name: 'Intranet', consent: 'skip' });
    const intranet = await RelyingParty.discover(linkid.issuer, client);
    const browser = new Browser();
    const { mail } = await requestLink(browser, linkid, await intranet.authorizationUrl(), 'guest@mail.example');
    await linkid.updateClient(client.client_id, { signup: 'allowlist', signupDomains: 'corp.example' });
    const confirmed = await confirmLink(browser, mail);
    expect(confirmed.status).toBe(403);
    expect(reasonOf(confirmed)).toBe('signup_closed');
    expect(await linkid.store.users.findByEmail('guest@mail.example')).toBeUndefined();
  });

  it('single sign-on does not carry an account into an app whose allowlist refuses it', async () => {
    const linkid = await start({ env: { SIGNUP: 'open' } });
    const forum = await registerApp(linkid, { name: 'Forum', consent: 'skip' });
    const intranet = await registerApp(linkid, { name: 'Intranet', consent: 'skip', signup: 'allowlist', signupDomains: 'corp.example' });
    const staff = await registerApp(linkid, { name: 'Staff', consent: 'skip' });
    const browser = new Browser();
    await signIn(browser, linkid, forum, 'member@mail.example');

    // Another app without restrictions: straight back with a code (single sign-on works).
    const sso = await browser.follow((await staff.authorizationUrl()).url, staff.redirectUri);
    expect(sso.location).toMatch(/[?&]code=/);
    // The allowlisted app: its own email form, not a code; prompt=none says login_required.
    const form = await browser.follow((await intranet.authorizationUrl()).url, intranet.redirectUri);
    expect(form.status).toBe(200);
    expect(form.body).toContain('Sign in to Intranet');
    const silent = await browser.follow((await intranet.authorizationUrl({ prompt: 'none' })).url, intranet.redirectUri);
    expect(silent.location).toMatch(/[?&]error=login_required/);
    // An address it takes signs in there, in the same browser: oidc-provider ends the other
    // account's session first (its own self-submitting form), then the app gets a code.
    const attempt = await intranet.authorizationUrl();
    const { mail } = await requestLink(browser, linkid, attempt, 'staff@corp.example');
    const switched = await browser.follow((await confirmLink(browser, mail)).location!, intranet.redirectUri);
    const landed = switched.location ? switched : await browser.submit(switched, /\/session\/end\/confirm$/, {}, intranet.redirectUri);
    expect(landed.location).toMatch(/[?&]code=/);
    const tokens = await intranet.redeem(landed.location!, attempt);
    const userinfo = await oidc.fetchUserInfo(intranet.config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.email).toBe('staff@corp.example');
  });

  it('prompt=none at an allowlisted app answers a session of an account it refuses exactly as no session', async () => {
    const linkid = await start({ env: { SIGNUP: 'open' } });
    const forum = await registerApp(linkid, { name: 'Forum', consent: 'skip' });
    const intranet = await registerApp(linkid, { name: 'Intranet', consent: 'skip', signup: 'allowlist', signupDomains: 'corp.example' });
    const outsider = new Browser();
    await signIn(outsider, linkid, forum, 'member@mail.example');

    /** What the app sees come back to its redirect URI, but for its own state. */
    const silently = async (browser: Browser) => {
      const attempt = await intranet.authorizationUrl({ prompt: 'none' });
      const answer = await browser.follow(attempt.url, intranet.redirectUri);
      const params = new URL(answer.location!).searchParams;
      expect(params.get('state')).toBe(attempt.state);
      params.delete('state');
      return { status: answer.status, redirect: `${answer.location!.split('?')[0]}?${params.toString()}` };
    };
    const withSession = await silently(outsider);
    const withNone = await silently(new Browser());

    expect(withSession).toEqual(withNone);
    expect(new URL(withNone.redirect).searchParams.get('error')).toBe('login_required');
  });

  it('a stored sign-up setting that cannot be read admits nobody to that app, logs it, and never fails the page', async () => {
    const linkid = await start({ env: { SIGNUP: 'open' } });
    const client = await linkid.createClient({ name: 'Broken', consent: 'skip' });
    await linkid.store.clients.update(client.client_id, { settings: { signup: 'sometimes', link_ttl_seconds: 'soon' } }, linkid.clock.now());
    const broken = await RelyingParty.discover(linkid.issuer, client);
    await createUser(linkid, 'member@example.com');
    const { page, link } = await ask(linkid, broken, 'member@example.com');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Both work for 10 minutes');
    expect(link).toBe(false);
    expect(linkid.logs.join('')).toMatch(/stored app settings are invalid.*|"ignoredSettings":\["signup","link_ttl_seconds"\]/);
  });
});

describe('link lifetime per app', () => {
  it('each app’s links live as long as it asks, and the check-your-email page and the email say so', async () => {
    const clock = fakeClock();
    const linkid = await start({ clock, env: { LOGIN_TOKEN_TTL_SECONDS: '600' } });
    const quick = await registerApp(linkid, { name: 'Quick', consent: 'skip', linkTtlSeconds: 120 });
    const slow = await registerApp(linkid, { name: 'Slow', consent: 'skip' });

    const quickBrowser = new Browser();
    const quickLink = await requestLink(quickBrowser, linkid, await quick.authorizationUrl(), 'ada@example.com');
    expect(quickLink.page.body).toContain('Both work for 2 minutes');
    expect(quickLink.mail.message.text).toContain('expire in 2 minutes');
    const slowBrowser = new Browser();
    // Another address: two mails written in the same fake millisecond have no order in the outbox.
    const slowLink = await requestLink(slowBrowser, linkid, await slow.authorizationUrl(), 'lin@example.com');
    expect(slowLink.page.body).toContain('Both work for 10 minutes');

    clock.advance(121_000);
    const expired = await quickBrowser.request(quickLink.mail.link);
    expect(reasonOf(expired)).toBe('token_expired');
    expect((await confirmLink(slowBrowser, slowLink.mail)).status).toBe(303);
  });

  it('never lets an app’s links outlive a global cap lowered after it was set', async () => {
    const clock = fakeClock();
    const linkid = await start({ clock, keepData: true, env: { LOGIN_TOKEN_TTL_SECONDS: '600' } });
    const client = await linkid.createClient({ name: 'Quick', consent: 'skip', linkTtlSeconds: 300 });
    await linkid.close();
    const lowered = await start({ clock, dataDir: linkid.dataDir, env: { LOGIN_TOKEN_TTL_SECONDS: '120' } });
    const quick = await RelyingParty.discover(lowered.issuer, client);
    const { page, mail } = await requestLink(new Browser(), lowered, await quick.authorizationUrl(), 'ada@example.com');
    expect(page.body).toContain('Both work for 2 minutes');
    expect(mail.message.text).toContain('expire in 2 minutes');
  });
});

describe('scopes per app', () => {
  it('an app limited to openid gets invalid_scope for email (RFC 6749 §4.1.2.1), and signs in with openid alone', async () => {
    const linkid = await start();
    const limited = await registerApp(linkid, { name: 'Counter', consent: 'skip', scopes: ['openid'] });
    expect(limited.client).toMatchObject({ scope: 'openid' });

    const browser = new Browser();
    const refused = await browser.follow((await limited.authorizationUrl({ scope: 'openid email' })).url, limited.redirectUri);
    expect(refused.location).toMatch(/[?&]error=invalid_scope/);
    expect(refused.location).toMatch(/error_description=requested\+scope\+is\+not\+allowed/);
    const offline = await browser.follow((await limited.authorizationUrl({ scope: 'openid offline_access', prompt: 'consent' })).url, limited.redirectUri);
    expect(offline.location).toMatch(/[?&]error=invalid_scope/);

    const { tokens } = await signIn(browser, linkid, limited, 'ada@example.com', { scope: 'openid' });
    expect(tokens.scope).toBe('openid');
    expect(tokens.claims()?.email).toBeUndefined();

    // Unknown scopes are ignored, as OpenID Connect Core §3.1.2.1 says, not refused.
    const unknown = await browser.follow((await limited.authorizationUrl({ scope: 'openid profile' })).url, limited.redirectUri);
    expect(unknown.location).toMatch(/[?&]code=/);
  });

  it('an app allowed email gets it', async () => {
    const linkid = await start();
    const app = await registerApp(linkid, { name: 'Mailer', consent: 'skip', scopes: ['openid', 'email'] });
    const { tokens } = await signIn(new Browser(), linkid, app, 'ada@example.com');
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid']);
  });
});

describe('consent per app', () => {
  it('asks on an app that requires it and not on one that skips it, for the same person; first_party says which', async () => {
    const linkid = await start();
    const asking = await registerApp(linkid, { name: 'Partner', consent: 'required' });
    const trusted = await registerApp(linkid, { name: 'Own', consent: 'skip' });
    expect(asking.client).toMatchObject({ first_party: false, consent: 'required' });
    expect(trusted.client).toMatchObject({ first_party: true, consent: 'skip' });

    const browser = new Browser();
    const { mail } = await requestLink(browser, linkid, await asking.authorizationUrl(), 'ada@example.com');
    const consent = await browser.follow((await confirmLink(browser, mail)).location!, asking.redirectUri);
    expect(consent.body).toContain('Partner wants to know who you are');

    const other = new Browser();
    const second = await requestLink(other, linkid, await trusted.authorizationUrl(), 'ada@example.com');
    const landed = await other.follow((await confirmLink(other, second.mail)).location!, trusted.redirectUri);
    expect(landed.location).toMatch(/[?&]code=/);
  });
});
