// Apps written with different OIDC libraries authenticate in different ways and verify different
// signatures: each method and ID token algorithm a client can choose is driven here with
// openid-client, from registration (the admin code `linkid-admin client create` runs) to tokens.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { NOTES } from '../support/factories.js';
import { RelyingParty, oidc } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

async function appKeys() {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'app-key-1', alg: 'ES256', use: 'sig' };
  return { jwks: { keys: [jwk] }, privateKey: { key: privateKey, kid: 'app-key-1' } };
}

/** A JWKS served on loopback, as an app publishes its keys at its jwks_uri. */
const servers: http.Server[] = [];
afterEach(() => Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve)))));
async function serveJwks(jwks: unknown): Promise<{ uri: string; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`, hits: () => hits };
}

describe('client authentication methods', () => {
  const { start } = useLinkid();

  it('advertises in discovery exactly the methods and ID token algorithms that work', async () => {
    const linkid = await start();
    const discovery = (await (await fetch(`${linkid.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.token_endpoint_auth_methods_supported).toEqual([
      'client_secret_basic',
      'client_secret_post',
      'client_secret_jwt',
      'private_key_jwt',
      'none',
    ]);
    expect(discovery.id_token_signing_alg_values_supported).toEqual(['RS256', 'ES256', 'EdDSA']);
    expect(discovery.backchannel_logout_supported).toBe(true);
    expect(discovery.backchannel_logout_session_supported).toBe(true);
  });

  for (const method of ['client_secret_post', 'client_secret_jwt'] as const) {
    it(`signs in an app that authenticates with ${method}, and refuses a wrong secret`, async () => {
      const linkid = await start();
      const client = await linkid.createClient({ ...NOTES, metadata: { token_endpoint_auth_method: method } });
      expect(client.token_endpoint_auth_method).toBe(method);
      expect(client.client_secret).toBeTruthy();
      const rp = await RelyingParty.discover(linkid.issuer, client);
      const { tokens } = await signIn(new Browser(), linkid, rp, 'post@example.com');
      expect(tokens.claims()!.aud).toBe(client.client_id);

      // The same method with a wrong secret is refused.
      const wrong = await RelyingParty.discover(linkid.issuer, { ...client, client_secret: 'x'.repeat(43) });
      await expect(oidc.tokenIntrospection(wrong.config, tokens.access_token)).rejects.toMatchObject({ status: 401 });
    });
  }

  it('signs in a private_key_jwt app with keys given inline, and shows no secret for it', async () => {
    const linkid = await start();
    const { jwks, privateKey } = await appKeys();
    const client = await linkid.createClient({ ...NOTES, metadata: { token_endpoint_auth_method: 'private_key_jwt', jwks } });
    expect(client.token_endpoint_auth_method).toBe('private_key_jwt');
    expect(client).not.toHaveProperty('client_secret');
    const rp = await RelyingParty.discover(linkid.issuer, client, { privateKey });
    const { tokens } = await signIn(new Browser(), linkid, rp, 'keys@example.com');
    expect(tokens.claims()!.aud).toBe(client.client_id);
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(true);

    // Another key, not the registered one, is refused.
    const stranger = await appKeys();
    const impostor = await RelyingParty.discover(linkid.issuer, client, { privateKey: stranger.privateKey });
    await expect(oidc.tokenIntrospection(impostor.config, tokens.access_token)).rejects.toMatchObject({ status: 401 });
  });

  it('fetches a private_key_jwt app keys from its jwks_uri on loopback only with OUTBOUND_ALLOW_LOOPBACK=true', async () => {
    const { jwks, privateKey } = await appKeys();
    const served = await serveJwks(jwks);
    const input = { ...NOTES, metadata: { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: served.uri } };

    const guarded = await start();
    const refused = await RelyingParty.discover(guarded.issuer, await guarded.createClient(input), { privateKey });
    const attempt = await signIn(new Browser(), guarded, await RelyingParty.discover(guarded.issuer, await guarded.createClient(NOTES)), 'g@example.com');
    await expect(oidc.tokenIntrospection(refused.config, attempt.tokens.access_token)).rejects.toMatchObject({ status: 401 });
    expect(served.hits()).toBe(0);

    const open = await start({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true' } });
    const rp = await RelyingParty.discover(open.issuer, await open.createClient(input), { privateKey });
    const { tokens } = await signIn(new Browser(), open, rp, 'uri@example.com');
    expect(tokens.claims()!.sub).toBeTruthy();
    expect(served.hits()).toBeGreaterThan(0);
  });

  it('switches an app to private_key_jwt with client update, after which its old secret no longer works', async () => {
    const linkid = await start();
    const client = await linkid.createClient(NOTES);
    const withSecret = await RelyingParty.discover(linkid.issuer, client);
    const { tokens } = await signIn(new Browser(), linkid, withSecret, 'switch@example.com');
    const { jwks, privateKey } = await appKeys();
    const updated = await linkid.updateClient(client.client_id, { metadata: { token_endpoint_auth_method: 'private_key_jwt', jwks } });
    expect(updated.token_endpoint_auth_method).toBe('private_key_jwt');
    expect(updated).not.toHaveProperty('client_secret');
    await expect(oidc.tokenIntrospection(withSecret.config, tokens.access_token)).rejects.toMatchObject({ status: 401 });
    const withKey = await RelyingParty.discover(linkid.issuer, updated, { privateKey });
    expect((await oidc.tokenIntrospection(withKey.config, tokens.access_token)).active).toBe(true);
  });

  it('refuses options that cannot work, with reasons a person can act on', async () => {
    const linkid = await start();
    const refusal = (input: Parameters<typeof linkid.createClient>[0]) =>
      linkid.createClient({ ...NOTES, ...input }).then(
        () => 'accepted',
        (error: Error) => error.message,
      );
    expect(await refusal({ metadata: { token_endpoint_auth_method: 'private_key_jwt' } })).toContain('private_key_jwt needs the client');
    expect(await refusal({ isPublic: true, metadata: { token_endpoint_auth_method: 'client_secret_post' } })).toContain('a public client has neither');
    expect(await refusal({ metadata: { token_endpoint_auth_method: 'none' } })).toContain('register the app with --public');
    expect(await refusal({ metadata: { token_endpoint_auth_method: 'client_secret_magic' } })).toContain('--token-endpoint-auth-method must be one of');
    expect(await refusal({ metadata: { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://keys.example.com/jwks' } })).toContain(
      '--jwks-uri http://keys.example.com/jwks must use https',
    );
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    expect(await refusal({ metadata: { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [await exportJWK(privateKey)] } } })).toContain(
      'public keys only',
    );
    expect(await refusal({ metadata: { id_token_signed_response_alg: 'HS256' } })).toContain(
      '--id-token-signed-response-alg must be one of RS256, ES256, EdDSA',
    );
    expect(await refusal({ metadata: { backchannel_logout_uri: 'http://apps.example.com/logout' } })).toContain('--backchannel-logout-uri');
  });
});

describe('ID token signing algorithm per app', () => {
  const { start } = useLinkid();

  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    it(`signs the ID tokens of an app that asks for ${alg} with ${alg}, verified by openid-client`, async () => {
      const linkid = await start();
      const client = await linkid.createClient({ ...NOTES, metadata: alg === 'RS256' ? {} : { id_token_signed_response_alg: alg } });
      const rp = await RelyingParty.discover(linkid.issuer, client);
      const { tokens } = await signIn(new Browser(), linkid, rp, 'alg@example.com');
      expect(decodeProtectedHeader(tokens.id_token!).alg).toBe(alg);
      expect(tokens.claims()!.aud).toBe(client.client_id);
    });
  }
});

describe('the email in the ID token', () => {
  const { setup } = useLinkid();

  it('is there when the email scope is granted (ID_TOKEN_INCLUDE_EMAIL defaults to true), and userinfo answers too', async () => {
    const { linkid, rp } = await setup();
    const { tokens } = await signIn(new Browser(), linkid, rp, 'Reader@Example.com');
    expect(tokens.claims()).toMatchObject({ email: 'reader@example.com', email_verified: true });
    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ email: 'reader@example.com', email_verified: true });
  });

  it('is not there without the email scope', async () => {
    const { linkid, rp } = await setup();
    const { tokens } = await signIn(new Browser(), linkid, rp, 'scopeless@example.com', { scope: 'openid' });
    expect(tokens.claims()).not.toHaveProperty('email');
  });

  it('is left to userinfo with ID_TOKEN_INCLUDE_EMAIL=false (OpenID Connect §5.4)', async () => {
    const { linkid, rp } = await setup({ env: { ID_TOKEN_INCLUDE_EMAIL: 'false' } });
    const { tokens } = await signIn(new Browser(), linkid, rp, 'strict@example.com');
    expect(tokens.claims()).not.toHaveProperty('email');
    expect(tokens.claims()).not.toHaveProperty('email_verified');
    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ email: 'strict@example.com', email_verified: true });
  });
});
