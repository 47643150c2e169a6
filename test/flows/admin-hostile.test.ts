// Issue 24 attacked as someone who read the code would: over HTTP against a real linkid, the admin
// console, the admin API, dynamic registration and the signing keys, each probed where a trust
// boundary could leak. What held is kept here too, so it keeps holding.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/kernel/clock.js';
import { createOutboxTransport } from '../../src/mail/outbox.js';
import { openAccount } from '../support/account.js';
import { Browser } from '../support/browser.js';
import { createUser, registerApp } from '../support/factories.js';
import { oidc, RelyingParty } from '../support/relying-party.js';
import type { RunningLinkid } from '../support/linkid.js';
import { reasonOf, signIn } from '../support/sign-in.js';
import { useLinkid, useSharedLinkid } from '../support/use-linkid.js';

const ADMIN = 'ada@example.com';
const ENV = { ADMIN_EMAILS: ADMIN, DYNAMIC_REGISTRATION: 'initial-token' };

async function serviceToken(linkid: RunningLinkid) {
  const client = await linkid.services.admin.clients.create({ name: 'ops', adminApi: true });
  const rp = await RelyingParty.discover(linkid.issuer, client);
  return { client, rp, token: (await oidc.clientCredentialsGrant(rp.config, { scope: 'linkid:admin' })).access_token };
}

const api = (linkid: RunningLinkid, token: string, path = '/admin/api/clients') =>
  fetch(`${linkid.issuer}${path}`, { headers: { authorization: `Bearer ${token}` } });

describe('the admin API against tokens of every other kind', () => {
  const shared = useSharedLinkid({ env: ENV });

  it('lets in no token but a live client-credentials token of a service client', async () => {
    const { linkid, rp } = shared;
    const app = await linkid.createClient({ name: 'Offline', scopes: ['openid', 'email', 'offline_access'] });
    const appRp = await RelyingParty.discover(linkid.issuer, app);
    const { tokens } = await signIn(new Browser(), linkid, appRp, 'grace@example.com', { scope: 'openid offline_access', prompt: 'consent' });
    expect(tokens.refresh_token).toBeTruthy();
    const firstParty = await signIn(new Browser(), linkid, rp, 'grace@example.com');
    const initial = await linkid.services.admin.registrationTokens.create({});
    const registered = (await (
      await fetch(`${linkid.issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${initial.token}` },
        body: JSON.stringify({ client_name: 'Reg', redirect_uris: ['https://app.example.com/cb'] }),
      })
    ).json()) as { registration_access_token: string };

    const refusals: [string, string, number][] = [
      ["a person's access token", tokens.access_token, 403],
      ["a first-party app's access token", firstParty.tokens.access_token, 403],
      ['an ID token', tokens.id_token!, 401],
      ['a refresh token', tokens.refresh_token!, 401],
      ['an initial access token', initial.token, 401],
      ['a registration access token', registered.registration_access_token, 401],
    ];
    for (const [what, token, status] of refusals) expect((await api(linkid, token)).status, what).toBe(status);

    const { token, client } = await serviceToken(linkid);
    expect((await api(linkid, token)).status).toBe(200);
    // Revoked at the revocation endpoint by its own client: refused at once.
    const ops = await RelyingParty.discover(linkid.issuer, client);
    await oidc.tokenRevocation(ops.config, token);
    expect((await api(linkid, token)).status).toBe(401);
  });
});

