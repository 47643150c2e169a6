// DPoP (RFC 9449), driven with openid-client's getDPoPHandle: a public single-page app signs a person
// in with PAR and DPoP, and its tokens work only with proofs from its own key, at userinfo and at
// the token endpoint; introspection shows the binding; a broken proof gets the RFC's error, never a 500.
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { NOTES, registerApp } from '../support/factories.js';
import { oidc, type RelyingParty } from '../support/relying-party.js';
import { signInWith } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';
import type { RunningLinkid } from '../support/linkid.js';

/** A browser app: no secret, tokens bound to its key, requests pushed first (`client create --public --require-dpop --require-par`). */
const SINGLE_PAGE_APP = {
  name: 'Notes SPA',
  isPublic: true,
  redirectUris: ['http://localhost:4000/callback'],
  metadata: { dpop_bound_access_tokens: true, require_pushed_authorization_requests: true },
};

/** Signs `email` in to `rp` with a pushed request and DPoP proofs from `dpop`; offline_access for a refresh token. */
async function signInWithDpop(linkid: RunningLinkid, rp: RelyingParty, dpop: oidc.DPoPHandle, email: string) {
  const attempt = await rp.pushedAuthorizationUrl({ scope: 'openid email offline_access', prompt: 'consent' }, { DPoP: dpop });
  return (await signInWith(new Browser(), linkid, rp, attempt, email, { DPoP: dpop })).tokens;
}

const newHandle = async (rp: RelyingParty) => oidc.getDPoPHandle(rp.config, await oidc.randomDPoPKeyPair('ES256'));

/** A DPoP proof written by hand, to get each of its parts wrong on purpose. */
async function proof(
  key: { privateKey: oidc.CryptoKey; jwk: JWK; alg: string },
  claims: { htm: string; htu: string; ath?: string; iat?: number; jti?: string; nonce?: string },
): Promise<string> {
  return new SignJWT({ jti: randomUUID(), ...claims })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk })
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000))
    .sign(key.privateKey);
}

async function proofKey(alg = 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: await exportJWK(publicKey), alg };
}

const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

/** The error of an answer, from its JSON body or its WWW-Authenticate header (userinfo). */
async function errorOf(response: Response): Promise<{ status: number; error: string | undefined; nonce: string | null }> {
  const challenge = response.headers.get('www-authenticate');
  const fromHeader = challenge ? /error="([^"]+)"/.exec(challenge)?.[1] : undefined;
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  return { status: response.status, error: fromHeader ?? body.error, nonce: response.headers.get('dpop-nonce') };
}

