// The admin console over HTTP, as an admin's browser and everyone else's meet it: only the
// addresses in ADMIN_EMAILS, signed in by the usual magic link, get in; anyone else signed in gets
// 403 admin_only; a change needs a sign-in under 10 minutes old; a cross-site form and a bearer
// token alone get nothing; a form that is not right is a 400 naming the field and the reason. Each
// page renders, and each change does what the CLI's does, audited with the admin's account id.
// The other parts of issue 24 reach the console too: About lists the signing keys of the ring,
// Apps makes and revokes initial access tokens for dynamic registration, and registers service
// clients of the admin API.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openAccount } from '../support/account.js';
import { linkidAdmin } from '../support/admin-cli.js';
import { Browser, type Page } from '../support/browser.js';
import { createUser } from '../support/factories.js';
import { fakeClock } from '../support/fake-clock.js';
import { mailsTo } from '../support/outbox.js';
import type { RunningLinkid } from '../support/linkid.js';
import { oidc, RelyingParty } from '../support/relying-party.js';
import { reasonOf, signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const ADMIN = 'ada@example.com';
const MINUTE = 60_000;
const ENV = { ADMIN_EMAILS: ' Ada@Example.com , root@example.org' };

/** A browser signed in to the console as the admin (making the account on the way, as a new admin's first visit does). */
async function adminBrowser(linkid: RunningLinkid, email = ADMIN): Promise<{ browser: Browser; page: Page; sub: string }> {
  const browser = new Browser();
  const page = await openAccount(browser, linkid, email, '/admin/apps');
  const user = await linkid.store.users.findByEmail(email);
  return { browser, page, sub: user!.id };
}

/** The stored audit events named `event`, after everything in flight is stored. */
async function eventsNamed(linkid: RunningLinkid, event: string) {
  await linkid.settle();
  return (await linkid.store.audit.search({}, linkid.clock.now())).filter((record) => record.event === event);
}

const problemsOf = (page: Page) => [...page.body.matchAll(/<li><a href="#([a-z_]+)">/g)].map((match) => match[1]);

describe('the admin console', () => {
  const suite = useLinkid();

  it('signs a new admin in by the magic link, making the account, and lands on the page asked for', async () => {
    const linkid = await suite.start({ env: ENV });
    const { page } = await adminBrowser(linkid, 'root@example.org');

    expect(page.status, page.body).toBe(200);
    expect(page.url).toBe(`${linkid.issuer}/admin/apps`);
    expect(page.body).toContain('Registered apps');
    expect(page.body).toContain('aria-current="page"');
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  it('sends a browser without a session to the sign-in, and an address outside ADMIN_EMAILS to a 403 admin_only page', async () => {
    const linkid = await suite.start({ env: ENV });
    const signedOut = await new Browser().request(`${linkid.issuer}/admin/users`);
    expect(signedOut.status).toBe(303);
    expect(new URL(signedOut.location!).pathname).toBe('/auth');
    expect(new URL(signedOut.location!).searchParams.get('redirect_uri')).toBe(`${linkid.issuer}/admin/callback`);

    await createUser(linkid, 'grace@example.com');
    const browser = new Browser();
    // Grace signs in by the console's own sign-in, which works: she is simply not an admin.
    const page = await openAccount(browser, linkid, 'grace@example.com', '/admin/users');
    expect(page.status, page.body).toBe(403);
    expect(reasonOf(page)).toBe('admin_only');
    expect(page.body).not.toContain('Registered apps');
    const posted = await browser.request(`${linkid.issuer}/admin/apps`, { form: { name: 'Sneaky', redirect_uris: 'https://app.example.com/cb' } });
    expect(posted.status).toBe(403);
    expect(await linkid.store.clients.list()).toEqual([]);
  });

  it('does not make an account for an address outside ADMIN_EMAILS that signs in to /admin: its email carries no link', async () => {
    const linkid = await suite.start({ env: ENV });
    const browser = new Browser();
    const form = await browser.follow(`${linkid.issuer}/admin`);
    expect(form.url).toMatch(/\/interaction\/[^/]+$/);
    const checkEmail = await browser.submit(form, /\/login$/, { email: 'stranger@example.com' });
    expect(checkEmail.status).toBe(200);
    const [mail] = await mailsTo(linkid, 'stranger@example.com');
    expect(mail?.text).toBeTruthy();
    expect(mail?.text).not.toContain('/login/link?token=');
    expect(await linkid.store.users.findByEmail('stranger@example.com')).toBeUndefined();
  });

  it('refuses an admin once ADMIN_EMAILS no longer names them, on the next request (a server started with the new list)', async () => {
    const linkid = await suite.start({ env: ENV });
    const { browser } = await adminBrowser(linkid);
    // A second server on the same store and keys: the same session, a list without Ada.
    const restarted = await suite.start({ env: { ADMIN_EMAILS: 'root@example.org' }, dataDir: linkid.dataDir, keepData: true });
    const page = await browser.request(`${restarted.issuer}/admin/apps`);
    expect(page.status, page.body).toBe(403);
    expect(reasonOf(page)).toBe('admin_only');
    expect((await browser.request(`${linkid.issuer}/admin/apps`)).status).toBe(200);
  });

  it('asks for a fresh link before a change when the sign-in is more than 10 minutes old, changing nothing until then', async () => {
    const clock = fakeClock();
    const linkid = await suite.start({ env: ENV, clock });
    const { browser } = await adminBrowser(linkid);
    clock.advance(11 * MINUTE);

    const read = await browser.request(`${linkid.issuer}/admin/apps`);
    expect(read.status).toBe(200);
    const posted = await browser.request(`${linkid.issuer}/admin/apps`, { form: { name: 'Wiki', redirect_uris: 'https://wiki.example.com/cb' } });
    expect(posted.status).toBe(303);
    const signInUrl = new URL(posted.location!);
    expect(signInUrl.pathname).toBe('/auth');
    expect(signInUrl.searchParams.get('prompt')).toBe('login');
    expect(signInUrl.searchParams.get('login_hint')).toBe(ADMIN);
    expect(await linkid.store.clients.list()).toEqual([]);
  });

  it('refuses a cross-site form and a bearer token without a session', async () => {
    const linkid = await suite.start({ env: ENV });
    const { browser } = await adminBrowser(linkid);
    const crossSite = await browser.request(`${linkid.issuer}/admin/apps`, {
      form: { name: 'Evil', redirect_uris: 'https://evil.example.com/cb' },
      headers: { origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect(reasonOf(crossSite)).toBe('origin_mismatch');
    expect(await linkid.store.clients.list()).toEqual([]);

    // An access token the admin holds at an app is not a way into the console.
    const rp = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Notes', firstParty: true }));
    const held = await signIn(new Browser(), linkid, rp, ADMIN);
    expect(held.tokens.access_token).toBeTruthy();
    for (const path of ['/admin/apps', '/admin/users']) {
      const page = await new Browser().request(`${linkid.issuer}${path}`, { headers: { authorization: `Bearer ${held.tokens.access_token}` } });
      expect(page.status, path).toBe(303);
      expect(new URL(page.location!).pathname).toBe('/auth');
    }
    const posted = await new Browser().request(`${linkid.issuer}/admin/apps`, {
      form: { name: 'Token', redirect_uris: 'https://app.example.com/cb' },
      headers: { authorization: `Bearer ${held.tokens.access_token}` },
    });
    expect(posted.status).toBe(303);
    expect((await linkid.store.clients.list()).map((client) => client.name)).toEqual(['Notes']);
  });

  it('answers a form that is not right with 400, the form again, the field named and the reason code, never a 500', async () => {
    const linkid = await suite.start({ env: ENV });
    const { browser } = await adminBrowser(linkid);
    const cases: [Record<string, string>, string][] = [
      [{ name: 'Wiki', redirect_uris: 'http://wiki.example.com/cb' }, 'redirect_uris'],
      [{ name: 'Wiki', redirect_uris: 'https://wiki.example.com/cb', link_ttl: 'soon' }, 'link_ttl'],
      [{ name: 'Wiki', redirect_uris: 'https://wiki.example.com/cb', jwks: '{not json' }, 'jwks'],
      [{ name: 'Wiki', redirect_uris: 'https://wiki.example.com/cb', consent: 'maybe' }, 'consent'],
      [{ name: '', redirect_uris: 'https://wiki.example.com/cb' }, 'name'],
      [{ name: 'Wiki', redirect_uris: 'https://wiki.example.com/cb', accent_color: 'pink' }, 'accent_color'],
      [{ name: 'Wiki', redirect_uris: 'https://wiki.example.com/cb', logo_uri: 'http://wiki.example.com/logo.png' }, 'logo_uri'],
    ];
    for (const [form, field] of cases) {
      const page = await browser.request(`${linkid.issuer}/admin/apps`, { form });
      expect(page.status, `${field}: ${page.body.slice(0, 300)}`).toBe(400);
      expect(problemsOf(page), field).toContain(field);
      expect(page.body).toContain('<code>admin_invalid_field</code>');
      expect(page.body).toMatch(new RegExp(`id="${field}"[^>]*aria-invalid="true"`));
    }
    const unknown = await browser.request(`${linkid.issuer}/admin/apps`, {
      form: { name: 'Wiki', redirect_uris: 'https://wiki.example.com/cb', colour: 'red' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('colour');
    const search = await browser.request(`${linkid.issuer}/admin/activity?reason=${encodeURIComponent('<script>')}`);
    expect(search.status).toBe(400);
    expect(problemsOf(search)).toContain('reason');
    const users = await browser.request(`${linkid.issuer}/admin/users?email=${encodeURIComponent('bücher')}`);
    expect(users.status).toBe(400);
    expect(problemsOf(users)).toContain('email');
    expect(await linkid.store.clients.list()).toEqual([]);
    expect((await browser.request(`${linkid.issuer}/admin/apps/nope!`)).status).toBe(404);
    expect((await browser.request(`${linkid.issuer}/admin/users/no-such-account`)).status).toBe(404);
  });

  it('registers an app with its options, shows the secret once, edits, rotates and deletes it, each audited with the admin as actor', async () => {
    const linkid = await suite.start({ env: ENV });
    const { browser, sub } = await adminBrowser(linkid);
    const form = await browser.request(`${linkid.issuer}/admin/apps/new`);
    expect(form.status).toBe(200);
    for (const field of [
      'name',
      'redirect_uris',
      'post_logout_redirect_uris',
      'public',
      'device_flow',
      'consent',
      'signup',
      'signup_domains',
      'link_ttl',
      'scopes',
      'logo_uri',
      'accent_color',
      'support_email',
      'policy_uri',
      'tos_uri',
      'token_endpoint_auth_method',
      'jwks_uri',
      'jwks',
      'id_token_signed_response_alg',
      'backchannel_logout_uri',
      'backchannel_logout_session_required',
      'frontchannel_logout_uri',
    ]) {
      expect(form.body, field).toMatch(new RegExp(`<label[^>]*for="${field}"`));
    }

    const created = await browser.request(`${linkid.issuer}/admin/apps`, {
      form: {
        name: 'Wiki',
        redirect_uris: 'https://wiki.example.com/callback\nhttp://localhost:4000/callback',
        post_logout_redirect_uris: 'https://wiki.example.com/',
        consent: 'skip',
        signup: 'allowlist',
        signup_domains: 'example.com\nexample.org',
        link_ttl: '300',
        scopes: 'openid\nemail',
        accent_color: '#B048A0',
        support_email: 'help@example.com',
        id_token_signed_response_alg: 'ES256',
      },
    });
    expect(created.status, created.body).toBe(200);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const clientId = /<code id="client-id">([^<]+)<\/code>/.exec(created.body)![1]!;
    const secret = /<code class="secret" id="client-secret">([^<]+)<\/code>/.exec(created.body)![1]!;
    const stored = (await linkid.store.clients.find(clientId))!;
    expect(stored).toMatchObject({ name: 'Wiki', firstParty: true, redirectUris: ['https://wiki.example.com/callback', 'http://localhost:4000/callback'] });
    expect(stored.settings).toMatchObject({
      signup: 'allowlist',
      signup_domains: ['example.com', 'example.org'],
      link_ttl_seconds: 300,
      accent_color: '#b048a0',
    });
    expect(stored.metadata).toMatchObject({ scope: 'openid email', id_token_signed_response_alg: 'ES256' });
    // The secret works at the token endpoint, and no page shows it again.
    const rp = await RelyingParty.discover(linkid.issuer, { ...(await linkid.services.admin.clients.show(clientId)), client_secret: secret });
    expect(rp.config.clientMetadata().client_secret).toBe(secret);
    const editPage = await browser.request(`${linkid.issuer}/admin/apps/${clientId}`);
    expect(editPage.status).toBe(200);
    expect(editPage.body).not.toContain(secret);
    expect((await browser.request(`${linkid.issuer}/admin/apps`)).body).not.toContain(secret);
    expect(linkid.logs.join('')).not.toContain(secret);

    const edited = await browser.submit(editPage, new RegExp(`/admin/apps/${clientId}$`), {
      ...editFields(editPage),
      name: 'Wiki 2',
      link_ttl: '',
      accent_color: '',
    });
    expect(edited.status, edited.body).toBe(200);
    expect(edited.url).toContain('saved=1');
    const after = (await linkid.store.clients.find(clientId))!;
    expect(after.name).toBe('Wiki 2');
    expect(after.settings.link_ttl_seconds).toBeUndefined();
    expect(after.settings.accent_color).toBeUndefined();
    expect(after.redirectUris).toEqual(stored.redirectUris);
    expect(after.metadata.id_token_signed_response_alg).toBe('ES256');

    const rotated = await browser.request(`${linkid.issuer}/admin/apps/${clientId}/secret`, { form: {} });
    expect(rotated.status).toBe(200);
    const newSecret = /<code class="secret" id="client-secret">([^<]+)<\/code>/.exec(rotated.body)![1]!;
    expect(newSecret).not.toBe(secret);

    const confirm = await browser.request(`${linkid.issuer}/admin/apps/${clientId}/delete`);
    expect(confirm.status).toBe(200);
    expect(await linkid.store.clients.find(clientId)).toBeDefined();
    const deleted = await browser.submit(confirm, /\/delete$/);
    expect(deleted.url).toContain('/admin/apps?deleted=1');
    expect(await linkid.store.clients.find(clientId)).toBeUndefined();

    for (const event of ['client.registered', 'client.updated', 'client.secret_rotated', 'client.deleted']) {
      const [record] = await eventsNamed(linkid, event);
      expect(record?.fields, event).toMatchObject({ via: 'admin-console', actorAccountId: sub });
      expect(JSON.stringify(record)).not.toContain(secret);
    }
  });

  it('lists the signing keys of the ring on About, read-only, with a rotation made by the CLI, and says when SIGNING_KEYS manages them', async () => {
    const linkid = await suite.start({ env: ENV });
    const { browser } = await adminBrowser(linkid);
    const before = linkid.services.admin.keys.list().keys;
    expect(before.length).toBeGreaterThan(0);
    const page = await browser.request(`${linkid.issuer}/admin/about`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h2 id="keys-heading">Signing keys</h2>');
    expect(page.body).toMatch(/<caption>Every signing key/);
    for (const key of before) expect(page.body, key.kid).toContain(`<code class="kid">${key.kid}</code>`);
    expect(page.body).toContain('<code>linkid-admin keys rotate</code>');
    expect(page.body).toContain(`<time datetime="${before[0]!.created}" data-local>`);
    // Read-only: no form on the page changes keys.
    expect(page.body).not.toMatch(/<form[^>]*keys/);

    // linkid-admin on the same store, as an operator runs it: the page shows the new key at once.
    const printed = await linkidAdmin(linkid, ['keys', 'rotate', '--alg', 'ES256']);
    const added = linkid.services.admin.keys.list().keys.find((key) => !before.some((old) => old.kid === key.kid));
    expect(added, printed).toBeDefined();
    expect(printed).toContain(added!.kid);
    const after = await browser.request(`${linkid.issuer}/admin/about`);
    expect(after.body).toContain(`<code class="kid">${added!.kid}</code>`);
    expect(after.body).toContain('published, signs soon');
    // The key it replaces stops signing when the new one starts: both times on the page.
    expect(after.body.split(`<time datetime="${added!.signs_from}" data-local>`).length - 1).toBe(2);

    const fixed = await suite.start({
      env: { ...ENV, SIGNING_KEYS: fs.readFileSync(`${linkid.dataDir}/keys/signing-keys.json`, 'utf8') },
    });
    const other = await adminBrowser(fixed);
    const managed = await other.browser.request(`${fixed.issuer}/admin/about`);
    expect(managed.status).toBe(200);
    expect(managed.body).toContain('The signing keys are managed outside linkid (SIGNING_KEYS)');
    expect(managed.body).not.toContain('<code class="kid">');
  }, 60_000);

  it('makes an initial access token shown once, lists it without the token, and it registers an app by RFC 7591 until revoked', async () => {
    const linkid = await suite.start({ env: { ...ENV, DYNAMIC_REGISTRATION: 'initial-token' } });
    const { browser, sub } = await adminBrowser(linkid);
    const apps = await browser.request(`${linkid.issuer}/admin/apps`);
    expect(apps.body).toContain('href="/admin/registration-tokens"');
    const empty = await browser.request(`${linkid.issuer}/admin/registration-tokens`);
    expect(empty.status).toBe(200);
    expect(empty.body).toContain('<code>DYNAMIC_REGISTRATION=initial-token</code>');
    expect(empty.body).toContain('No token has been made yet.');

    const made = await browser.submit(empty, /\/admin\/registration-tokens$/, { expires_in: '2h', uses: '2' });
    expect(made.status, made.body).toBe(200);
    expect(made.headers.get('cache-control')).toBe('no-store');
    const token = /<code class="secret" id="registration-token">([^<]+)<\/code>/.exec(made.body)![1]!;
    const id = /<code class="token-id" id="token-id">([^<]+)<\/code>/.exec(made.body)![1]!;
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(made.body).toContain(`${linkid.issuer}/reg`);
    const [stored] = await linkid.store.registrationTokens.list();
    expect(stored).toMatchObject({ id, uses: 2, used: 0, expiresAt: stored!.createdAt + 2 * 3600_000 });
    expect(JSON.stringify(stored)).not.toContain(token);

    const listed = await browser.request(`${linkid.issuer}/admin/registration-tokens`);
    expect(listed.body).toContain(`<code class="token-id">${id}</code>`);
    expect(listed.body).toContain('0 of 2 used, 2 left');
    expect(listed.body).toContain('>live<');
    expect(listed.body).not.toContain(token);

    const registered = await oidc.dynamicClientRegistration(
      new URL(linkid.issuer),
      { client_name: 'Self-registered', redirect_uris: ['http://localhost:8080/callback'] },
      undefined,
      { initialAccessToken: token, execute: [oidc.allowInsecureRequests] },
    );
    const clientId = registered.clientMetadata().client_id;
    const appsAfter = await browser.request(`${linkid.issuer}/admin/apps`);
    expect(appsAfter.body).toMatch(/Self-registered<\/a> <span class="badge">registered by RFC 7591<\/span>/);
    const appPage = await browser.request(`${linkid.issuer}/admin/apps/${clientId}`);
    expect(appPage.body).toContain('through dynamic registration (RFC 7591)');
    expect((await browser.request(`${linkid.issuer}/admin/registration-tokens`)).body).toContain('1 of 2 used, 1 left');

    const confirm = await browser.request(`${linkid.issuer}/admin/registration-tokens/${id}/revoke`);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Revoke this token?');
    expect((await linkid.store.registrationTokens.list())[0]?.revokedAt).toBeNull();
    const revoked = await browser.submit(confirm, /\/revoke$/);
    expect(revoked.url).toContain('/admin/registration-tokens?revoked=1');
    expect(revoked.body).toContain('>revoked<');
    expect(revoked.body).not.toContain(`/admin/registration-tokens/${id}/revoke`);
    await expect(
      oidc.dynamicClientRegistration(new URL(linkid.issuer), { client_name: 'Late', redirect_uris: ['http://localhost:8080/callback'] }, undefined, {
        initialAccessToken: token,
        execute: [oidc.allowInsecureRequests],
      }),
    ).rejects.toBeDefined();
    expect((await linkid.store.clients.list()).map((client) => client.name)).toEqual(['Self-registered']);
    // Revoking again: there is no live token by that id.
    expect((await browser.request(`${linkid.issuer}/admin/registration-tokens/${id}/revoke`, { form: {} })).status).toBe(404);

    for (const event of ['registration_token.created', 'registration_token.revoked']) {
      const [record] = await eventsNamed(linkid, event);
      expect(record?.fields, event).toMatchObject({ via: 'admin-console', actorAccountId: sub, tokenId: id });
    }
    const everything = JSON.stringify(await linkid.store.audit.search({}, linkid.clock.now()));
    expect(everything).not.toContain(token);
    expect(linkid.logs.join('')).not.toContain(token);
  });

  it('answers a token form that is not right with 400 naming the field, and says when dynamic registration is off', async () => {
    const linkid = await suite.start({ env: ENV });
    const { browser } = await adminBrowser(linkid);
    const page = await browser.request(`${linkid.issuer}/admin/registration-tokens`);
    expect(page.body).toContain('Dynamic registration is off');
    expect(page.body).toContain('<code>DYNAMIC_REGISTRATION=off</code>');
    const cases: [Record<string, string>, string][] = [
      [{ expires_in: '1d', uses: '0' }, 'uses'],
      [{ expires_in: '1d', uses: 'many' }, 'uses'],
      [{ expires_in: '1d', uses: '1001' }, 'uses'],
      [{ expires_in: 'soon', uses: '1' }, 'expires_in'],
      [{ expires_in: '1y', uses: '1' }, 'expires_in'],
      [{ expires_in: '10s', uses: '1' }, 'expires_in'],
      [{ expires_in: '91d', uses: '1' }, 'expires_in'],
      [{ expires_in: 'x'.repeat(30), uses: '1' }, 'expires_in'],
    ];
    for (const [form, field] of cases) {
      const answer = await browser.request(`${linkid.issuer}/admin/registration-tokens`, { form });
      expect(answer.status, `${JSON.stringify(form)}: ${answer.body.slice(0, 300)}`).toBe(400);
      expect(problemsOf(answer), JSON.stringify(form)).toContain(field);
      expect(answer.body).toContain('<code>admin_invalid_field</code>');
      expect(answer.body).toMatch(new RegExp(`id="${field}"[^>]*aria-invalid="true"`));
    }
    const unknown = await browser.request(`${linkid.issuer}/admin/registration-tokens`, { form: { uses: '1', scope: 'all' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('scope');
    expect(await linkid.store.registrationTokens.list()).toEqual([]);
    // Empty fields: the CLI's defaults (one day, one use).
    const defaults = await browser.request(`${linkid.issuer}/admin/registration-tokens`, { form: { expires_in: '', uses: '' } });
    expect(defaults.status).toBe(200);
    expect(await linkid.store.registrationTokens.list()).toMatchObject([{ uses: 1 }]);
    for (const path of ['/admin/registration-tokens/nope/revoke', '/admin/registration-tokens/no!such/revoke']) {
      expect((await browser.request(`${linkid.issuer}${path}`)).status, path).toBe(404);
      expect((await browser.request(`${linkid.issuer}${path}`, { form: {} })).status, path).toBe(404);
    }
  });

  it('registers a service client of the admin API that gets a client-credentials token with scope linkid:admin, and offers it only what may change', async () => {
    const linkid = await suite.start({ env: ENV });
    const { browser, sub } = await adminBrowser(linkid);
    const form = await browser.request(`${linkid.issuer}/admin/apps/new`);
    expect(form.body).toMatch(/<input type="checkbox" id="admin_api" name="admin_api"/);
    expect(form.body).toContain('<code>--admin-api</code>');

    // What a service client cannot have is refused by the CLI's rules, each on its field.
    const refused = await browser.request(`${linkid.issuer}/admin/apps`, {
      form: { ...editFields(form), name: 'ops', admin_api: 'on', redirect_uris: 'https://ops.example.com/cb', public: 'on' },
    });
    expect(refused.status, refused.body.slice(0, 500)).toBe(400);
    expect(problemsOf(refused)).toEqual(expect.arrayContaining(['redirect_uris', 'public']));
    expect(await linkid.store.clients.list()).toEqual([]);

    // The form as a browser sends it, with the box ticked and no redirect URI.
    const created = await browser.request(`${linkid.issuer}/admin/apps`, { form: { ...editFields(form), name: 'ops', admin_api: 'on' } });
    expect(created.status, created.body.slice(0, 800)).toBe(200);
    expect(created.body).toContain('client-credentials grant');
    const clientId = /<code id="client-id">([^<]+)<\/code>/.exec(created.body)![1]!;
    const secret = /<code class="secret" id="client-secret">([^<]+)<\/code>/.exec(created.body)![1]!;
    const view = await linkid.services.admin.clients.show(clientId);
    expect(view).toMatchObject({ admin_api: true, grant_types: ['client_credentials'], scope: 'linkid:admin', redirect_uris: [] });

    const rp = await RelyingParty.discover(linkid.issuer, { ...view, client_secret: secret });
    const tokens = await oidc.clientCredentialsGrant(rp.config, { scope: 'linkid:admin' });
    expect(tokens.scope).toBe('linkid:admin');
    const api = await fetch(`${linkid.issuer}/admin/api/clients`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(api.status).toBe(200);

    const list = await browser.request(`${linkid.issuer}/admin/apps`);
    expect(list.body).toMatch(/>ops<\/a> <span class="badge">admin API<\/span>/);
    const edit = await browser.request(`${linkid.issuer}/admin/apps/${clientId}`);
    expect(edit.body).toContain('Service client of the admin API');
    for (const field of ['name', 'token_endpoint_auth_method', 'jwks_uri', 'jwks']) expect(edit.body, field).toMatch(new RegExp(`<label[^>]*for="${field}"`));
    for (const field of ['redirect_uris', 'consent', 'scopes', 'device_flow', 'admin_api', 'logo_uri', 'signup'])
      expect(edit.body, field).not.toMatch(new RegExp(`<label[^>]*for="${field}"`));
    const saved = await browser.submit(edit, new RegExp(`/admin/apps/${clientId}$`), {
      ...editFields(edit),
      name: 'ops 2',
      token_endpoint_auth_method: 'client_secret_post',
    });
    expect(saved.url).toContain('saved=1');
    expect(await linkid.store.clients.find(clientId)).toMatchObject({ name: 'ops 2', metadata: { token_endpoint_auth_method: 'client_secret_post' } });
    // A form sent by hand with what cannot change for it: refused on the field.
    const crafted = await browser.request(`${linkid.issuer}/admin/apps/${clientId}`, {
      form: { ...editFields(edit), redirect_uris: 'https://ops.example.com/cb' },
    });
    expect(crafted.status).toBe(400);
    expect(problemsOf(crafted)).toContain('redirect_uris');
    expect((await linkid.store.clients.find(clientId))?.redirectUris).toEqual([]);

    const [registered] = await eventsNamed(linkid, 'client.registered');
    expect(registered?.fields).toMatchObject({ adminApi: true, via: 'admin-console', actorAccountId: sub });
    const [updated] = await eventsNamed(linkid, 'client.updated');
    expect(updated?.fields).toMatchObject({ via: 'admin-console', actorAccountId: sub });
  });

  it("edits a service client of APIs and an API's introspection client by their name and authentication only", async () => {
    const linkid = await suite.start({ env: ENV });
    const { browser } = await adminBrowser(linkid);
    const api = await linkid.services.admin.resources.create({ identifier: 'https://api.notes.example', scopes: ['notes:read'], introspect: true });
    const backend = await linkid.services.admin.clients.create({ name: 'Nightly export', grantType: 'client_credentials', resources: [api.id] });
    const cases = [
      { clientId: backend.client_id, kind: 'Service client of APIs' },
      { clientId: api.introspection_client_id ?? '', kind: 'Introspection client of an API' },
    ];
    for (const { clientId, kind } of cases) {
      const edit = await browser.request(`${linkid.issuer}/admin/apps/${clientId}`);
      expect(edit.status, kind).toBe(200);
      expect(edit.body, kind).toContain(kind);
      for (const field of ['redirect_uris', 'consent', 'scopes', 'device_flow', 'signup'])
        expect(edit.body, field).not.toMatch(new RegExp(`<label[^>]*for="${field}"`));
      const saved = await browser.submit(edit, new RegExp(`/admin/apps/${clientId}$`), { ...editFields(edit), name: `${kind} renamed` });
      expect(saved.url, `${kind}: ${saved.body.slice(0, 500)}`).toContain('saved=1');
      expect((await linkid.store.clients.find(clientId))?.name).toBe(`${kind} renamed`);
      const crafted = await browser.request(`${linkid.issuer}/admin/apps/${clientId}`, {
        form: { ...editFields(edit), redirect_uris: 'https://evil.example/cb' },
      });
      expect(crafted.status, kind).toBe(400);
      expect(problemsOf(crafted), kind).toContain('redirect_uris');
      expect((await linkid.store.clients.find(clientId))?.redirectUris, kind).toEqual([]);
    }
  });

  it('finds accounts by a part of the address, shows one, and disables, enables, signs out and deletes it, audited with the admin as actor', async () => {
    const linkid = await suite.start({ env: ENV });
    const rp = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Notes', firstParty: true }));
    const held = await signIn(new Browser(), linkid, rp, 'grace@example.com', { scope: 'openid email offline_access', prompt: 'consent' });
    const grace = (await linkid.store.users.findByEmail('grace@example.com'))!;
    const { browser, sub } = await adminBrowser(linkid);

    const found = await browser.request(`${linkid.issuer}/admin/users?email=grace`);
    expect(found.status).toBe(200);
    expect(found.body).toContain('grace@example.com');
    expect(found.body).not.toContain(`>${ADMIN}</a>`);
    const shown = await browser.request(`${linkid.issuer}/admin/users/${grace.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toContain('<strong>Notes</strong>');
    expect(shown.body).toContain('login.completed');

    const disabled = await browser.submit(shown, /\/disable$/);
    expect(disabled.body).toContain('The account is disabled');
    expect((await linkid.store.users.findById(grace.id))?.disabledAt).not.toBeNull();
    await expect(oidc.refreshTokenGrant(rp.config, held.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const enabled = await browser.submit(disabled, /\/enable$/);
    expect((await linkid.store.users.findById(grace.id))?.disabledAt).toBeNull();
    await browser.submit(enabled, /\/sign-out$/);
    const confirm = await browser.request(`${linkid.issuer}/admin/users/${grace.id}/delete`);
    expect(confirm.status).toBe(200);
    expect(await linkid.store.users.findById(grace.id)).toBeDefined();
    await browser.submit(confirm, /\/delete$/);
    expect(await linkid.store.users.findById(grace.id)).toBeUndefined();

    for (const event of ['user.disabled', 'user.enabled', 'user.sessions_revoked', 'user.deleted']) {
      const [record] = await eventsNamed(linkid, event);
      expect(record?.accountId, event).toBe(grace.id);
      expect(record?.fields, event).toMatchObject({ via: 'admin-console', actorAccountId: sub });
    }
  });

  it("searches the audit trail and tells one sign-in's story on its own page", async () => {
    const linkid = await suite.start({ env: ENV });
    const rp = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Notes', firstParty: true }));
    await signIn(new Browser(), linkid, rp, 'grace@example.com');
    const { browser } = await adminBrowser(linkid);
    await linkid.settle();

    const empty = await browser.request(`${linkid.issuer}/admin/activity`);
    expect(empty.status).toBe(200);
    const byAddress = await browser.request(`${linkid.issuer}/admin/activity?email=Grace%40Example.com`);
    expect(byAddress.status).toBe(200);
    expect(byAddress.body).toContain('login.requested');
    const byApp = await browser.request(`${linkid.issuer}/admin/activity?client_id=${rp.client.client_id}&reason=`);
    expect(byApp.body).toContain('tokens.issued');
    const storyHref = /href="(\/admin\/activity\/sign-in\?interaction=[^"]+)"/.exec(byAddress.body)![1]!;
    const story = await browser.request(`${linkid.issuer}${storyHref.replace(/&amp;/g, '&')}`);
    expect(story.status).toBe(200);
    expect(story.body).toContain('One sign-in, step by step');
    for (const event of ['login.requested', 'login.link_sent', 'login.confirmed', 'login.completed']) expect(story.body, event).toContain(event);
    expect(story.body).toContain('+0ms');
    const requestId = /Request ID <code>([^<]+)<\/code>/i.exec(byAddress.body)?.[1];
    if (requestId) expect((await browser.request(`${linkid.issuer}/admin/activity/sign-in?request_id=${requestId}`)).status).toBe(200);
    expect((await browser.request(`${linkid.issuer}/admin/activity/sign-in?interaction=unknown`)).status).toBe(404);
  });

  it('shows the mail queue, failures and suppressions, and lifts one, audited with the admin as actor', async () => {
    const linkid = await suite.start({ env: ENV });
    await linkid.store.suppressions.suppress('bounced@example.com', 'HardBounce', linkid.clock.now());
    const { browser, sub } = await adminBrowser(linkid);
    const page = await browser.request(`${linkid.issuer}/admin/mail`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Send queue');
    expect(page.body).toContain('bounced@example.com');
    expect(page.body).toMatch(/Delivered<\/dt><dd>\d+<\/dd>|Sent<\/dt><dd>\d+<\/dd>/);

    const lifted = await browser.submit(page, /\/admin\/mail\/lift$/);
    expect(lifted.url).toContain('lifted=1');
    expect(await linkid.store.suppressions.reasonFor('bounced@example.com')).toBeUndefined();
    const [record] = await eventsNamed(linkid, 'suppression.lifted');
    expect(record?.fields).toMatchObject({ via: 'admin-console', actorAccountId: sub });
    expect((await browser.request(`${linkid.issuer}/admin/mail/lift`, { form: { email: 'bounced@example.com' } })).status).toBe(404);
    const bad = await browser.request(`${linkid.issuer}/admin/mail/lift`, { form: { email: '' } });
    expect(bad.status).toBe(400);
  });

  it('shows the versions and every variable of the configuration, secrets masked', async () => {
    const linkid = await suite.start({
      env: {
        ...ENV,
        METRICS_TOKEN: 'metrics-token-0123456789',
        SERVER_SECRET: 'c2VydmVyLXNlY3JldC1mb3ItdGVzdHMtb25seS0wMTIzNDU2Nzg5',
        POSTMARK_WEBHOOK_AUTH: 'hook:webhook-password-0123456789',
      },
    });
    const { browser } = await adminBrowser(linkid);
    const page = await browser.request(`${linkid.issuer}/admin/about`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(linkid.services.versions.version);
    expect(page.body).toContain(linkid.services.versions.schema);
    for (const name of Object.keys(linkid.config.inForce)) expect(page.body, name).toContain(`<code>${name}</code>`);
    for (const secret of ['metrics-token-0123456789', 'c2VydmVyLXNlY3JldC1mb3ItdGVzdHMtb25seS0wMTIzNDU2Nzg5', 'webhook-password-0123456789']) {
      expect(page.body).not.toContain(secret);
    }
    expect(page.body).toContain(' Ada@Example.com , root@example.org');
    // A default in force is shown as such.
    expect(page.body).toContain('<code>outbound</code>');
  });
});

/** The edit form's current values, as a browser would send them back. */
function editFields(page: Page): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of page.body.matchAll(/<input type="(?:text|url|email|number)" id="([a-z_]+)" name="[a-z_]+" value="([^"]*)"/g))
    fields[match[1]!] = decode(match[2]!);
  for (const match of page.body.matchAll(/<textarea id="([a-z_]+)"[^>]*>([^<]*)<\/textarea>/g)) fields[match[1]!] = decode(match[2]!);
  for (const match of page.body.matchAll(/<select id="([a-z_]+)"[^>]*>([\s\S]*?)<\/select>/g))
    fields[match[1]!] = /<option value="([^"]*)" selected>/.exec(match[2]!)?.[1] ?? '';
  for (const match of page.body.matchAll(/<input type="checkbox" id="([a-z_]+)" name="[a-z_]+" checked/g)) fields[match[1]!] = 'on';
  return fields;
}

const decode = (value: string) =>
  value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