describe('the console against everyone who is not a fresh admin on our own page', () => {
  const { start } = useLinkid();

  it('answers every route and method 403 to a signed-in non-admin, and changes nothing', async () => {
    const linkid = await start({ env: ENV });
    const app = await linkid.createClient({ name: 'Kept' });
    const grace = await createUser(linkid, 'grace@example.com');
    const token = await linkid.services.admin.registrationTokens.create({});
    const browser = new Browser();
    await openAccount(browser, linkid, 'grace@example.com', '/account');
    const gets = ['/admin', '/admin/apps', '/admin/apps/new', `/admin/apps/${app.client_id}`, `/admin/apps/${app.client_id}/delete`, '/admin/users?email=a'];
    gets.push(
      `/admin/users/${grace.id}`,
      `/admin/users/${grace.id}/delete`,
      '/admin/activity?email=a',
      '/admin/activity/sign-in?request=x',
      '/admin/mail',
      '/admin/about',
      '/admin/registration-tokens',
      `/admin/registration-tokens/${token.id}/revoke`,
    );
    for (const path of gets) {
      const page = await browser.request(`${linkid.issuer}${path}`);
      expect(page.status, path).toBe(403);
      expect(reasonOf(page), path).toBe('admin_only');
    }
    const posts = ['/admin/apps', `/admin/apps/${app.client_id}`, `/admin/apps/${app.client_id}/secret`, `/admin/apps/${app.client_id}/delete`];
    posts.push(`/admin/users/${grace.id}/disable`, `/admin/users/${grace.id}/sign-out`, `/admin/users/${grace.id}/delete`, '/admin/mail/lift');
    posts.push('/admin/registration-tokens', `/admin/registration-tokens/${token.id}/revoke`);
    for (const path of posts) {
      const page = await browser.request(`${linkid.issuer}${path}`, {
        form: { name: 'Evil', redirect_uris: 'https://evil.example/cb', email: 'x@example.com' },
      });
      expect(page.status, path).toBe(403);
    }
    expect((await linkid.store.clients.list()).map((client) => client.name)).toEqual(['Kept']);
    expect((await linkid.store.users.findById(grace.id))?.disabledAt).toBeNull();
    expect((await linkid.services.admin.registrationTokens.list()).map((entry) => [entry.id, entry.state])).toEqual([[token.id, 'live']]);
  });

  it("refuses an admin's change posted from elsewhere: another Origin, Origin null without Sec-Fetch-Site, a Referer alone, none", async () => {
    const linkid = await start({ env: ENV });
    const browser = new Browser();
    const page = await openAccount(browser, linkid, ADMIN, '/admin/apps');
    expect(page.status).toBe(200);
    const forged: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: 'null', 'sec-fetch-site': 'cross-site' },
      { referer: `${linkid.issuer}/admin/apps/new` },
      { origin: linkid.issuer.replace('127.0.0.1', 'localhost') },
      {},
    ];
    for (const headers of forged) {
      // As a form on another site makes the browser send it: the session cookie, and these headers.
      const posted = await fetch(`${linkid.issuer}/admin/apps`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...headers, cookie: browser.jar.getCookieStringSync(`${linkid.issuer}/admin/apps`), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: 'Forged', redirect_uris: 'https://evil.example/cb' }).toString(),
      });
      expect(posted.status, JSON.stringify(headers)).toBe(403);
      expect(reasonOf(await posted.text())).toBe('origin_mismatch');
    }
    expect(await linkid.store.clients.list()).toEqual([]);
  });
});

describe('the About page', () => {
  const { start } = useLinkid();

  it('never shows an SMTP password, also when the user name is an address written without %40', async () => {
    // The relay is never reached: mail goes to the outbox, as the admin's sign-in needs it.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-test-'));
    const linkid = await start({
      dataDir,
      env: { ...ENV, SMTP_URL: 'smtps://alerts@example.com:smtp-password-0123@smtp.example.com' },
      transport: () => createOutboxTransport(dataDir, 'linkid <no-reply@127.0.0.1>', systemClock),
    });
    const browser = new Browser();
    const page = await openAccount(browser, linkid, ADMIN, '/admin/about');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<code>SMTP_URL</code>');
    expect(page.body).not.toContain('smtp-password-0123');
  });
});

describe('a key ring version with no key that signs', () => {
  const { start } = useLinkid();

  it('leaves the keys in force as they were, as a ring that cannot be read does, and sign-ins go on', async () => {
    const linkid = await start();
    await linkid.services.admin.keys.rotate(undefined, { via: 'admin-cli' });
    const before = ((await (await fetch(`${linkid.issuer}/jwks`)).json()) as { keys: unknown[] }).keys;
    // A hand-edited ring: well-formed JSON, no key.
    fs.writeFileSync(path.join(linkid.config.keysDir, 'signing-key-ring', '00000002.json'), '{"version":2,"keys":[]}\n', { mode: 0o600 });
    const after = ((await (await fetch(`${linkid.issuer}/jwks`)).json()) as { keys: unknown[] }).keys;
    expect(after).toEqual(before);
    const rp = await registerApp(linkid);
    const { tokens } = await signIn(new Browser(), linkid, rp, 'grace@example.com');
    expect(tokens.id_token).toBeTruthy();
  });
});