describe('DPoP', () => {
  const { start } = useLinkid();

  it('signs a public single-page app in with PAR and DPoP; its tokens work only with proofs from its key', async () => {
    const linkid = await start();
    const rp = await registerApp(linkid, SINGLE_PAGE_APP);
    const dpop = await newHandle(rp);
    const tokens = await signInWithDpop(linkid, rp, dpop, 'spa@example.com');
    expect(tokens.token_type).toBe('dpop');
    const sub = tokens.claims()!.sub;

    // Userinfo answers with the proof of the token's key ...
    expect(await oidc.fetchUserInfo(rp.config, tokens.access_token, sub, { DPoP: dpop })).toMatchObject({ sub, email: 'spa@example.com' });
    // ... and refuses the token without a proof, or with another key's proof.
    const bearer = await fetch(`${linkid.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await errorOf(bearer)).toMatchObject({ status: 401, error: 'invalid_token' });
    const stranger = await oidc.fetchUserInfo(rp.config, tokens.access_token, sub, { DPoP: await newHandle(rp) }).catch((error: unknown) => error);
    expect(stranger).toMatchObject({ status: 401, cause: [{ scheme: 'dpop', parameters: { error: 'invalid_token' } }] });

    // The refresh token of a public app is bound to the same key (RFC 9449 §5).
    const refreshToken = tokens.refresh_token!;
    expect(refreshToken).toBeTruthy();
    await expect(oidc.refreshTokenGrant(rp.config, refreshToken, undefined, { DPoP: await newHandle(rp) })).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(rp.config, refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
    const refreshed = await oidc.refreshTokenGrant(rp.config, refreshToken, undefined, { DPoP: dpop });
    expect(refreshed.token_type).toBe('dpop');
    expect(await oidc.fetchUserInfo(rp.config, refreshed.access_token, sub, { DPoP: dpop })).toMatchObject({ sub });
  });

  it('lets one of many concurrent copies of a proof through, in every worker and instance alike (the jti is claimed in one write)', async () => {
    const linkid = await start();
    const rp = await registerApp(linkid, SINGLE_PAGE_APP);
    const key = await proofKey();
    const handle = oidc.getDPoPHandle(rp.config, { privateKey: key.privateKey, publicKey: await importPublic(key.jwk) });
    const tokens = await signInWithDpop(linkid, rp, handle, 'raced@example.com');
    const userinfo = `${linkid.issuer}/me`;
    // On MongoDB (npm run test:mongo) the copies' look-ups race, and without the one-write claim two
    // or more got through; one SQLite process answers them one after another whatever the code does.
    const copied = await proof(key, { htm: 'GET', htu: userinfo, ath: ath(tokens.access_token) });
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => fetch(userinfo, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: copied } }).then(errorOf)),
    );
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 401 && answer.error === 'invalid_dpop_proof')).toHaveLength(11);
  });

  it('shows the binding in introspection: cnf.jkt is the thumbprint of the proof key, token_type DPoP', async () => {
    const linkid = await start();
    const rp = await registerApp(linkid, { ...NOTES, metadata: { dpop_bound_access_tokens: true } });
    const keyPair = await oidc.randomDPoPKeyPair('EdDSA');
    const tokens = await signInWithDpop(linkid, rp, oidc.getDPoPHandle(rp.config, keyPair), 'bound@example.com');
    const introspected = await oidc.tokenIntrospection(rp.config, tokens.access_token);
    expect(introspected).toMatchObject({
      active: true,
      token_type: 'DPoP',
      cnf: { jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)) },
    });
  });

  it('refuses a token request without a proof from an app made with --require-dpop', async () => {
    const linkid = await start();
    const rp = await registerApp(linkid, { ...NOTES, metadata: { dpop_bound_access_tokens: true } });
    const attempt = await rp.authorizationUrl();
    await expect(signInWith(new Browser(), linkid, rp, attempt, 'noproof@example.com')).rejects.toMatchObject({ status: 400, error: 'invalid_grant' });
  });

  it('answers every broken proof with invalid_dpop_proof or use_dpop_nonce, never a 500', async () => {
    const linkid = await start();
    const rp = await registerApp(linkid, SINGLE_PAGE_APP);
    const key = await proofKey();
    // A token bound to `key`, got with openid-client and a handle over the same key.
    const handle = oidc.getDPoPHandle(rp.config, { privateKey: key.privateKey, publicKey: await importPublic(key.jwk) });
    const tokens = await signInWithDpop(linkid, rp, handle, 'broken@example.com');
    const token = tokens.access_token;
    const userinfo = `${linkid.issuer}/me`;
    const at = (dpop: string, method = 'GET', url = userinfo) => fetch(url, { method, headers: { authorization: `DPoP ${token}`, dpop } }).then(errorOf);
    const good = { htm: 'GET', htu: userinfo, ath: ath(token) };

    const rsa = await proofKey('RS256');
    const reused = await proof(key, good);
    const answers = {
      ok: await at(await proof(key, good)),
      htu: await at(await proof(key, { ...good, htu: `${linkid.issuer}/token` })),
      htm: await at(await proof(key, { ...good, htm: 'POST' })),
      ath: await at(await proof(key, { ...good, ath: ath('another token') })),
      alg: await at(await proof(rsa, good)),
      garbage: await at('not.a.jwt'),
      first: await at(reused),
      replay: await at(reused),
      stale: await at(await proof(key, { ...good, iat: Math.floor(Date.now() / 1000) - 3600 })),
      nonce: await at(await proof(key, { ...good, nonce: 'made-up' })),
    };
    expect(answers.ok).toMatchObject({ status: 200 });
    for (const wrong of ['htu', 'htm', 'ath', 'alg', 'garbage'] as const)
      expect(answers[wrong], wrong).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
    expect(answers.first).toMatchObject({ status: 200 });
    // A proof seen before (its jti, kept in the store for every worker and instance) is an invalid proof (RFC 9449 §4.3).
    expect(answers.replay).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
    // A proof too old, or with a nonce linkid never gave, is answered with a fresh nonce to use.
    expect(answers.stale).toMatchObject({ status: 401, error: 'use_dpop_nonce', nonce: expect.any(String) });
    expect(answers.nonce).toMatchObject({ status: 401, error: 'use_dpop_nonce', nonce: expect.any(String) });
    // The nonce given works (stateless: any worker or instance accepts it).
    expect(await at(await proof(key, { ...good, nonce: answers.stale.nonce! }))).toMatchObject({ status: 200 });

    // At the token endpoint the same faults are 400 invalid_dpop_proof.
    const tokenUrl = `${linkid.issuer}/token`;
    const refresh = (dpop: string) =>
      fetch(tokenUrl, {
        method: 'POST',
        headers: { dpop },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: rp.client.client_id }),
      }).then(errorOf);
    expect(await refresh(await proof(key, { htm: 'POST', htu: userinfo }))).toMatchObject({ status: 400, error: 'invalid_dpop_proof' });
    expect(await refresh(await proof(key, { htm: 'GET', htu: tokenUrl }))).toMatchObject({ status: 400, error: 'invalid_dpop_proof' });
    expect(await refresh(await proof(rsa, { htm: 'POST', htu: tokenUrl }))).toMatchObject({ status: 400, error: 'invalid_dpop_proof' });
  });

  it('answers a proof sent twice to the token endpoint with invalid_dpop_proof, and the refresh token it came with still works', async () => {
    const linkid = await start();
    const rp = await registerApp(linkid, SINGLE_PAGE_APP);
    const key = await proofKey();
    const handle = oidc.getDPoPHandle(rp.config, { privateKey: key.privateKey, publicKey: await importPublic(key.jwk) });
    const tokens = await signInWithDpop(linkid, rp, handle, 'retry@example.com');
    const tokenUrl = `${linkid.issuer}/token`;
    const refresh = (dpop: string, refreshToken: string) =>
      fetch(tokenUrl, {
        method: 'POST',
        headers: { dpop },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: rp.client.client_id }),
      });
    const once = await proof(key, { htm: 'POST', htu: tokenUrl });
    const first = await refresh(once, tokens.refresh_token!);
    expect(first.status).toBe(200);
    const rotated = ((await first.json()) as { refresh_token: string }).refresh_token;
    // The same proof again (a client retrying after a timeout), now with the rotated token: the proof is at fault, not the token.
    const again = await refresh(once, rotated);
    expect({ status: again.status, body: await again.json() }).toEqual({
      status: 400,
      body: { error: 'invalid_dpop_proof', error_description: 'the DPoP proof was used before: make a new proof for every request' },
    });
    const fresh = await refresh(await proof(key, { htm: 'POST', htu: tokenUrl }), rotated);
    expect(fresh.status, await fresh.clone().text()).toBe(200);
    // At userinfo the challenge says it too.
    const access = ((await fresh.json()) as { access_token: string }).access_token;
    const userinfo = `${linkid.issuer}/me`;
    const used = await proof(key, { htm: 'GET', htu: userinfo, ath: ath(access) });
    expect((await fetch(userinfo, { headers: { authorization: `DPoP ${access}`, dpop: used } })).status).toBe(200);
    const replayed = await fetch(userinfo, { headers: { authorization: `DPoP ${access}`, dpop: used } });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_dpop_proof", error_description="the DPoP proof was used before/);
    // And at the pushed authorization request endpoint (RFC 9449 §10.1).
    const par = `${linkid.issuer}/request`;
    const pushed = await proof(key, { htm: 'POST', htu: par });
    const push = () => fetch(par, { method: 'POST', headers: { dpop: pushed }, body: new URLSearchParams(rp.bareRequest()) });
    expect((await push()).status).toBe(201);
    expect(await errorOf(await push())).toMatchObject({ status: 400, error: 'invalid_dpop_proof' });
  });

  it('lets browser apps send DPoP proofs and read DPoP-Nonce across origins', async () => {
    const linkid = await start();
    const rp = await registerApp(linkid, SINGLE_PAGE_APP);
    const origin = 'http://localhost:4000';
    for (const path of ['/token', '/me', '/request']) {
      const preflight = await fetch(`${linkid.issuer}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'dpop, authorization, content-type' },
      });
      expect(preflight.status, path).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin'), path).toBe(origin);
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase(), path).toContain('dpop');
    }
    // An answer to the app's origin lets its script read the nonce (and the challenge at userinfo).
    const answer = await fetch(`${linkid.issuer}/request`, {
      method: 'POST',
      headers: { origin },
      body: new URLSearchParams(rp.bareRequest()),
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
    expect(answer.headers.get('access-control-expose-headers')).toContain('DPoP-Nonce');
    // Another origin is not let in.
    const stranger = await fetch(`${linkid.issuer}/request`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: new URLSearchParams({ client_id: rp.client.client_id }),
    });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });
});

/** The public half of a JWK as a CryptoKey, for an openid-client DPoP handle over a hand-made key. */
async function importPublic(jwk: JWK): Promise<oidc.CryptoKey> {
  return crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
}
