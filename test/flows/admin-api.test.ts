// The admin API as a script uses it: a service client made with `npx linkid-admin client create
// --admin-api` gets a short-lived token by the client-credentials grant (openid-client here), and
// with it manages apps, accounts, the audit trail and suppressions over /admin/api/. Nothing else
// reaches the API: no token, a user's access token, a deleted service client's token, a session
// cookie. Bad input is a 4xx with a reason code and the field, never a 500.
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import type { ClientView } from '../../src/admin/clients.js';
import { linkidAdminResult } from '../support/admin-cli.js';
import { Browser } from '../support/browser.js';
import { fakeClock } from '../support/fake-clock.js';
import type { RunningLinkid } from '../support/linkid.js';
import { oidc, RelyingParty } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';
import { useLinkid, useSharedLinkid } from '../support/use-linkid.js';

/** `npx linkid-admin client create --name NAME --admin-api ...`, as an operator runs it. */
async function createServiceClient(linkid: RunningLinkid, ...flags: string[]) {
  return linkidAdminResult(linkid, ['client', 'create', '--name', 'ops', '--admin-api', ...flags]);
}

/** The service client's token, by the client-credentials grant through openid-client. */
async function serviceToken(linkid: RunningLinkid, client: ClientView, scope = 'linkid:admin') {
  const rp = await RelyingParty.discover(linkid.issuer, client);
  return oidc.clientCredentialsGrant(rp.config, { scope });
}

describe('service clients of the admin API', () => {
  const shared = useSharedLinkid();

  it('are made by client create --admin-api, which prints the secret once, and list keeps the mark', async () => {
    const made = await createServiceClient(shared.linkid);
    expect(made.code, made.stderr).toBe(0);
    const client = JSON.parse(made.stdout) as ClientView;
    expect(client).toMatchObject({ client_name: 'ops', admin_api: true, grant_types: ['client_credentials'], scope: 'linkid:admin', redirect_uris: [] });
    expect(client.client_secret).toMatch(/^[\w-]{43}$/);
    const listed = await linkidAdminResult(shared.linkid, ['client', 'list']);
    const again = (JSON.parse(listed.stdout) as ClientView[]).find((entry) => entry.client_id === client.client_id);
    expect(again).toMatchObject({ admin_api: true });
    expect(again).not.toHaveProperty('client_secret');
    expect(made.stderr + listed.stderr).not.toContain(client.client_secret);
  });

  it('refuses --admin-api with a redirect URI or --public, in one line that names the flag', async () => {
    const [withRedirect, asPublic] = await Promise.all([
      createServiceClient(shared.linkid, '--redirect-uri', 'https://app.example/callback'),
      createServiceClient(shared.linkid, '--public'),
    ]);
    for (const [refused, flag] of [
      [withRedirect, '--redirect-uri'],
      [asPublic, '--public'],
    ] as const) {
      expect(refused.code, flag).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toContain(`${flag} cannot be used with it`);
    }
  });

  it('refuses every option of an app that signs people in, and keeps a service client one on update', async () => {
    const clients = shared.linkid.services.admin.clients;
    for (const [input, named] of [
      [{ deviceFlow: true }, '--device-flow'],
      [{ signup: 'closed' }, '--signup'],
      [{ metadata: { backchannel_logout_uri: 'https://app.example/logout' } }, '--backchannel-logout-uri'],
      [{ metadata: { token_endpoint_auth_method: 'none' } }, '--token-endpoint-auth-method none'],
    ] as const) {
      await expect(clients.create({ name: 'ops', adminApi: true, ...input }), named).rejects.toThrow(`${named} cannot be used with it`);
    }
    const ops = await clients.create({ name: 'ops', adminApi: true });
    await expect(clients.update(ops.client_id, { redirectUris: ['https://app.example/callback'] })).rejects.toThrow(
      /is a service client of the admin API .*--redirect-uri cannot be used with it/,
    );
    expect(await clients.update(ops.client_id, { name: 'ops 2' })).toMatchObject({
      client_name: 'ops 2',
      admin_api: true,
      grant_types: ['client_credentials'],
    });
  });

  it('get a token for linkid:admin by client credentials, short-lived, and for nothing else', async () => {
    const client = await shared.linkid.services.admin.clients.create({ name: 'ops', adminApi: true });
    const tokens = await serviceToken(shared.linkid, client);
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'linkid:admin', expires_in: 600 });
    await expect(serviceToken(shared.linkid, client, 'openid')).rejects.toMatchObject({ error: 'invalid_scope' });
    await expect(serviceToken(shared.linkid, client, 'openid linkid:admin')).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  it('are the only clients the client-credentials grant is for', async () => {
    const app = await shared.linkid.createClient({ name: 'An app' });
    await expect(serviceToken(shared.linkid, app)).rejects.toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringMatching(/grant type is not allowed/),
    });
  });

  it('hold the only scope no app can ask for at the authorization endpoint', async () => {
    const attempt = await shared.rp.authorizationUrl({ scope: 'openid linkid:admin' });
    const answer = await fetch(attempt.url, { redirect: 'manual' });
    const back = new URL(answer.headers.get('location') ?? '');
    expect(back.origin + back.pathname).toBe(shared.rp.redirectUri);
    expect(back.searchParams.get('error')).toBe('invalid_scope');
  });
});

