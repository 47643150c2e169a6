// APIs as resources (RFC 8707 resource indicators, RFC 9068 JWT access tokens), as an app, an API
// and a backend use them: an app that names `resource=` gets a JWT access token the API verifies
// offline against /jwks with jose; a backend gets one by client credentials (openid-client); an API
// made with --introspect introspects its own tokens and no one else's. An unknown resource, or one
// the app was not allowed, is invalid_target, never a 500.
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import type { ClientView } from '../../src/admin/clients.js';
import type { ResourceView } from '../../src/admin/resources.js';
import { Browser } from '../support/browser.js';
import { registerApp } from '../support/factories.js';
import type { RunningLinkid } from '../support/linkid.js';
import { oidc, RelyingParty } from '../support/relying-party.js';
import { confirmLink, requestLink, signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const NOTES_API = 'https://api.notes.example';
const NOTES_SCOPES = ['notes:read=Read your notes', 'notes:write=Change your notes'];

async function notesApi(linkid: RunningLinkid, options: { ttl?: number; introspect?: boolean; identifier?: string } = {}): Promise<ResourceView> {
  return linkid.services.admin.resources.create({ identifier: options.identifier ?? NOTES_API, scopes: NOTES_SCOPES, ...options });
}

/** The API's offline check: signature against /jwks, issuer, audience, RFC 9068's typ. */
function verifyAsApi(linkid: RunningLinkid, token: string, audience: string) {
  const jwks = jose.createRemoteJWKSet(new URL(`${linkid.issuer}/jwks`));
  return jose.jwtVerify(token, jwks, { issuer: linkid.issuer, audience, typ: 'at+jwt' });
}

/** What /auth answers the app's browser for these parameters: the redirect back to the app, with an error or a sign-in page. */
async function authorizationAnswer(rp: RelyingParty, params: Record<string, string>) {
  const response = await fetch((await rp.authorizationUrl(params)).url, { redirect: 'manual' });
  const location = response.headers.get('location') ?? '';
  return { status: response.status, location: URL.parse(location, rp.config.serverMetadata().issuer) };
}

/** What oidc-provider answers a client asking for a grant it was not registered for. */
const GRANT_NOT_ALLOWED = { error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' };

const isJwt = (token: string) => token.split('.').length === 3;

async function introspect(linkid: RunningLinkid, clientId: string, secret: string, token: string) {
  const response = await fetch(`${linkid.issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('an app that asks for an API with resource=', () => {
  const suite = useLinkid();

  it('gets a JWT access token the API verifies offline against /jwks: typ at+jwt, aud, scope, client_id, sub, iss, exp', async () => {
    const linkid = await suite.start();
    const api = await notesApi(linkid, { ttl: 300 });
    const rp = await registerApp(linkid, { name: 'Notes', firstParty: true, resources: [api.id] });
    const { tokens } = await signIn(new Browser(), linkid, rp, 'ann@example.com', { resource: NOTES_API, scope: 'openid email notes:read' });
    expect(isJwt(tokens.access_token)).toBe(true);
    expect(tokens.refresh_token).toBeUndefined();
    const { payload, protectedHeader } = await verifyAsApi(linkid, tokens.access_token, NOTES_API);
    const user = await linkid.store.users.findByEmail('ann@example.com');
    expect(protectedHeader).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    expect(payload).toMatchObject({ iss: linkid.issuer, aud: NOTES_API, scope: 'notes:read', client_id: rp.client.client_id, sub: user?.id });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300);
    expect(tokens.expires_in).toBeLessThanOrEqual(300);
    // The ID token still names the person; the access token is for the API, not for userinfo.
    expect(tokens.claims()?.sub).toBe(user?.id);
  });

  it('is refused by an API that checks for its own audience when the token is for another', async () => {
    const linkid = await suite.start();
    const api = await notesApi(linkid);
    const rp = await registerApp(linkid, { name: 'Notes', firstParty: true, resources: [api.id] });
    const { tokens } = await signIn(new Browser(), linkid, rp, 'ann@example.com', { resource: NOTES_API, scope: 'openid notes:read' });
    await expect(verifyAsApi(linkid, tokens.access_token, 'https://api.calendar.example')).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'aud',
    });
  });

  it('without resource= keeps the opaque access token for userinfo', async () => {
    const linkid = await suite.start();
    const api = await notesApi(linkid);
    const rp = await registerApp(linkid, { name: 'Notes', firstParty: true, resources: [api.id] });
    const { tokens } = await signIn(new Browser(), linkid, rp, 'ann@example.com');
    expect(isJwt(tokens.access_token)).toBe(false);
    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, oidc.skipSubjectCheck);
    expect(userinfo.email).toBe('ann@example.com');
  });

  it('gets invalid_target at its redirect URI for an unknown resource, one it was not allowed, and one with a fragment; never a 500', async () => {
    const linkid = await suite.start();
    const notes = await notesApi(linkid);
    const calendar = await notesApi(linkid, { identifier: 'https://api.calendar.example' });
    const rp = await registerApp(linkid, { name: 'Notes', firstParty: true, resources: [notes.id] });
    for (const resource of ['https://api.unknown.example', calendar.identifier, `${NOTES_API}#x`]) {
      const answer = await authorizationAnswer(rp, { resource, scope: 'openid notes:read' });
      expect(answer.status, resource).toBe(303);
      expect(answer.location?.href.startsWith(rp.redirectUri), resource).toBe(true);
      expect(answer.location?.searchParams.get('error'), resource).toBe('invalid_target');
    }
  });

  it('is shown the API and its scopes in plain words on the consent page', async () => {
    const linkid = await suite.start();
    const api = await notesApi(linkid);
    const rp = await registerApp(linkid, { name: 'Notes', resources: [api.id] });
    const browser = new Browser();
    const attempt = await rp.authorizationUrl({ resource: NOTES_API, scope: 'openid notes:write' });
    const { mail } = await requestLink(browser, linkid, attempt, 'ann@example.com');
    const confirmed = await confirmLink(browser, mail);
    const consent = await browser.follow(confirmed.location!, rp.redirectUri);
    expect(consent.status, linkid.logs.join('')).toBe(200);
    expect(consent.body).toContain(`Use ${NOTES_API} on your behalf, to:`);
    expect(consent.body).toContain('Change your notes');
    expect(consent.body).not.toContain('Read your notes');
    const back = await browser.submit(consent, /\/consent$/, { decision: 'allow' }, rp.redirectUri);
    const tokens = await rp.redeem(back.location!, attempt);
    expect((await verifyAsApi(linkid, tokens.access_token, NOTES_API)).payload.scope).toBe('notes:write');
  });
});