describe('the About page over a key ring that cannot be read', () => {
  const { start } = useLinkid();

  it('still answers, without a 500, while the server goes on signing', async () => {
    const linkid = await start({ env: ENV });
    await linkid.services.admin.keys.rotate(undefined, { via: 'admin-cli' });
    const browser = new Browser();
    expect((await openAccount(browser, linkid, ADMIN, '/admin/about')).status).toBe(200);
    fs.writeFileSync(path.join(linkid.config.keysDir, 'signing-key-ring', '00000002.json'), '{"version":2,"keys":[\n', { mode: 0o600 });
    expect((await fetch(`${linkid.issuer}/jwks`)).status).toBe(200);
    const page = await browser.request(`${linkid.issuer}/admin/about`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('The signing key ring in KEYS_DIR cannot be read');
    expect(page.body).toContain('<code>SIGNING_KEY_ROTATION_DAYS</code>');
  });
});

describe('a leaked service secret, once rotated', () => {
  const { start } = useLinkid();
  const tokenOf = async (linkid: RunningLinkid, client: Awaited<ReturnType<RunningLinkid['services']['admin']['clients']['create']>>) =>
    (await oidc.clientCredentialsGrant((await RelyingParty.discover(linkid.issuer, client)).config, { scope: 'linkid:admin' })).access_token;
  const listApps = (linkid: RunningLinkid, token: string) => fetch(`${linkid.issuer}/admin/api/clients`, { headers: { authorization: `Bearer ${token}` } });

  it('buys nothing: tokens got with the old secret end with it, tokens got with the new one work', async () => {
    const linkid = await start();
    const client = await linkid.services.admin.clients.create({ name: 'ops', adminApi: true });
    const leaked = await tokenOf(linkid, client);
    expect((await listApps(linkid, leaked)).status).toBe(200);

    const rotated = await linkid.services.admin.clients.rotateSecret(client.client_id);
    const refused = await listApps(linkid, leaked);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error_description: string }).error_description).toMatch(/secret or keys changed/);
    expect((await listApps(linkid, await tokenOf(linkid, rotated))).status).toBe(200);
  });
});

describe('what registration and the admin operations take as an app', () => {
  const { start } = useLinkid();

  it('refuses a registration body of undeclared length (411) before reading it', async () => {
    const linkid = await start({ env: { DYNAMIC_REGISTRATION: 'initial-token' } });
    const initial = await linkid.services.admin.registrationTokens.create({});
    const body = JSON.stringify({ client_name: 'Big', redirect_uris: ['https://app.example.com/cb'], contacts: Array<string>(4000).fill('a@b.example') });
    const response = await fetch(`${linkid.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${initial.token}` },
      body: new Blob([body]).stream(),
      duplex: 'half',
    });
    expect(response.status).toBe(411);
    expect(await linkid.services.admin.clients.list()).toEqual([]);
    // The token's one use is still there: a refusal spends nothing.
    expect((await linkid.services.admin.registrationTokens.list())[0]).toMatchObject({ used: 0, state: 'live' });
  });

  it('refuses a name that reorders or hides text, and keeps an emoji joined by a zero-width joiner', async () => {
    const linkid = await start({ env: { DYNAMIC_REGISTRATION: 'open' } });
    for (const spoof of ['Bank\u202Eppa live', 'Notes\u2066x\u2069', 'Tab\tname', 'Line\u0085break']) {
      await expect(linkid.services.admin.clients.create({ name: spoof, redirectUris: ['https://app.example.com/cb'] })).rejects.toThrow(/control characters/);
      const registered = await fetch(`${linkid.issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: spoof, redirect_uris: ['https://app.example.com/cb'] }),
      });
      expect(registered.status, JSON.stringify(spoof)).toBe(400);
      expect(((await registered.json()) as { error: string }).error).toBe('invalid_client_metadata');
    }
    const family = await linkid.services.admin.clients.create({
      name: 'Family \u{1F468}\u200D\u{1F469}\u200D\u{1F467} notes',
      redirectUris: ['https://app.example.com/cb'],
    });
    expect(family.client_name).toBe('Family \u{1F468}\u200D\u{1F469}\u200D\u{1F467} notes');
  });
});
