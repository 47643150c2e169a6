// Signed request objects (JAR, RFC 9101), driven with openid-client's buildAuthorizationUrlWithJAR:
// an app that registered request_object_signing_alg signs its request, whose parameters then win
// over the query's; pushed (PAR + JAR) too. A request object linkid must not trust gets
// invalid_request_object at the app's redirect URI, never a 500.
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { linkidAdminResult } from '../support/admin-cli.js';
import { NOTES, registerApp } from '../support/factories.js';
import type { RunningLinkid } from '../support/linkid.js';
import type { RelyingParty } from '../support/relying-party.js';
import { signInWith } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

async function appKeys(alg = 'ES256') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `app-${alg}`;
  return { jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] }, privateKey, key: { key: privateKey, kid } };
}

/** An app that signs its requests with its ES256 key (`client create --jwks FILE --request-object-signing-alg ES256`). */
async function signingApp(linkid: RunningLinkid, alg = 'ES256') {
  const keys = await appKeys(alg);
  const rp = await registerApp(linkid, { ...NOTES, metadata: { jwks: keys.jwks, request_object_signing_alg: alg } });
  return { rp, keys };
}

/** The claims of a request object as the app would sign them. */
function requestClaims(linkid: RunningLinkid, rp: RelyingParty, extra: Record<string, unknown> = {}) {
  return { iss: rp.client.client_id, aud: linkid.issuer, ...rp.bareRequest(), state: 'from-the-request-object', ...extra };
}