describe('an app refreshing its token for an API', () => {
  const suite = useLinkid();

  /** A person signed in to Notes with its API and offline access: the app holds a refresh token for the API. */
  async function signedInWithApi(linkid: RunningLinkid) {
    const notes = await notesApi(linkid);
    const calendar = await notesApi(linkid, { identifier: 'https://api.calendar.example' });
    const rp = await registerApp(linkid, { name: 'Notes', resources: [notes.id] });
    const { tokens } = await signIn(new Browser(), linkid, rp, 'ann@example.com', {
      resource: NOTES_API,
      scope: 'openid notes:read offline_access',
      prompt: 'consent',
    });
    expect(tokens.refresh_token).toBeDefined();
    return { notes, calendar, rp, refreshToken: tokens.refresh_token! };
  }

  it('is refused a resource it may not use with invalid_target, and its refresh token still works after', async () => {
    const linkid = await suite.start();
    const { calendar, rp, refreshToken } = await signedInWithApi(linkid);
    // Unknown, another app's API, one with a fragment, and two at once: each refused, none spends the token.
    for (const resource of ['https://api.unknown.example', calendar.identifier, `${NOTES_API}#x`]) {
      await expect(oidc.refreshTokenGrant(rp.config, refreshToken, { resource }), resource).rejects.toMatchObject({ error: 'invalid_target' });
    }
    const both = new URLSearchParams([
      ['resource', NOTES_API],
      ['resource', calendar.identifier],
    ]);
    await expect(oidc.refreshTokenGrant(rp.config, refreshToken, both)).rejects.toMatchObject({ error: 'invalid_target' });
    const refreshed = await oidc.refreshTokenGrant(rp.config, refreshToken, { resource: NOTES_API });
    expect((await verifyAsApi(linkid, refreshed.access_token, NOTES_API)).payload.scope).toBe('notes:read');
    // Without resource=, the granted API's token again, from the rotated refresh token.
    const again = await oidc.refreshTokenGrant(rp.config, refreshed.refresh_token!);
    expect((await verifyAsApi(linkid, again.access_token, NOTES_API)).payload.aud).toBe(NOTES_API);
  });

  it('is refused while an administrator has taken the API from it, and refreshes again once it is given back', async () => {
    const linkid = await suite.start();
    const { notes, rp, refreshToken } = await signedInWithApi(linkid);
    const clients = linkid.services.admin.clients;
    await clients.update(rp.client.client_id, { resources: [] });
    await expect(oidc.refreshTokenGrant(rp.config, refreshToken)).rejects.toMatchObject({ error: 'invalid_target' });
    await expect(oidc.refreshTokenGrant(rp.config, refreshToken)).rejects.toMatchObject({ error: 'invalid_target' });
    await clients.update(rp.client.client_id, { resources: [notes.id] });
    const refreshed = await oidc.refreshTokenGrant(rp.config, refreshToken);
    expect((await verifyAsApi(linkid, refreshed.access_token, NOTES_API)).payload.aud).toBe(NOTES_API);
  });
});

