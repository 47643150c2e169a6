// Discovery advertises exactly what works: the whole list of members is pinned here, so anything
// new in it is a decision, and each item is used here (or, where a whole suite exercises it, named
// next to it) rather than only read back. openid-client discovers linkid as every app does.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Browser, formOn } from '../support/browser.js';
import { NOTES, registerApp } from '../support/factories.js';
import type { RunningLinkid } from '../support/linkid.js';
import { oidc, RelyingParty } from '../support/relying-party.js';
import { confirmLink, requestLink, signIn } from '../support/sign-in.js';
import { useLinkid, useSharedLinkid } from '../support/use-linkid.js';

type Discovery = Record<string, unknown>;
const discover = async (linkid: RunningLinkid): Promise<Discovery> =>
  (await (await fetch(`${linkid.issuer}/.well-known/openid-configuration`)).json()) as Discovery;

describe('discovery', () => {
  const shared = useSharedLinkid();

  it('lists exactly these members, with these values', async () => {
    const { linkid } = shared;
    const issuer = linkid.issuer;
    const discovery = await discover(linkid);
    expect(Object.keys(discovery).sort()).toEqual(
      [
        'acr_values_supported',
        'authorization_endpoint',
        'authorization_response_iss_parameter_supported',
        'backchannel_logout_session_supported',
        'backchannel_logout_supported',
        'claim_types_supported',
        'claims_parameter_supported',
        'claims_supported',
        'code_challenge_methods_supported',
        'device_authorization_endpoint',
        'dpop_signing_alg_values_supported',
        'end_session_endpoint',
        'frontchannel_logout_session_supported',
        'frontchannel_logout_supported',
        'grant_types_supported',
        'id_token_signing_alg_values_supported',
        'introspection_endpoint',
        'issuer',
        'jwks_uri',
        'pushed_authorization_request_endpoint',
        'request_object_signing_alg_values_supported',
        'request_parameter_supported',
        'require_pushed_authorization_requests',
        'request_uri_parameter_supported',
        'response_modes_supported',
        'response_types_supported',
        'revocation_endpoint',
        'scopes_supported',
        'subject_types_supported',
        'token_endpoint',
        'token_endpoint_auth_methods_supported',
        'token_endpoint_auth_signing_alg_values_supported',
        'ui_locales_supported',
        'userinfo_endpoint',
      ].sort(),
    );
    expect(discovery).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      pushed_authorization_request_endpoint: `${issuer}/request`,
      token_endpoint: `${issuer}/token`,
      device_authorization_endpoint: `${issuer}/device/auth`,
      // Only the authorization code (with PKCE S256), answered in the query, a fragment or a form post.
      response_types_supported: ['code'],
      response_modes_supported: ['form_post', 'fragment', 'query'],
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'Ed25519'],
      request_parameter_supported: true,
      request_object_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'HS256'],
      // A request_uri is only ever one linkid issued at its PAR endpoint; none is fetched from the app.
      request_uri_parameter_supported: false,
      claims_parameter_supported: false,
      frontchannel_logout_supported: true,
      frontchannel_logout_session_supported: true,
      backchannel_logout_supported: true,
      ui_locales_supported: ['en', 'de', 'fr', 'es'],
      authorization_response_iss_parameter_supported: true,
    });
    // REQUIRE_PAR is off, and said so (test/flows/pushed-authorization.test.ts turns it on).
    expect(discovery.require_pushed_authorization_requests).toBe(false);
    // Subject types are the "pairwise" work's to list; here only that they are listed.
    expect(Array.isArray(discovery.subject_types_supported)).toBe(true);
  });

  it('speaks each language of ui_locales_supported', async () => {
    const { linkid, rp } = shared;
    const { ui_locales_supported: locales } = await discover(linkid);
    for (const locale of locales as string[]) {
      const page = await new Browser().follow((await rp.authorizationUrl({ ui_locales: locale })).url);
      expect(page.body, locale).toContain(`<html lang="${locale}"`);
    }
  });

  it('answers in each response mode it lists', async () => {
    const { linkid, rp } = shared;
    for (const mode of ['query', 'fragment', 'form_post']) {
      const browser = new Browser();
      const attempt = await rp.authorizationUrl({ response_mode: mode });
      const { mail } = await requestLink(browser, linkid, attempt, `${mode}@example.com`);
      const end = await browser.follow((await confirmLink(browser, mail)).location!, rp.redirectUri);
      let callback: URL;
      if (mode === 'form_post') {
        // A page that posts the answer to the redirect URI (the app reads it from the body).
        const form = formOn(end, /callback/);
        expect(form.action).toBe(rp.redirectUri);
        callback = new URL(`${rp.redirectUri}?${String(new URLSearchParams(form.hidden))}`);
      } else {
        const location = new URL(end.location!);
        expect(mode === 'fragment' ? location.search : location.hash, mode).toBe('');
        callback = new URL(`${rp.redirectUri}?${(mode === 'fragment' ? location.hash : location.search).slice(1)}`);
      }
      const tokens = await rp.redeem(callback.href, attempt);
      expect(tokens.claims()!.email, mode).toBe(`${mode}@example.com`);
    }
  });

  it('accepts a DPoP proof in each algorithm of dpop_signing_alg_values_supported', async () => {
    const { linkid, rp } = shared;
    const { dpop_signing_alg_values_supported: algs, pushed_authorization_request_endpoint: endpoint } = await discover(linkid);
    for (const alg of algs as string[]) {
      const { privateKey, publicKey } = await generateKeyPair(alg === 'ES256' ? 'ES256' : 'EdDSA', { extractable: true });
      const proof = await new SignJWT({ htm: 'POST', htu: endpoint, jti: randomUUID() })
        .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk: await exportJWK(publicKey) })
        .setIssuedAt()
        .sign(privateKey);
      const pushed = await fetch(endpoint as string, {
        method: 'POST',
        headers: { dpop: proof, authorization: `Basic ${Buffer.from(`${rp.client.client_id}:${rp.client.client_secret}`).toString('base64')}` },
        body: new URLSearchParams(rp.bareRequest()),
      });
      expect(pushed.status, `${alg}: ${await pushed.clone().text()}`).toBe(201);
    }
  });

  it('accepts a request object signed with each algorithm of request_object_signing_alg_values_supported', async () => {
    const { linkid } = shared;
    const { request_object_signing_alg_values_supported: algs } = await discover(linkid);
    for (const alg of algs as string[]) {
      const keys = alg === 'HS256' ? undefined : await generateKeyPair(alg === 'Ed25519' ? 'EdDSA' : alg, { extractable: true });
      const rp = await registerApp(linkid, {
        ...NOTES,
        name: `Signs ${alg}`,
        metadata: { request_object_signing_alg: alg, ...(keys ? { jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), alg }] } } : {}) },
      });
      const page = await new Browser().follow(await signedRequestUrl(linkid, rp, alg, keys?.privateKey), rp.redirectUri);
      expect(page.url, `${alg}: ${page.location}`).toMatch(/\/interaction\//);
    }
  });

  it('grants each of grant_types_supported', async () => {
    const { linkid } = shared;
    const app = await registerApp(linkid, { ...NOTES, name: 'Grants', deviceFlow: true });
    // authorization_code, then refresh_token (offline_access with consent).
    const { tokens } = await signIn(new Browser(), linkid, app, 'grants@example.com', { scope: 'openid offline_access', prompt: 'consent' });
    expect((await oidc.refreshTokenGrant(app.config, tokens.refresh_token!)).access_token).toBeTruthy();
    // The device grant starts (test/flows/device-flow.test.ts finishes it).
    expect((await oidc.initiateDeviceAuthorization(app.config, { scope: 'openid' })).device_code).toBeTruthy();
    // client_credentials, for service clients of the admin API (test/flows/admin-api.test.ts).
    const service = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Ops', redirectUris: [], adminApi: true }));
    expect((await oidc.clientCredentialsGrant(service.config, { scope: 'linkid:admin' })).access_token).toBeTruthy();
  });
});