describe('the token lifetime', () => {
  const { start } = useLinkid();

  it('is ADMIN_API_TOKEN_TTL_SECONDS', async () => {
    const linkid = await start({ env: { ADMIN_API_TOKEN_TTL_SECONDS: '120' } });
    const client = await linkid.services.admin.clients.create({ name: 'ops', adminApi: true });
    expect((await serviceToken(linkid, client)).expires_in).toBe(120);
  });
});

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** A request to /admin/api/ as a script makes it (fetch, JSON), with `token` as its bearer token unless headers say otherwise. */
async function api(
  linkid: RunningLinkid,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${linkid.issuer}/admin/api${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as Record<string, unknown> };
}

/** A service client and a token of its own. */
async function serviceClientWithToken(linkid: RunningLinkid) {
  const client = await linkid.services.admin.clients.create({ name: 'ops', adminApi: true });
  return { client, token: (await serviceToken(linkid, client)).access_token };
}

/** Introspects a token that names nothing: 200 when the client's secret authenticates, 401 when it does not. */
async function authenticates(linkid: RunningLinkid, clientId: string, secret: string): Promise<number> {
  const response = await fetch(`${linkid.issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'token=no-such-token',
  });
  return response.status;
}

const auditEvents = async (linkid: RunningLinkid) => {
  await linkid.settle();
  return linkid.store.audit.search({ since: 0 }, linkid.clock.now());
};

describe('the admin API with a service token', () => {
  const shared = useSharedLinkid();

  it('registers an app, reads, changes, rotates its secret and deletes it, each change audited with the service client as actor', async () => {
    const { linkid } = shared;
    const { client: ops, token } = await serviceClientWithToken(linkid);

    const registered = await api(linkid, token, 'POST', '/clients', { name: 'Shop', redirectUris: ['https://shop.example/callback'], consent: 'skip' });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const id = registered.body.client_id as string;
    const secret = registered.body.client_secret as string;
    expect(registered.headers.get('location')).toBe(`/admin/api/clients/${id}`);
    expect(registered.body).toMatchObject({ client_name: 'Shop', redirect_uris: ['https://shop.example/callback'], consent: 'skip' });
    expect(await authenticates(linkid, id, secret)).toBe(200);

    const read = await api(linkid, token, 'GET', `/clients/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ client_id: id, client_name: 'Shop' });
    expect(read.body).not.toHaveProperty('client_secret');
    const listed = await api(linkid, token, 'GET', '/clients');
    expect((listed.body.clients as ClientView[]).map((client) => client.client_id)).toContain(id);
    expect(JSON.stringify(listed.body)).not.toContain(secret);

    const changed = await api(linkid, token, 'PATCH', `/clients/${id}`, {
      name: 'Shop 2',
      metadata: { backchannel_logout_uri: 'https://shop.example/logout' },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ client_name: 'Shop 2', backchannel_logout_uri: 'https://shop.example/logout' });

    const rotated = await api(linkid, token, 'POST', `/clients/${id}/secret`);
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.client_secret as string;
    expect(newSecret).toMatch(/^[\w-]{43}$/);
    expect(await authenticates(linkid, id, secret)).toBe(401);
    expect(await authenticates(linkid, id, newSecret)).toBe(200);

    expect(await api(linkid, token, 'DELETE', `/clients/${id}`)).toMatchObject({ status: 200, body: { deleted: id } });
    expect(await api(linkid, token, 'GET', `/clients/${id}`)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await api(linkid, token, 'DELETE', `/clients/${id}`)).toMatchObject({ status: 404, body: { error: 'not_found' } });

    const events = (await auditEvents(linkid)).filter((event) => event.clientId === id);
    expect(events.map((event) => event.event)).toEqual(['client.registered', 'client.updated', 'client.secret_rotated', 'client.deleted']);
    for (const event of events) expect(event.fields).toMatchObject({ via: 'admin-api', actorClientId: ops.client_id });
    const everything = linkid.logs.join('') + JSON.stringify(await auditEvents(linkid));
    for (const value of [secret, newSecret, ops.client_secret!, token]) expect(everything).not.toContain(value);
  });

  it('registers a pairwise, PAR-and-DPoP app with the OIDC options client create takes, and refuses a bad one with the field', async () => {
    const { linkid } = shared;
    const { token } = await serviceClientWithToken(linkid);
    const metadata = { subject_type: 'pairwise', require_pushed_authorization_requests: true, dpop_bound_access_tokens: true };
    const registered = await api(linkid, token, 'POST', '/clients', { name: 'Bank', redirectUris: ['https://bank.example/callback'], metadata });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body).toMatchObject(metadata);
    const refused = await api(linkid, token, 'POST', '/clients', {
      name: 'Bank 2',
      redirectUris: ['https://bank.example/callback'],
      metadata: { request_object_signing_alg: 'none' },
    });
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_request', field: 'body.metadata.request_object_signing_alg' } });
  });

  it('creates an API, lets an app and a backend use it, changes and deletes it, each change audited with the service client as actor', async () => {
    const { linkid } = shared;
    const { client: ops, token } = await serviceClientWithToken(linkid);
    const identifier = 'https://api.ledger.example';

    const created = await api(linkid, token, 'POST', '/resources', { identifier, scopes: ['ledger:read=Read your ledger'], ttl: 300, introspect: true });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`/admin/api/resources/${id}`);
    expect(created.body).toMatchObject({
      identifier,
      scopes: [{ name: 'ledger:read', description: 'Read your ledger' }],
      access_token_ttl: 300,
      access_token_format: 'opaque',
      introspection_client_id: expect.any(String),
      introspection_client_secret: expect.stringMatching(/^[\w-]{43}$/),
    });
    const introspectionSecret = created.body.introspection_client_secret as string;
    const read = await api(linkid, token, 'GET', `/resources/${id}`);
    expect(read).toMatchObject({ status: 200, body: { id, identifier, introspection_client_id: created.body.introspection_client_id } });
    expect(read.body).not.toHaveProperty('introspection_client_secret');
    const listed = await api(linkid, token, 'GET', '/resources');
    expect((listed.body.resources as { id: string }[]).map((resource) => resource.id)).toContain(id);
    expect(JSON.stringify(listed.body)).not.toContain(introspectionSecret);

    // A backend made over the API gets a token for it by client credentials; an app is given it too.
    const backend = await api(linkid, token, 'POST', '/clients', { name: 'Ledger export', grantType: 'client_credentials', resources: [id] });
    expect(backend.status, JSON.stringify(backend.body)).toBe(201);
    const backendRp = await RelyingParty.discover(linkid.issuer, backend.body as unknown as ClientView);
    const granted = await oidc.clientCredentialsGrant(backendRp.config, { scope: 'ledger:read', resource: identifier });
    const introspected = await fetch(`${linkid.issuer}/token/introspection`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${String(created.body.introspection_client_id)}:${introspectionSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: granted.access_token }).toString(),
    });
    expect(await introspected.json()).toMatchObject({ active: true, aud: identifier, scope: 'ledger:read' });
    const app = await api(linkid, token, 'POST', '/clients', { name: 'Ledger', redirectUris: ['https://ledger.example/callback'] });
    const appId = app.body.client_id as string;
    expect(await api(linkid, token, 'PATCH', `/clients/${appId}`, { resources: [identifier] })).toMatchObject({
      status: 200,
      body: { settings: { resources: [id] } },
    });

    const changed = await api(linkid, token, 'PATCH', `/resources/${id}`, { scopes: ['ledger:read', 'ledger:write=Change your ledger'], introspect: false });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({
      access_token_format: 'jwt',
      introspection_client_id: null,
      scopes: [{ name: 'ledger:read' }, { name: 'ledger:write' }],
    });
    expect(await authenticates(linkid, String(created.body.introspection_client_id), introspectionSecret)).toBe(401);

    // Refused with the CLI's words, and nothing half-made.
    expect(await api(linkid, token, 'POST', '/resources', { identifier: 'http://api.example', scopes: ['x'] })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: expect.stringContaining('--identifier http://api.example') },
    });
    expect(await api(linkid, token, 'POST', '/resources', { identifier, scopes: ['x'] })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await api(linkid, token, 'POST', '/resources', { identifier: 'https://b.example', scopes: 'x' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', field: 'body.scopes' },
    });
    expect(await api(linkid, token, 'PATCH', `/resources/${id}`, {})).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await api(linkid, token, 'GET', '/resources/rs_nothing')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect((await api(linkid, token, 'GET', '/resources')).body.resources).toHaveLength((listed.body.resources as unknown[]).length);

    expect(await api(linkid, token, 'DELETE', `/resources/${id}`)).toMatchObject({ status: 200, body: { deleted: id } });
    expect(await api(linkid, token, 'GET', `/resources/${id}`)).toMatchObject({ status: 404 });
    expect((await api(linkid, token, 'GET', `/clients/${appId}`)).body.settings).not.toHaveProperty('resources');

    const events = (await auditEvents(linkid)).filter((event) => event.event.startsWith('resource.') && event.fields.resourceId === id);
    expect(events.map((event) => event.event)).toEqual(['resource.created', 'resource.updated', 'resource.deleted']);
    for (const event of events) expect(event.fields).toMatchObject({ via: 'admin-api', actorClientId: ops.client_id });
    expect(linkid.logs.join('') + JSON.stringify(await auditEvents(linkid))).not.toContain(introspectionSecret);
  });

  it('finds an account by address, disables and enables it, signs it out everywhere and deletes it', async () => {
    const { linkid, rp } = shared;
    const { client: ops, token } = await serviceClientWithToken(linkid);
    const { tokens } = await signIn(new Browser(), linkid, rp, 'grace@example.com');
    const sub = tokens.claims()!.sub;

    const found = await api(linkid, token, 'GET', '/users?email=Grace@Example.com');
    expect(found.status).toBe(200);
    expect(found.body.users).toMatchObject([{ sub, email: 'grace@example.com', disabled_at: null, sessions: 1, apps: [rp.client.client_id] }]);
    expect(await api(linkid, token, 'GET', '/users?email=nobody@example.com')).toMatchObject({ status: 200, body: { users: [] } });
    expect(await api(linkid, token, 'GET', `/users/${sub}`)).toMatchObject({ status: 200, body: { sub, sessions: 1 } });

    const disabled = await api(linkid, token, 'PATCH', `/users/${sub}`, { disabled: true });
    expect(disabled.status).toBe(200);
    expect(disabled.body.disabled_at).toEqual(expect.any(String));
    expect(disabled.body.revoked).toMatchObject({ sessions: 1 });
    await expect(oidc.fetchUserInfo(rp.config, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
    expect(await api(linkid, token, 'PATCH', `/users/${sub}`, { disabled: false })).toMatchObject({ status: 200, body: { disabled_at: null } });

    await signIn(new Browser(), linkid, rp, 'grace@example.com');
    expect(await api(linkid, token, 'DELETE', `/users/${sub}/sessions`)).toMatchObject({ status: 200, body: { sub, revoked: { sessions: 1 } } });
    expect(await api(linkid, token, 'DELETE', `/users/${sub}`)).toMatchObject({ status: 200, body: { deleted: sub } });
    expect(await api(linkid, token, 'GET', `/users/${sub}`)).toMatchObject({ status: 404, body: { error: 'not_found' } });

    const events = (await auditEvents(linkid)).filter((event) => event.accountId === sub && event.event.startsWith('user.'));
    expect(events.map((event) => event.event)).toEqual(['user.disabled', 'user.enabled', 'user.sessions_revoked', 'user.deleted']);
    for (const event of events) expect(event.fields).toMatchObject({ via: 'admin-api', actorClientId: ops.client_id });
  });

  it('searches the audit trail a page at a time, never unbounded', async () => {
    const { linkid } = shared;
    const { token } = await serviceClientWithToken(linkid);
    const made = await linkid.services.admin.clients.create({ name: 'Busy', redirectUris: ['https://busy.example/callback'] });
    for (let i = 0; i < 4; i += 1) await linkid.services.admin.clients.update(made.client_id, { name: `Busy ${i}` });
    await linkid.settle();
    const all = await api(linkid, token, 'GET', `/audit?client=${made.client_id}`);
    expect(all.status).toBe(200);
    expect((all.body.events as unknown[]).length).toBe(5);
    expect(all.body).not.toHaveProperty('next');

    const seen: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await api(linkid, token, 'GET', `/audit?client=${made.client_id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect((page.body.events as unknown[]).length).toBeLessThanOrEqual(2);
      seen.push(...(page.body.events as unknown[]));
      cursor = page.body.next as string | undefined;
    } while (cursor);
    expect(seen).toEqual(all.body.events);

    for (const query of ['limit=0', 'limit=1001', 'limit=ten', 'limit=1&limit=2', 'nothing=1']) {
      const refused = await api(linkid, token, 'GET', `/audit?client=${made.client_id}&${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.body).toMatchObject({ error: 'invalid_request', field: expect.stringMatching(/^query\./) });
    }
    expect(await api(linkid, token, 'GET', '/audit')).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await api(linkid, token, 'GET', `/audit?client=${made.client_id}&cursor=nonsense`)).toMatchObject({ status: 400 });
    expect(await api(linkid, token, 'GET', `/audit?client=${made.client_id}&since=yesterday`)).toMatchObject({ status: 400 });
  });

  it('lists suppressions and lifts one', async () => {
    const { linkid } = shared;
    const { token } = await serviceClientWithToken(linkid);
    await linkid.store.suppressions.suppress('bounced@example.com', 'hard_bounce', linkid.clock.now());
    const listed = await api(linkid, token, 'GET', '/suppressions');
    expect(listed.body.suppressions).toContainEqual(expect.objectContaining({ email: 'bounced@example.com', reason: 'hard_bounce' }));
    expect(await api(linkid, token, 'DELETE', '/suppressions/bounced%40example.com')).toMatchObject({
      status: 200,
      body: { lifted: 'bounced@example.com', reason: 'hard_bounce' },
    });
    expect(await api(linkid, token, 'DELETE', '/suppressions/bounced%40example.com')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await linkid.store.suppressions.reasonFor('bounced@example.com')).toBeUndefined();
  });
});