describe('a backend with client credentials', () => {
  const suite = useLinkid();

  async function serviceClient(linkid: RunningLinkid, resources: string[]) {
    const client = await linkid.services.admin.clients.create({ name: 'Nightly export', grantType: 'client_credentials', resources });
    return { client, rp: await RelyingParty.discover(linkid.issuer, client) };
  }

  it('gets a JWT access token for its API with no person and no refresh token, and the grant is audited', async () => {
    const linkid = await suite.start();
    const api = await notesApi(linkid, { ttl: 120 });
    const { client, rp } = await serviceClient(linkid, [api.id]);
    expect(client).toMatchObject({ grant_types: ['client_credentials'], redirect_uris: [] });
    const named = await oidc.clientCredentialsGrant(rp.config, { scope: 'notes:read', resource: NOTES_API });
    // With only one API, it need not name it.
    const defaulted = await oidc.clientCredentialsGrant(rp.config, { scope: 'notes:read notes:write openid' });
    for (const tokens of [named, defaulted]) {
      expect(tokens.refresh_token).toBeUndefined();
      const { payload } = await verifyAsApi(linkid, tokens.access_token, NOTES_API);
      expect(payload).toMatchObject({ aud: NOTES_API, client_id: client.client_id, sub: client.client_id });
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120);
    }
    expect((await verifyAsApi(linkid, defaulted.access_token, NOTES_API)).payload.scope).toBe('notes:read notes:write');
    await linkid.settle();
    const issued = (await linkid.store.audit.search({ clientId: client.client_id }, linkid.clock.now())).filter((event) => event.event === 'tokens.issued');
    expect(issued.map((event) => event.fields)).toEqual([
      expect.objectContaining({ grantType: 'client_credentials', resource: NOTES_API, scope: 'notes:read' }),
      expect.objectContaining({ grantType: 'client_credentials', resource: NOTES_API, scope: 'notes:read notes:write' }),
    ]);
    expect(JSON.stringify(issued)).not.toContain(named.access_token);
  });

  it('is refused an API it was not allowed, and a token without one when it may use several (invalid_target)', async () => {
    const linkid = await suite.start();
    const notes = await notesApi(linkid);
    const calendar = await notesApi(linkid, { identifier: 'https://api.calendar.example' });
    const { rp } = await serviceClient(linkid, [notes.id]);
    await expect(oidc.clientCredentialsGrant(rp.config, { scope: 'notes:read', resource: calendar.identifier })).rejects.toMatchObject({
      error: 'invalid_target',
    });
    const both = await serviceClient(linkid, [notes.id, calendar.id]);
    await expect(oidc.clientCredentialsGrant(both.rp.config, { scope: 'notes:read' })).rejects.toMatchObject({ error: 'invalid_target' });
    // An app that signs people in has no client-credentials grant, whatever APIs it may use.
    const app = await registerApp(linkid, { name: 'Notes', firstParty: true, resources: [notes.id] });
    await expect(oidc.clientCredentialsGrant(app.config, { scope: 'notes:read', resource: NOTES_API })).rejects.toMatchObject(GRANT_NOT_ALLOWED);
  });
});

