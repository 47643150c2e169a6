// Pairwise subject identifiers (OpenID Connect Core section 8), with openid-client as the apps:
// two apps of different owners see different `sub`s for one person and so cannot join up what
// they know of them; one app sees the same `sub` at every sign-in and after an email change; apps
// of one sector (a sector identifier document listing their redirect URIs) share it; and the
// administrator still finds the person from the `sub` an app knows.
import { describe, expect, it, vi } from 'vitest';
import type { ClientView, CreateClientInput } from '../../src/admin/clients.js';
import { openAccount } from '../support/account.js';
import { linkidAdmin, linkidAdminResult } from '../support/admin-cli.js';
import { Browser } from '../support/browser.js';
import { askToChange, latestChangeMail, pressLink } from '../support/email-change.js';
import type { RunningLinkid } from '../support/linkid.js';
import { useLogoutReceivers, verifyLogoutToken } from '../support/logout-receiver.js';
import { oidc, RelyingParty } from '../support/relying-party.js';
import { useSectorDocuments } from '../support/sector-documents.js';
import { signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { start } = useLinkid();
const sectors = useSectorDocuments();
const logoutReceiver = useLogoutReceivers();
const OUTBOUND = { env: { OUTBOUND_ALLOW_LOOPBACK: 'true' } };

const app = (name: string, redirectUris: string[], metadata: Record<string, unknown> = {}): Partial<CreateClientInput> => ({
  name,
  firstParty: true,
  redirectUris,
  metadata,
});
const pairwise = (name: string, redirectUris: string[], metadata: Record<string, unknown> = {}) =>
  app(name, redirectUris, { subject_type: 'pairwise', ...metadata });

/** Signs in to `rp` with the browser's linkid session (single sign-on): the `sub` of its ID token, and its tokens. */
async function ssoSignIn(browser: Browser, rp: RelyingParty) {
  const attempt = await rp.authorizationUrl();
  const landing = await browser.follow(attempt.url, rp.redirectUri);
  const tokens = await rp.redeem(landing.location!, attempt);
  return { sub: tokens.claims()!.sub, tokens };
}

const discover = async (linkid: RunningLinkid, input: Partial<CreateClientInput>) => RelyingParty.discover(linkid.issuer, await linkid.createClient(input));

describe('pairwise subject identifiers', () => {
  it('advertises both subject types in discovery', async () => {
    const linkid = await start();
    const metadata = (await (await fetch(`${linkid.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.subject_types_supported).toEqual(['public', 'pairwise']);
  });

  it('gives two apps on different hosts different subs for one person, neither the public one, in every token and answer', async () => {
    const linkid = await start();
    const calendar = await discover(linkid, pairwise('Calendar', ['http://localhost:5000/cb']));
    const board = await discover(linkid, pairwise('Board', ['http://localhost:6000/cb']));
    const notes = await discover(linkid, app('Notes', ['http://localhost:7000/cb']));
    const browser = new Browser();
    const first = await signIn(browser, linkid, calendar, 'ada@example.com');
    const calendarSub = first.tokens.claims()!.sub;
    const boardSub = (await ssoSignIn(browser, board)).sub;
    const publicSub = (await ssoSignIn(browser, notes)).sub;

    const account = await linkid.store.users.findByEmail('ada@example.com');
    expect(publicSub).toBe(account!.id);
    expect(new Set([calendarSub, boardSub, publicSub]).size).toBe(3);
    // Its own shape: 43 base64url characters, where an account id is 22.
    expect(calendarSub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(publicSub).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const userinfo = await oidc.fetchUserInfo(calendar.config, first.tokens.access_token, calendarSub);
    expect(userinfo.sub).toBe(calendarSub);
    const introspection = await oidc.tokenIntrospection(calendar.config, first.tokens.access_token);
    expect(introspection).toMatchObject({ active: true, sub: calendarSub });
  });

  it('gives one app the same sub at the next sign-in, after an email change, and in another instance', async () => {
    const linkid = await start({ ...OUTBOUND, keepData: true });
    const input = pairwise('Calendar', ['http://localhost:5000/cb']);
    const calendar = await discover(linkid, input);
    const sub = (await signIn(new Browser(), linkid, calendar, 'ada@example.com')).tokens.claims()!.sub;
    expect((await signIn(new Browser(), linkid, calendar, 'ada@example.com')).tokens.claims()!.sub).toBe(sub);

    const browser = new Browser();
    await openAccount(browser, linkid, 'ada@example.com', '/account/email');
    expect((await askToChange(browser, linkid, 'ada@example.org')).status).toBe(200);
    await pressLink(browser, await latestChangeMail(linkid, 'ada@example.org', 'confirm'));
    expect((await signIn(new Browser(), linkid, calendar, 'ada@example.org')).tokens.claims()!.sub).toBe(sub);

    // Another instance on the same DATA_DIR (so KEYS_DIR): the same salt, the same sub.
    const other = await start({ ...OUTBOUND, dataDir: linkid.dataDir });
    const again = await RelyingParty.discover(other.issuer, { ...calendar.client });
    expect((await signIn(new Browser(), other, again, 'ada@example.org')).tokens.claims()!.sub).toBe(sub);
  });

  it('gives two apps of one sector the same sub, checked against the sector identifier document', async () => {
    const linkid = await start(OUTBOUND);
    const sector = sectors.serve('shared.json', JSON.stringify(['http://localhost:5000/cb', 'http://localhost:6000/cb']));
    const calendar = await discover(linkid, pairwise('Calendar', ['http://localhost:5000/cb'], { sector_identifier_uri: sector }));
    const board = await discover(linkid, pairwise('Board', ['http://localhost:6000/cb'], { sector_identifier_uri: sector }));
    const alone = await discover(linkid, pairwise('Alone', ['http://localhost:5000/cb']));
    // Checked when the apps were registered, not again at sign-in: a document changed since changes no sub.
    sectors.serve('shared.json', '[]');
    const browser = new Browser();
    const calendarSub = (await signIn(browser, linkid, calendar, 'ada@example.com')).tokens.claims()!.sub;
    expect((await ssoSignIn(browser, board)).sub).toBe(calendarSub);
    // The sector is the document's host, not the redirect URI's: the same redirect URI alone is another sector.
    expect((await ssoSignIn(browser, alone)).sub).not.toBe(calendarSub);
  });

  it('puts the sub the app knows in its back-channel logout token', async () => {
    const linkid = await start(OUTBOUND);
    const receiver = await logoutReceiver();
    const calendar = await discover(
      linkid,
      pairwise('Calendar', ['http://127.0.0.1:5000/cb'], { backchannel_logout_uri: receiver.uri, backchannel_logout_session_required: true }),
    );
    const claims = (await signIn(new Browser(), linkid, calendar, 'ada@example.com')).tokens.claims()!;
    await linkid.services.admin.users.revokeSessions('ada@example.com');
    await vi.waitFor(() => expect(receiver.received).toHaveLength(1));
    const logout = await verifyLogoutToken(linkid.issuer, receiver.received[0]!.token, calendar.client.client_id);
    expect(logout.sub).toBe(claims.sub);
    expect(logout.sid).toBe(claims.sid);
  });

  it("refuses a pairwise app's back-channel logout URI off its sector's hosts, so a lookalike of another app's redirect URIs is sent no sub", async () => {
    const linkid = await start(OUTBOUND);
    // A lookalike names the victim's redirect URI (nobody proves they own one) and its own logout URI.
    const lookalike = pairwise('Lookalike', ['http://localhost:5000/cb'], { backchannel_logout_uri: 'https://attacker.example/logout' });
    await expect(linkid.createClient(lookalike)).rejects.toThrow(
      /--backchannel-logout-uri https:\/\/attacker\.example\/logout of a pairwise app must be on the host of one of its redirect URIs \(localhost\)/,
    );
    // By dynamic registration too, as invalid_client_metadata.
    const registrar = await start({ env: { DYNAMIC_REGISTRATION: 'open' } });
    const response = await fetch(`${registrar.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Lookalike',
        redirect_uris: ['http://localhost:5000/cb'],
        subject_type: 'pairwise',
        backchannel_logout_uri: 'https://attacker.example/logout',
      }),
    });
    expect({ status: response.status, error: ((await response.json()) as { error: string }).error }).toEqual({ status: 400, error: 'invalid_client_metadata' });
    // On a redirect URI's host (any port, any path) it is the app's own; a public app's logout URI may be anywhere.
    await expect(
      linkid.createClient(pairwise('Calendar', ['http://localhost:5000/cb'], { backchannel_logout_uri: 'http://localhost:5001/logout' })),
    ).resolves.toMatchObject({ subject_type: 'pairwise' });
    await expect(
      linkid.createClient({ name: 'Notes', redirectUris: ['http://localhost:5000/cb'], metadata: { backchannel_logout_uri: 'https://logout.example/bc' } }),
    ).resolves.toMatchObject({ backchannel_logout_uri: 'https://logout.example/bc' });
  });

  it('finds the person from the sub an app knows, with linkid-admin user show --client', async () => {
    const linkid = await start();
    const calendar = await discover(linkid, pairwise('Calendar', ['http://localhost:5000/cb']));
    await signIn(new Browser(), linkid, calendar, 'grace@example.com');
    const sub = (await signIn(new Browser(), linkid, calendar, 'ada@example.com')).tokens.claims()!.sub;
    const account = await linkid.store.users.findByEmail('ada@example.com');

    const shown = JSON.parse(await linkidAdmin(linkid, ['user', 'show', sub, '--client', calendar.client.client_id])) as Record<string, unknown>;
    expect(shown).toMatchObject({ sub: account!.id, email: 'ada@example.com', app: { client_id: calendar.client.client_id, subject_type: 'pairwise', sub } });
    const byAddress = JSON.parse(await linkidAdmin(linkid, ['user', 'show', 'ada@example.com', '--client', calendar.client.client_id]));
    expect(byAddress).toMatchObject({ sub: account!.id, app: { sub } });
    // Without --client the pairwise sub is nobody's account id.
    const plain = await linkidAdminResult(linkid, ['user', 'show', sub]);
    expect(plain.code).not.toBe(0);
    const unknown = await linkidAdminResult(linkid, ['user', 'show', 'A'.repeat(43), '--client', calendar.client.client_id]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr.trim()).toMatch(/no account has sub "A{43}" in client/);
  });

  it('refuses to move an app to another subject type or sector unless told to, since every sub would change', async () => {
    const linkid = await start();
    const calendar = await linkid.createClient(pairwise('Calendar', ['http://localhost:5000/cb']));
    await expect(linkid.updateClient(calendar.client_id, { redirectUris: ['http://localhost:5001/cb'] })).rejects.toThrow(
      /from pairwise in localhost:5000 to pairwise in localhost:5001: every person would get a new 'sub'/,
    );
    await expect(linkid.updateClient(calendar.client_id, { metadata: { subject_type: null } })).rejects.toThrow(/to public/);
    const moved = await linkid.updateClient(calendar.client_id, { redirectUris: ['http://localhost:5001/cb'], allowSubjectChange: true });
    expect(moved.redirect_uris).toEqual(['http://localhost:5001/cb']);
    // A change that leaves the sector alone needs nothing.
    expect((await linkid.updateClient(calendar.client_id, { name: 'Calendar 2' })).client_name).toBe('Calendar 2');
  });
});

describe('sector identifier documents that are refused', () => {
  const TWO_HOSTS = ['http://localhost:5000/cb', 'http://localhost:6000/cb'];
  const refusals = (): [string, () => string, RegExp][] => [
    ['that does not list every redirect URI', () => sectors.serve('partial.json', JSON.stringify(['http://localhost:5000/cb'])), /must be included/],
    ['that is not JSON', () => sectors.serve('page.json', '<html>sector</html>', 'text/html'), /failed to parse sector_identifier_uri JSON/],
    ['over http', () => 'http://sector.example/list.json', /must be an absolute https URL|must be a https uri/],
    ['that cannot be reached', () => 'https://127.0.0.1:1/list.json', /could not load sector_identifier_uri/],
  ];

  it('refuses pairwise redirect URIs on two hosts without a sector identifier document', async () => {
    const linkid = await start();
    await expect(linkid.createClient(pairwise('Two hosts', TWO_HOSTS))).rejects.toThrow(/needs --sector-identifier-uri/);
  });

  for (const [what, uri, reason] of refusals()) {
    it(`refuses one ${what}, in client create and in dynamic registration (invalid_client_metadata)`, async () => {
      const linkid = await start({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true', DYNAMIC_REGISTRATION: 'open' } });
      const sector = uri();
      await expect(linkid.createClient(pairwise('Two hosts', TWO_HOSTS, { sector_identifier_uri: sector }))).rejects.toThrow(reason);

      const response = await fetch(`${linkid.issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Two hosts', redirect_uris: TWO_HOSTS, subject_type: 'pairwise', sector_identifier_uri: sector }),
      });
      const answer = (await response.json()) as { error: string; error_description: string };
      expect(response.status, JSON.stringify(answer)).toBe(400);
      expect(answer.error).toBe('invalid_client_metadata');
      expect(answer.error_description).toMatch(reason);
      expect(await linkid.store.clients.list()).toEqual([]);
    });
  }

  it('registers a pairwise app by dynamic registration with a sector identifier document that lists every redirect URI', async () => {
    const linkid = await start({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true', DYNAMIC_REGISTRATION: 'open' } });
    const sector = sectors.serve('registered.json', JSON.stringify(TWO_HOSTS));
    const response = await fetch(`${linkid.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Two hosts', redirect_uris: TWO_HOSTS, subject_type: 'pairwise', sector_identifier_uri: sector }),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ subject_type: 'pairwise', sector_identifier_uri: sector });
  });

  it("refuses a registration update that adds the device flow to another owner's sector, whose document does not list its jwks_uri", async () => {
    // The victim's document lists only the victim's redirect URIs. A device-flow app gets its tokens
    // on the device, not at a redirect URI, so OIDC Core 8.1 (and oidc-provider) make the document
    // vouch for its jwks_uri too: adding the device flow later must be checked as registering it is.
    const linkid = await start({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true', DYNAMIC_REGISTRATION: 'open' } });
    const victimRedirect = 'http://localhost:5000/cb';
    const sector = sectors.serve('victim.json', JSON.stringify([victimRedirect]));
    const registered = await fetch(`${linkid.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Lookalike', redirect_uris: [victimRedirect], subject_type: 'pairwise', sector_identifier_uri: sector }),
    });
    expect(registered.status).toBe(201);
    const client = (await registered.json()) as Record<string, unknown> & { registration_client_uri: string; registration_access_token: string };
    const { registration_client_uri: uri, registration_access_token: token } = client;
    // RFC 7592 section 2.2: the update holds the registration's metadata, without what the server alone sets.
    const metadata = Object.fromEntries(
      Object.entries(client).filter(
        ([key]) => !['client_id_issued_at', 'client_secret_expires_at', 'registration_client_uri', 'registration_access_token'].includes(key),
      ),
    );
    const updated = await fetch(uri, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        ...metadata,
        grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: 'https://attacker.example/jwks.json',
      }),
    });
    const answer = (await updated.json()) as { error?: string; error_description?: string };
    expect(updated.status, JSON.stringify(answer)).toBe(400);
    expect(answer).toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringMatching(/jwks_uri must be included/) });
    expect((await linkid.store.clients.find(String(client.client_id)))?.metadata.jwks_uri).toBeUndefined();
  });

  it('refuses them in linkid-admin client create with one line, and takes a document that lists every redirect URI', async () => {
    const linkid = await start();
    const partial = sectors.serve('cli-partial.json', JSON.stringify([TWO_HOSTS[0]]));
    const flags = ['client', 'create', '--name', 'Two hosts', '--subject-type', 'pairwise', ...TWO_HOSTS.flatMap((uri) => ['--redirect-uri', uri])];
    const refused = await linkidAdminResult(linkid, [...flags, '--sector-identifier-uri', partial], sectors.commandEnv);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/all registered redirect_uris must be included in the sector_identifier_uri response/);

    const full = sectors.serve('cli-full.json', JSON.stringify(TWO_HOSTS));
    const made = JSON.parse(await linkidAdmin(linkid, [...flags, '--sector-identifier-uri', full], sectors.commandEnv)) as ClientView;
    expect(made).toMatchObject({ subject_type: 'pairwise', sector_identifier_uri: full, redirect_uris: TWO_HOSTS });
  });
});