describe('front-channel logout, as discovery says', () => {
  const { start } = useLinkid();

  it('frames the frontchannel_logout_uri of the app signed out, with iss and its sid', async () => {
    const linkid = await start();
    const client = await linkid.createClient({
      ...NOTES,
      redirectUris: ['http://localhost:5000/cb'],
      postLogoutRedirectUris: ['http://localhost:5000/bye'],
      metadata: { frontchannel_logout_uri: 'http://localhost:5000/fc-logout' },
    });
    const rp = await RelyingParty.discover(linkid.issuer, client);
    const browser = new Browser();
    const { tokens } = await signIn(browser, linkid, rp, 'frames@example.com', { scope: 'openid offline_access', prompt: 'consent' });
    // The ID token carries the session's sid (Front-Channel Logout 1.0 §2), from a refresh too.
    expect(tokens.claims()!.sid).toEqual(expect.any(String));
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(refreshed.claims()!.sid).toBe(tokens.claims()!.sid);
    const confirm = await browser.follow(
      oidc.buildEndSessionUrl(rp.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://localhost:5000/bye' }).href,
    );
    const done = await browser.submit(confirm, /\/session\/end\/confirm$/, { logout: 'yes' }, 'http://localhost:5000/bye');
    const frame = new URL(/<iframe class="logout-frame" src="([^"]+)"/.exec(done.body)![1]!.replace(/&amp;/g, '&'));
    expect(frame.origin + frame.pathname).toBe('http://localhost:5000/fc-logout');
    expect(frame.searchParams.get('iss')).toBe(linkid.issuer);
    expect(frame.searchParams.get('sid')).toBe(tokens.claims()!.sid);
  });

  it('adds no sid to the ID tokens of an app without a front-channel URI', async () => {
    const linkid = await start();
    const rp = await registerApp(linkid);
    const { tokens } = await signIn(new Browser(), linkid, rp, 'nosid@example.com');
    expect(tokens.claims()).not.toHaveProperty('sid');
  });
});

/** An authorization URL carrying a request object signed with `alg`: the app's private key, or for HS256 its client secret. */
async function signedRequestUrl(linkid: RunningLinkid, rp: RelyingParty, alg: string, privateKey?: oidc.CryptoKey): Promise<string> {
  const request = await new SignJWT({ iss: rp.client.client_id, aud: linkid.issuer, ...rp.bareRequest() })
    .setProtectedHeader({ alg })
    .setExpirationTime('5m')
    .sign(privateKey ?? new TextEncoder().encode(rp.client.client_secret));
  return `${linkid.issuer}/auth?${String(new URLSearchParams({ client_id: rp.client.client_id, request }))}`;
}