describe('an API made with --introspect', () => {
  const suite = useLinkid();

  it('introspects the tokens for its own audience, answers active: false for any other, and nobody can introspect a JWT', async () => {
    const linkid = await suite.start();
    const api = await notesApi(linkid, { introspect: true });
    expect(api).toMatchObject({ access_token_format: 'opaque', introspection_client_id: expect.any(String), introspection_client_secret: expect.any(String) });
    const calendar = await notesApi(linkid, { identifier: 'https://api.calendar.example' });
    const rp = await registerApp(linkid, { name: 'Notes', firstParty: true, resources: [api.id, calendar.id] });
    const rsId = api.introspection_client_id ?? '';
    const rsSecret = api.introspection_client_secret ?? '';

    const forApi = (await signIn(new Browser(), linkid, rp, 'ann@example.com', { resource: NOTES_API, scope: 'openid notes:read' })).tokens;
    expect(isJwt(forApi.access_token)).toBe(false);
    const own = await introspect(linkid, rsId, rsSecret, forApi.access_token);
    expect(own).toMatchObject({ status: 200, body: { active: true, aud: NOTES_API, scope: 'notes:read', client_id: rp.client.client_id } });

    const forUserinfo = (await signIn(new Browser(), linkid, rp, 'bob@example.com')).tokens;
    expect((await introspect(linkid, rsId, rsSecret, forUserinfo.access_token)).body).toEqual({ active: false });
    // The app itself still introspects its own token.
    expect((await introspect(linkid, rp.client.client_id, rp.client.client_secret ?? '', forUserinfo.access_token)).body).toMatchObject({ active: true });

    // oidc-provider refuses any JWT at the introspection endpoint: a JWT access token is checked offline only.
    const jwt = (await signIn(new Browser(), linkid, rp, 'cy@example.com', { resource: calendar.identifier, scope: 'openid notes:read' })).tokens;
    expect(isJwt(jwt.access_token)).toBe(true);
    expect(await introspect(linkid, rsId, rsSecret, jwt.access_token)).toMatchObject({ status: 400, body: { error: 'unsupported_token_type' } });

    // Its client has no grant of its own.
    const rs = await RelyingParty.discover(linkid.issuer, {
      client_id: rsId,
      client_secret: rsSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [],
    } as unknown as ClientView);
    await expect(oidc.clientCredentialsGrant(rs.config, { resource: NOTES_API })).rejects.toMatchObject(GRANT_NOT_ALLOWED);
  });

  it('keeps its introspection client from becoming a sign-in app: only its name and how it authenticates change', async () => {
    const linkid = await suite.start();
    const api = await notesApi(linkid, { introspect: true });
    const rsId = api.introspection_client_id ?? '';
    const clients = linkid.services.admin.clients;
    const before = (await clients.list()).find((client) => client.client_id === rsId);
    for (const change of [
      { redirectUris: ['https://evil.example/callback'] },
      { deviceFlow: true },
      { firstParty: true },
      { postLogoutRedirectUris: ['https://evil.example/'] },
      { resources: [api.id] },
      { signup: 'open' as const },
    ]) {
      await expect(clients.update(rsId, change), JSON.stringify(change)).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringContaining("is an API's introspection client"),
      });
    }
    expect((await clients.list()).find((client) => client.client_id === rsId)).toEqual(before);
    expect(await clients.update(rsId, { name: 'Notes API introspection' })).toMatchObject({ client_name: 'Notes API introspection', redirect_uris: [] });
    const rp = await registerApp(linkid, { name: 'Notes', firstParty: true, resources: [api.id] });
    const { tokens } = await signIn(new Browser(), linkid, rp, 'ann@example.com', { resource: NOTES_API, scope: 'openid notes:read' });
    expect((await introspect(linkid, rsId, api.introspection_client_secret ?? '', tokens.access_token)).body).toMatchObject({ active: true });
  });

  it('gets a new introspection client from --introspect when its own was deleted with client delete', async () => {
    const linkid = await suite.start();
    const api = await notesApi(linkid, { introspect: true });
    await linkid.services.admin.clients.delete(api.introspection_client_id ?? '');
    const renewed = await linkid.services.admin.resources.update(api.id, { introspect: true });
    expect(renewed).toMatchObject({
      access_token_format: 'opaque',
      introspection_client_id: expect.any(String),
      introspection_client_secret: expect.any(String),
    });
    expect(renewed.introspection_client_id).not.toBe(api.introspection_client_id);

    const rp = await registerApp(linkid, { name: 'Notes', firstParty: true, resources: [api.id] });
    const { tokens } = await signIn(new Browser(), linkid, rp, 'ann@example.com', { resource: NOTES_API, scope: 'openid notes:read' });
    const answer = await introspect(linkid, renewed.introspection_client_id ?? '', renewed.introspection_client_secret ?? '', tokens.access_token);
    expect(answer).toMatchObject({ status: 200, body: { active: true, aud: NOTES_API } });
  });
});
