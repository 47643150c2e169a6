// RFC 7591 dynamic client registration and RFC 7592 management, driven by openid-client as a
// developer's tool would: an initial access token made with linkid-admin registers an app, and a
// person signs in to that app by the magic link. What registration stores follows the CLI's rules,
// and no token or secret it hands out is kept anywhere in clear.
import { describe, expect, it } from 'vitest';
import type { ClientView } from '../../src/admin/clients.js';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { linkidAdmin } from '../support/admin-cli.js';
import { Browser } from '../support/browser.js';
import { fakeClock } from '../support/fake-clock.js';
import type { RunningLinkid } from '../support/linkid.js';
import { oidc, RelyingParty } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';
import { holding, storedRecords } from '../support/stored-records.js';
import { useLinkid } from '../support/use-linkid.js';

const { start } = useLinkid();
const INITIAL = { env: { DYNAMIC_REGISTRATION: 'initial-token' } };
const APP = { client_name: 'Registered notes', redirect_uris: ['http://localhost:8080/callback'] };

interface Registered {
  client_id: string;
  client_secret?: string;
  registration_access_token: string;
  registration_client_uri: string;
  [key: string]: unknown;
}

const post = (linkid: RunningLinkid, body: unknown, token?: string, headers: Record<string, string> = {}) =>
  fetch(`${linkid.issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const manage = (registered: Registered, method: string, token = registered.registration_access_token, body?: unknown) =>
  fetch(registered.registration_client_uri, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

async function makeToken(linkid: RunningLinkid, ...args: string[]) {
  return JSON.parse(await linkidAdmin(linkid, ['registration-token', 'create', ...args])) as {
    token: string;
    id: string;
    uses: number;
    expires_at: string;
  };
}

async function registered(linkid: RunningLinkid, token: string | undefined, body: unknown = APP): Promise<Registered> {
  const response = await post(linkid, body, token);
  const answer = (await response.json()) as Registered;
  expect(response.status, JSON.stringify(answer)).toBe(201);
  return answer;
}

async function clientList(linkid: RunningLinkid): Promise<ClientView[]> {
  return JSON.parse(await linkidAdmin(linkid, ['client', 'list'])) as ClientView[];
}

const events = async (linkid: RunningLinkid, event: string) => {
  await linkid.settle();
  return (await linkid.store.audit.search({ since: 0 }, linkid.clock.now())).filter((record) => record.event === event);
};

describe('dynamic client registration with an initial access token', () => {
  it('registers a client with openid-client and a token from linkid-admin, and a person signs in to it by the magic link', async () => {
    const linkid = await start(INITIAL);
    const made = await makeToken(linkid, '--expires-in', '1d', '--uses', '1');
    expect(made).toMatchObject({ uses: 1, used: 0, uses_left: 1, state: 'live' });
    expect(made.token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const config = await oidc.dynamicClientRegistration(new URL(linkid.issuer), APP, undefined, {
      initialAccessToken: made.token,
      execute: [oidc.allowInsecureRequests],
    });
    const metadata = config.clientMetadata();
    expect(metadata.client_secret).toEqual(expect.any(String));
    expect(metadata.registration_access_token).toEqual(expect.any(String));

    const client = { ...metadata, redirect_uris: APP.redirect_uris, token_endpoint_auth_method: 'client_secret_basic' } as unknown as ClientView;
    const rp = await RelyingParty.discover(linkid.issuer, client);
    const { tokens } = await signIn(new Browser(), linkid, rp, 'dev@example.com');
    expect(tokens.claims()?.aud).toBe(metadata.client_id);
    expect(tokens.claims()?.email).toBe('dev@example.com');

    // In `client list`, marked as registered that way; audited with the token's id, never the token.
    const listed = (await clientList(linkid)).find((app) => app.client_id === metadata.client_id);
    expect(listed).toMatchObject({ client_name: 'Registered notes', dynamically_registered: true, consent: 'required' });
    expect(listed?.client_secret).toBeUndefined();
    const [registration] = await events(linkid, 'client.registered');
    expect(registration?.clientId).toBe(metadata.client_id);
    expect(registration?.fields).toMatchObject({ via: 'registration', initialTokenId: made.id });

    // A single use: spent.
    const again = await post(linkid, APP, made.token);
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ error: 'invalid_token' });

    // Nothing it handed out is kept in clear: not the initial token, the client secret or the registration access token.
    const records = await storedRecords(linkid);
    const logs = linkid.logs.join('\n');
    for (const secret of [made.token, String(metadata.client_secret), metadata.registration_access_token as string]) {
      expect(holding(records, secret), 'stored').toEqual([]);
      expect(logs.includes(secret), 'logged').toBe(false);
    }
  });

  it('refuses a registration without a token, with an unknown one, and with a revoked one (401 invalid_token)', async () => {
    const linkid = await start(INITIAL);
    for (const token of [undefined, 'not-a-token-linkid-made-0123456789abcdefghijk']) {
      const response = await post(linkid, APP, token);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_token' });
    }
    const made = await makeToken(linkid);
    expect(JSON.parse(await linkidAdmin(linkid, ['registration-token', 'revoke', made.id]))).toEqual({ revoked: made.id });
    const refused = await post(linkid, APP, made.token);
    expect(refused.status).toBe(401);
    const listed = JSON.parse(await linkidAdmin(linkid, ['registration-token', 'list'])) as Record<string, unknown>[];
    expect(listed).toEqual([expect.objectContaining({ id: made.id, state: 'revoked', used: 0 })]);
    expect(JSON.stringify(listed)).not.toContain(made.token);
    expect(await clientList(linkid)).toEqual([]);
  });

  it('lets exactly 2 of 5 concurrent registrations with a two-use token through', async () => {
    const linkid = await start(INITIAL);
    const made = await makeToken(linkid, '--uses', '2');
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => post(linkid, { ...APP, client_name: `App ${i}` }, made.token)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 201, 401, 401, 401]);
    expect(await clientList(linkid)).toHaveLength(2);
    const [listed] = JSON.parse(await linkidAdmin(linkid, ['registration-token', 'list'])) as Record<string, unknown>[];
    expect(listed).toMatchObject({ uses: 2, used: 2, uses_left: 0, state: 'used_up' });
  });

  it('stops admitting a token when it expires by the server clock', async () => {
    const clock = fakeClock();
    const linkid = await start({ ...INITIAL, clock });
    const made = await linkid.services.admin.registrationTokens.create({ expiresIn: '1h', uses: 5 });
    await registered(linkid, made.token);
    clock.advance(3_600_000);
    const late = await post(linkid, APP, made.token);
    expect(late.status).toBe(401);
    expect(await late.json()).toMatchObject({ error: 'invalid_token' });
    expect((await linkid.services.admin.registrationTokens.list())[0]).toMatchObject({ state: 'expired', used: 1 });
  });

  it('refuses what the CLI refuses with RFC 7591 error codes, spending no use', async () => {
    const linkid = await start(INITIAL);
    const made = await makeToken(linkid);
    const refusals: [unknown, number, string][] = [
      [{ ...APP, redirect_uris: ['http://app.example.com/callback'] }, 400, 'invalid_redirect_uri'],
      [{ ...APP, redirect_uris: ['https://app.example.com/cb#frag'] }, 400, 'invalid_redirect_uri'],
      [{ ...APP, post_logout_redirect_uris: ['http://app.example.com/bye'] }, 400, 'invalid_redirect_uri'],
      [{ ...APP, response_types: ['token'] }, 400, 'invalid_client_metadata'],
      [{ ...APP, grant_types: ['implicit'] }, 400, 'invalid_client_metadata'],
      [{ ...APP, grant_types: ['authorization_code', 'client_credentials'] }, 400, 'invalid_client_metadata'],
      [{ ...APP, token_endpoint_auth_method: 'tls_client_auth' }, 400, 'invalid_client_metadata'],
      [{ ...APP, token_endpoint_auth_method: 'magic' }, 400, 'invalid_client_metadata'],
      [{ ...APP, id_token_signed_response_alg: 'HS256' }, 400, 'invalid_client_metadata'],
      [{ ...APP, id_token_signed_response_alg: 'none' }, 400, 'invalid_client_metadata'],
      [{ ...APP, subject_type: 'secret' }, 400, 'invalid_client_metadata'],
      [{ ...APP, logo_uri: 'http://app.example.com/logo.png' }, 400, 'invalid_client_metadata'],
      [{ ...APP, scope: 'openid admin' }, 400, 'invalid_client_metadata'],
      [{ redirect_uris: APP.redirect_uris }, 400, 'invalid_client_metadata'],
      [{ ...APP, redirect_uris: 'http://localhost:8080/callback' }, 400, 'invalid_redirect_uri'],
      ['[1, 2]', 400, 'invalid_request'],
      ['{"client_name": ', 400, 'invalid_request'],
      [{ ...APP, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, token_endpoint_auth_method: 'private_key_jwt' }, 400, 'invalid_client_metadata'],
    ];
    for (const [body, status, error] of refusals) {
      const response = await post(linkid, body, made.token);
      const answer = (await response.json()) as { error: string; error_description?: string };
      expect({ body, status: response.status, error: answer.error }).toEqual({ body, status, error });
      expect(answer.error_description, JSON.stringify(body)).toEqual(expect.any(String));
    }
    const oversized = await post(linkid, { ...APP, client_name: 'x'.repeat(40_000) }, made.token);
    expect(oversized.status).toBe(413);
    // Every refusal left the single use unspent.
    await registered(linkid, made.token);
  });

  it('registers a high-security app (RFC 9126 §6, RFC 9449 §5.2, RFC 9101 §10.5 metadata) that then gets what it registered', async () => {
    const linkid = await start({ env: { DYNAMIC_REGISTRATION: 'open' } });
    const app = await registered(linkid, undefined, {
      ...APP,
      token_endpoint_auth_method: 'none',
      require_pushed_authorization_requests: true,
      dpop_bound_access_tokens: true,
    });
    expect(app).toMatchObject({ require_pushed_authorization_requests: true, dpop_bound_access_tokens: true });
    // Read back as stored (RFC 7592), and applied: a plain /auth request is refused at the app's redirect URI.
    expect(await (await manage(app, 'GET')).json()).toMatchObject({ require_pushed_authorization_requests: true, dpop_bound_access_tokens: true });
    const plain = new URL(`${linkid.issuer}/auth`);
    for (const [name, value] of Object.entries({
      client_id: app.client_id,
      response_type: 'code',
      redirect_uri: APP.redirect_uris[0]!,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }))
      plain.searchParams.set(name, value);
    const refused = await fetch(plain, { redirect: 'manual' });
    expect(new URL(refused.headers.get('location') ?? '', linkid.issuer).searchParams.get('error')).toBe('invalid_request');
    // A request object algorithm needs keys to check it by, as on the command line; `none` is never accepted.
    const refusals = [
      { ...APP, request_object_signing_alg: 'ES256' },
      { ...APP, request_object_signing_alg: 'none' },
      { ...APP, dpop_bound_access_tokens: 'yes' },
    ];
    for (const body of refusals) {
      const response = await post(linkid, body);
      expect({ body, status: response.status, error: ((await response.json()) as { error: string }).error }).toEqual({
        body,
        status: 400,
        error: 'invalid_client_metadata',
      });
    }
  });

  it('names the redirect URI rule in its words', async () => {
    const linkid = await start(INITIAL);
    const made = await makeToken(linkid);
    const answer = (await (await post(linkid, { ...APP, redirect_uris: ['http://app.example.com/callback'] }, made.token)).json()) as Record<string, string>;
    expect(answer).toEqual({
      error: 'invalid_redirect_uri',
      error_description: 'redirect_uris http://app.example.com/callback must use https (http is allowed only for localhost)',
    });
  });
});

describe('RFC 7592: a registration managed with its registration access token', () => {
  it('reads, updates (rotating the token) and deletes its own client, and no other', async () => {
    const linkid = await start({ env: { DYNAMIC_REGISTRATION: 'open' } });
    const mine = await registered(linkid, undefined);
    const theirs = await registered(linkid, undefined, { ...APP, client_name: 'Theirs' });

    const read = await manage(mine, 'GET');
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: mine.client_id, client_name: 'Registered notes', redirect_uris: APP.redirect_uris });

    // Another client's token is refused on this client (and oidc-provider destroys that token).
    const crossed = await manage(mine, 'GET', theirs.registration_access_token);
    expect(crossed.status).toBe(401);
    expect(await crossed.json()).toMatchObject({ error: 'invalid_token' });

    const update = { client_id: mine.client_id, client_name: 'Renamed notes', redirect_uris: ['https://notes.example.com/callback'] };
    const refused = await manage(mine, 'PUT', undefined, { ...update, redirect_uris: ['http://notes.example.com/callback'] });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_redirect_uri' });

    const updated = await manage(mine, 'PUT', undefined, update);
    const answer = (await updated.json()) as Registered;
    expect(updated.status, JSON.stringify(answer)).toBe(200);
    expect(answer).toMatchObject({ client_name: 'Renamed notes', redirect_uris: update.redirect_uris, client_secret: mine.client_secret });
    expect(answer.registration_access_token).not.toBe(mine.registration_access_token);
    expect((await manage(mine, 'GET')).status).toBe(401);
    const current = { ...mine, registration_access_token: answer.registration_access_token };
    expect((await clientList(linkid)).find((app) => app.client_id === mine.client_id)).toMatchObject({
      client_name: 'Renamed notes',
      redirect_uris: update.redirect_uris,
    });

    const deleted = await manage(current, 'DELETE');
    expect(deleted.status).toBe(204);
    expect((await manage(current, 'GET')).status).toBe(401);
    expect((await clientList(linkid)).map((app) => app.client_id)).toEqual([theirs.client_id]);
    const [removal] = await events(linkid, 'client.deleted');
    expect(removal).toMatchObject({ clientId: mine.client_id, fields: { via: 'registration' } });
    const [change] = await events(linkid, 'client.updated');
    expect(change).toMatchObject({ clientId: mine.client_id, fields: { via: 'registration' } });
    expect(JSON.stringify(await linkid.store.audit.search({ since: 0 }, linkid.clock.now()))).not.toContain(String(mine.client_secret));
  });
});

describe('what registration answers', () => {
  /** The client metadata of an answer, without what only the answer that made or rotated it carries. */
  const metadataOf = (answer: Registered) => {
    const metadata: Partial<Registered> = { ...answer };
    delete metadata.registration_access_token;
    return metadata;
  };

  it('is what a read of the stored client gives, after a registration and after an update, also under REQUIRE_PAR', async () => {
    const linkid = await start({ env: { DYNAMIC_REGISTRATION: 'open', REQUIRE_PAR: 'true' } });
    const bodies = [
      APP,
      { ...APP, application_type: 'native', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none' },
      { ...APP, require_pushed_authorization_requests: false, id_token_signed_response_alg: 'ES256', post_logout_redirect_uris: ['http://localhost:8080/'] },
    ];
    for (const body of bodies) {
      const before = Math.floor(linkid.clock.now() / 1000);
      const answer = await registered(linkid, undefined, body);
      expect(answer.require_pushed_authorization_requests, JSON.stringify(body)).toBe(true);
      const read = (await (await manage(answer, 'GET')).json()) as Registered;
      expect(metadataOf(answer), JSON.stringify(body)).toEqual(metadataOf(read));
      // RFC 7591 §3.2.1: when the id was issued; with a secret, when it expires (0: never).
      expect(read.client_id_issued_at).toBeGreaterThanOrEqual(before);
      expect(read.client_id_issued_at).toBeLessThanOrEqual(Math.floor(linkid.clock.now() / 1000));
      expect(read.client_secret_expires_at).toBe(read.client_secret === undefined ? undefined : 0);

      const update = await manage(answer, 'PUT', undefined, { ...body, client_id: answer.client_id, client_name: 'Renamed' });
      const updated = (await update.json()) as Registered;
      expect(update.status, JSON.stringify(updated)).toBe(200);
      const reread = (await (await manage(updated, 'GET')).json()) as Registered;
      expect(metadataOf(updated), JSON.stringify(body)).toEqual(metadataOf(reread));
      expect(reread).toMatchObject({ client_name: 'Renamed', require_pushed_authorization_requests: true });
    }
  });

  it('is the same at every spelling of the path oidc-provider routes (/REG, /reg/, /Reg/:id), and so is the size limit', async () => {
    const linkid = await start({ env: { DYNAMIC_REGISTRATION: 'open', REQUIRE_PAR: 'true' } });
    const at = (path: string, method: string, body: unknown, token?: string) =>
      fetch(`${linkid.issuer}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    for (const path of ['/REG', '/reg/']) {
      const made = await at(path, 'POST', APP);
      const answer = (await made.json()) as Registered;
      expect(made.status, path).toBe(201);
      expect(answer.require_pushed_authorization_requests, path).toBe(true);
      const update = await at(`/Reg/${answer.client_id}`, 'PUT', { ...APP, client_id: answer.client_id }, answer.registration_access_token);
      const updated = (await update.json()) as Registered;
      expect(update.status, path).toBe(200);
      expect(updated.require_pushed_authorization_requests, path).toBe(true);
      expect(updated.client_id_issued_at, path).toBe(answer.client_id_issued_at);
    }
    expect((await at('/REG', 'POST', { ...APP, client_name: 'x'.repeat(40_000) })).status).toBe(413);
  });
});