describe('who may call the admin API', () => {
  const shared = useSharedLinkid();

  it('refuses a request without a token with 401 and a Bearer challenge, JSON, no-store and no CORS', async () => {
    const refused = await api(shared.linkid, undefined, 'GET', '/clients', undefined, { origin: 'https://evil.example' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer realm="linkid admin API"/);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.body).toMatchObject({ error: 'invalid_token', error_description: expect.any(String), request_id: expect.any(String) });
    const preflight = await fetch(`${shared.linkid.issuer}/admin/api/clients`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a malformed or unknown token with 401 invalid_token', async () => {
    for (const authorization of ['Bearer', 'Basic b3BzOnNlY3JldA==', 'Bearer two words', `Bearer ${'A'.repeat(43)}`]) {
      const refused = await api(shared.linkid, undefined, 'GET', '/clients', undefined, { authorization });
      expect(refused.status, authorization).toBe(401);
      expect(refused.body.error).toBe('invalid_token');
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    }
  });

  it("refuses a person's access token to an app with 403 insufficient_scope", async () => {
    const { tokens } = await signIn(new Browser(), shared.linkid, shared.rp, 'ada@example.com');
    const refused = await api(shared.linkid, tokens.access_token, 'GET', '/clients');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('insufficient_scope');
    expect(refused.headers.get('www-authenticate')).toMatch(/error="insufficient_scope", scope="linkid:admin"/);
  });

  it('refuses a token without the scope, and one whose service client was deleted', async () => {
    const { client, token } = await serviceClientWithToken(shared.linkid);
    const unscoped = (await serviceToken(shared.linkid, client, '')).access_token;
    expect(await api(shared.linkid, unscoped, 'GET', '/clients')).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
    expect((await api(shared.linkid, token, 'GET', '/clients')).status).toBe(200);
    await shared.linkid.services.admin.clients.delete(client.client_id);
    expect(await api(shared.linkid, token, 'GET', '/clients')).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  });

  it('never lets a session cookie in: a signed-in browser without a token is refused', async () => {
    const browser = new Browser();
    await signIn(browser, shared.linkid, shared.rp, 'ada@example.com');
    const page = await browser.request(`${shared.linkid.issuer}/admin/api/clients`);
    expect(page.status).toBe(401);
    expect(JSON.parse(page.body)).toMatchObject({ error: 'invalid_token' });
  });
});

describe('an expired service token', () => {
  const { start } = useLinkid();

  it('is refused once ADMIN_API_TOKEN_TTL_SECONDS have passed', async () => {
    const clock = fakeClock();
    const linkid = await start({ clock });
    const { token } = await serviceClientWithToken(linkid);
    expect((await api(linkid, token, 'GET', '/clients')).status).toBe(200);
    clock.advance(600_000);
    expect(await api(linkid, token, 'GET', '/clients')).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  });
});

describe('bad input to the admin API', () => {
  const shared = useSharedLinkid();
  let token = '';
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    token ||= (await serviceClientWithToken(shared.linkid)).token;
    return api(shared.linkid, token, method, path, body, headers);
  };

  it('answers 400 with the reason code and the field, never a 500', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/clients', { redirectUris: ['https://a.example/cb'] }, 'body.name'],
      ['POST', '/clients', { name: 'A', redirectUris: 'https://a.example/cb' }, 'body.redirectUris'],
      ['POST', '/clients', { name: 'A', redirectUris: ['https://a.example/cb'], adminApi: true }, 'body.adminApi'],
      ['POST', '/clients', { name: 'A', redirectUris: ['https://a.example/cb'], settings: { admin_api: true } }, 'body.settings'],
      [
        'POST',
        '/clients',
        { name: 'A', redirectUris: ['https://a.example/cb'], metadata: { grant_types: ['client_credentials'] } },
        'body.metadata.grant_types',
      ],
      ['POST', '/clients', { name: 'A', redirectUris: ['https://a.example/cb#x'] }, 'body.redirectUris.0'],
      ['POST', '/clients', { name: 'A' }, 'body.redirectUris'],
      ['POST', '/clients', [], 'body'],
      ['POST', '/clients', 'null', 'body'],
      ['POST', '/clients', '{"name":', 'body'],
      ['PATCH', '/clients/x', { nope: 1 }, 'body.nope'],
      ['PATCH', '/users/abc', { disabled: 'yes' }, 'body.disabled'],
      ['PATCH', '/users/abc', {}, 'body.disabled'],
      ['GET', '/users', undefined, 'query.email'],
      ['GET', '/users/ada@example.com', undefined, 'path.sub'],
      ['GET', '/clients?x=1', undefined, 'query.x'],
      ['DELETE', '/clients/x', { please: true }, 'body'],
      ['POST', '/clients/x/secret', {}, 'body'],
    ];
    for (const [method, path, body, field] of cases) {
      const refused = await call(method, path, body);
      expect(refused.status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(refused.body)}`).toBe(400);
      expect(refused.body).toMatchObject({ error: 'invalid_request', field, error_description: expect.any(String) });
    }
  });

  it('answers 404 for an unknown id or path, 405 for another method, 413 for a large body and 415 for another type', async () => {
    expect(await call('GET', '/clients/no-such-client')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await call('PATCH', '/clients/no-such-client', { name: 'x' })).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await call('POST', '/clients/no-such-client/secret')).toMatchObject({ status: 404 });
    expect(await call('GET', '/users/no-such-sub')).toMatchObject({ status: 404 });
    expect(await call('DELETE', '/suppressions/nobody%40example.com')).toMatchObject({ status: 404 });
    expect(await call('GET', '/no/such/thing')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const wrongMethod = await call('PUT', '/clients');
    expect(wrongMethod).toMatchObject({ status: 405, body: { error: 'method_not_allowed' } });
    expect(wrongMethod.headers.get('allow')).toMatch(/GET.*POST|POST.*GET/);
    const large = await call('POST', '/clients', { name: 'A', redirectUris: ['https://a.example/cb'], logoUri: `https://a.example/${'x'.repeat(20_000)}` });
    expect(large).toMatchObject({ status: 413, body: { error: 'body_too_large' } });
    const form = await call('POST', '/clients', 'name=A', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
  });

  it('refuses what the admin operations refuse with their words, as 400', async () => {
    const app = await call('POST', '/clients', { name: 'Public', redirectUris: ['https://a.example/cb'], isPublic: true });
    expect(app.status).toBe(201);
    const rotate = await call('POST', `/clients/${app.body.client_id as string}/secret`);
    expect(rotate).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: expect.stringMatching(/is public and has no secret/) } });
    expect(await call('GET', '/users?email=not-an-address')).toMatchObject({ status: 400, body: { error: 'invalid_request', field: 'query.email' } });
    expect(await call('GET', '/users?email=a@b@c')).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });
});

describe('the OpenAPI document', () => {
  const shared = useSharedLinkid();

  it('is OpenAPI 3.1 that validates, served without a token', async () => {
    const response = await fetch(`${shared.linkid.issuer}/admin/api/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; components: { securitySchemes: Record<string, unknown> } };
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes.serviceToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('names exactly the routes the router answers, both ways', async () => {
    const { adminApi } = shared.linkid.app;
    const routed = adminApi.router.stack
      .flatMap((layer) => layer.methods.filter((method) => method !== 'HEAD').map((method) => `${method} ${String(layer.path).replace(/:(\w+)/g, '{$1}')}`))
      .sort();
    const documented = Object.entries(adminApi.document().paths ?? {})
      .flatMap(([path, item]) => Object.keys(item ?? {}).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(routed.length).toBeGreaterThanOrEqual(15);
    expect(documented).toEqual(routed);
  });
});