/** Sends `request` to /auth and reads the error at the app's redirect URI. */
async function errorFor(linkid: RunningLinkid, rp: RelyingParty, request: string) {
  const answer = await new Browser().request(`${linkid.issuer}/auth?${String(new URLSearchParams({ client_id: rp.client.client_id, request }))}`);
  expect(answer.status, answer.body).toBe(303);
  expect(answer.location?.startsWith(`${rp.redirectUri}?`), answer.location).toBe(true);
  const params = new URL(answer.location!).searchParams;
  return { error: params.get('error'), description: params.get('error_description') };
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('signed request objects', () => {
  const { start } = useLinkid();

  it("signs a person in from a signed request object, whose parameters win over the query's", async () => {
    const linkid = await start();
    const { rp, keys } = await signingApp(linkid);
    const attempt = await rp.signedAuthorizationUrl(keys.key, { login_hint: 'signed@example.com' });
    // Parameters added to the URL outside the signed object are not used (RFC 9101 §5).
    const url = new URL(attempt.url);
    url.searchParams.set('login_hint', 'forged@example.com');
    url.searchParams.set('ui_locales', 'de');
    const form = await new Browser().follow(url.href);
    expect(form.body).toContain('value="signed@example.com"');
    expect(form.body).not.toContain('forged@example.com');
    expect(form.body).toContain('<html lang="en"');

    const { tokens, callback } = await signInWith(new Browser(), linkid, rp, { ...attempt, url: url.href }, 'signed@example.com');
    expect(new URL(callback).searchParams.get('state')).toBe(attempt.state);
    expect(tokens.claims()!.email).toBe('signed@example.com');
  });

  it('signs a person in from a signed request object that was pushed (PAR + JAR)', async () => {
    const linkid = await start();
    const { rp, keys } = await signingApp(linkid, 'RS256');
    const attempt = await rp.signedAuthorizationUrl(keys.key, {}, true);
    expect([...new URL(attempt.url).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const { tokens } = await signInWith(new Browser(), linkid, rp, attempt, 'pushed.signed@example.com');
    expect(tokens.claims()!.email).toBe('pushed.signed@example.com');
  });

  it('accepts a request object signed with the client secret (HS256)', async () => {
    const linkid = await start();
    const rp = await registerApp(linkid, { ...NOTES, metadata: { request_object_signing_alg: 'HS256' } });
    const request = await new SignJWT(requestClaims(linkid, rp))
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(inAnHour())
      .sign(new TextEncoder().encode(rp.client.client_secret));
    const form = await new Browser().follow(`${linkid.issuer}/auth?${String(new URLSearchParams({ client_id: rp.client.client_id, request }))}`);
    expect(form.url).toMatch(/\/interaction\//);
  });

  it('refuses every request object it must not trust with invalid_request_object at the redirect URI', async () => {
    const linkid = await start();
    const { rp, keys } = await signingApp(linkid);
    const sign = (claims: Record<string, unknown>, key = keys.privateKey, alg = 'ES256') =>
      new SignJWT(claims).setProtectedHeader({ alg, kid: 'app-ES256' }).sign(key);
    const claims = requestClaims(linkid, rp, { exp: inAnHour() });
    const stranger = await appKeys();
    const rsa = await appKeys('RS256');
    const plainApp = await registerApp(linkid, { ...NOTES, name: 'Plain', metadata: { jwks: keys.jwks } });

    const refusals = {
      'signed by another key': await errorFor(linkid, rp, await sign(claims, stranger.privateKey)),
      'with another alg than registered': await errorFor(linkid, rp, await sign(claims, rsa.privateKey, 'RS256')),
      expired: await errorFor(linkid, rp, await sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 600 })),
      'without exp': await errorFor(linkid, rp, await sign(requestClaims(linkid, rp))),
      'for another audience': await errorFor(linkid, rp, await sign({ ...claims, aud: 'https://other.example' })),
      unsigned: await errorFor(linkid, rp, new UnsecuredJWT(claims).encode()),
      'not a JWT': await errorFor(linkid, rp, 'not-a-jwt'),
      'from an app that registered no alg': await errorFor(linkid, plainApp, await sign(requestClaims(linkid, plainApp, { exp: inAnHour() }))),
    };
    for (const [why, refusal] of Object.entries(refusals)) expect(refusal.error, `${why}: ${refusal.description}`).toBe('invalid_request_object');
    // A good one, for contrast, starts the sign-in.
    const good = await new Browser().follow(
      `${linkid.issuer}/auth?${String(new URLSearchParams({ client_id: rp.client.client_id, request: await sign(claims) }))}`,
    );
    expect(good.url).toMatch(/\/interaction\//);
  });

  it('refuses options no request object could be checked with, with a reason to act on', async () => {
    const linkid = await start();
    const refused = async (input: Parameters<RunningLinkid['createClient']>[0]) =>
      linkid.createClient(input).then(
        () => 'created',
        (error: Error) => error.message,
      );
    expect(await refused({ metadata: { request_object_signing_alg: 'none' } })).toMatch(/unsigned request objects/);
    expect(await refused({ metadata: { request_object_signing_alg: 'ES512' } })).toMatch(/must be one of RS256, PS256, ES256, EdDSA, Ed25519, HS256/);
    expect(await refused({ metadata: { request_object_signing_alg: 'ES256' } })).toMatch(/needs the app's public keys/);
    expect(await refused({ isPublic: true, metadata: { request_object_signing_alg: 'HS256' } })).toMatch(/signs with the client secret, and this app has none/);
  });

  it('takes --require-par, --require-dpop and --request-object-signing-alg on the command line, and their opposites', async () => {
    const linkid = await start();
    const { jwks } = await appKeys();
    const created = await linkidAdminResult(linkid, [
      'client',
      'create',
      '--name',
      'Bank',
      '--redirect-uri',
      'https://bank.example/callback',
      '--jwks',
      JSON.stringify(jwks),
      '--request-object-signing-alg',
      'ES256',
      '--require-par',
      '--require-dpop',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const client = JSON.parse(created.stdout) as Record<string, unknown>;
    expect(client).toMatchObject({ require_pushed_authorization_requests: true, dpop_bound_access_tokens: true, request_object_signing_alg: 'ES256' });
    const updated = await linkidAdminResult(linkid, [
      'client',
      'update',
      String(client.client_id),
      '--no-require-par',
      '--no-require-dpop',
      '--request-object-signing-alg',
      '',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    const after = JSON.parse(updated.stdout) as Record<string, unknown>;
    expect(after).toMatchObject({ require_pushed_authorization_requests: false, dpop_bound_access_tokens: false });
    expect(after).not.toHaveProperty('request_object_signing_alg');
    const contradiction = await linkidAdminResult(linkid, ['client', 'update', String(client.client_id), '--require-par', '--no-require-par']);
    expect(contradiction).toMatchObject({ code: expect.any(Number), stdout: '' });
    expect(contradiction.stderr).toMatch(/--require-par and --no-require-par contradict each other/);
  });
});