describe('DYNAMIC_REGISTRATION modes', () => {
  it('open on a loopback issuer registers without a token, and a public app gets no secret', async () => {
    const linkid = await start({ env: { DYNAMIC_REGISTRATION: 'open' } });
    const app = await registered(linkid, undefined, { ...APP, token_endpoint_auth_method: 'none' });
    expect(app.client_secret).toBeUndefined();
    const [registration] = await events(linkid, 'client.registered');
    expect(registration?.fields).toMatchObject({ via: 'registration', initialTokenId: null, isPublic: true });
  });

  it('off (the default) has no registration endpoint and advertises none', async () => {
    const linkid = await start();
    const discovery = (await (await fetch(`${linkid.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.registration_endpoint).toBeUndefined();
    expect((await post(linkid, APP)).status).toBe(404);
    const on = await start(INITIAL);
    const advertised = (await (await fetch(`${on.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(advertised.registration_endpoint).toBe(`${on.issuer}/reg`);
  });

  it('refuses open at start unless ISSUER is on loopback, with one line naming the variable', () => {
    expect(() => loadConfig({ ISSUER: 'https://id.example.com', DYNAMIC_REGISTRATION: 'open', MAIL_TRANSPORT: 'outbox' })).toThrow(ConfigError);
    expect(() => loadConfig({ ISSUER: 'https://id.example.com', DYNAMIC_REGISTRATION: 'open', MAIL_TRANSPORT: 'outbox' })).toThrow(
      /DYNAMIC_REGISTRATION: open .*loopback/,
    );
    expect(loadConfig({ ISSUER: 'https://id.example.com', DYNAMIC_REGISTRATION: 'initial-token', MAIL_TRANSPORT: 'outbox' }).dynamicRegistration).toBe(
      'initial-token',
    );
    expect(() => loadConfig({ DYNAMIC_REGISTRATION: 'sometimes' })).toThrow(/DYNAMIC_REGISTRATION/);
  });
});
