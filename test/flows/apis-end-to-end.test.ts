// Issue 25's "done when", end to end with real parts: a public single-page app signs a person in
// with PAR and DPoP (openid-client) and calls an API, a real HTTP server on loopback, that verifies
// the JWT access token offline (jose, against /jwks: signature, issuer, audience, typ, scope) and
// the DPoP proof that comes with it (RFC 9449 §7: signature by the key the token is bound to,
// method, URL, the token's hash, freshness, a jti never seen); a backend gets a token for another
// API by client credentials; and two apps of different owners cannot match their users by `sub`,
// not even through the tokens the same API receives from both.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { CreateClientInput } from '../../src/admin/clients.js';
import { Browser } from '../support/browser.js';
import type { RunningLinkid } from '../support/linkid.js';
import { oidc, RelyingParty } from '../support/relying-party.js';
import { signIn, signInWith } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

/** What the API answers: whom the token is for, or why it refused it. */
type ApiAnswer = { status: number; body: { sub?: string; client_id?: string; scope?: string; error?: string } };

/**
 * An API as its developers would write it from docs/apis.md: everything checked offline against
 * linkid's published keys; a DPoP-bound token only with a proof by its key.
 */
async function startApi(linkid: RunningLinkid, options: { scope: string }) {
  const jwks = jose.createRemoteJWKSet(new URL(`${linkid.issuer}/jwks`));
  const seenProofs = new Set<string>();
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: ApiAnswer['body']) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    void (async () => {
      const [scheme, token] = (req.headers.authorization ?? '').split(' ');
      if (!token) return answer(401, { error: 'no token' });
      const { payload } = await jose.jwtVerify<{ scope?: string; client_id?: string; cnf?: { jkt?: string } }>(token, jwks, {
        issuer: linkid.issuer,
        audience: identifier,
        typ: 'at+jwt',
        algorithms: ['RS256', 'ES256', 'EdDSA'],
      });
      if (!payload.scope?.split(' ').includes(options.scope)) return answer(403, { error: 'insufficient_scope' });
      const boundTo = payload.cnf?.jkt;
      if (boundTo !== undefined || scheme === 'DPoP') {
        if (scheme !== 'DPoP' || boundTo === undefined) return answer(401, { error: 'bound token without DPoP' });
        const proof = req.headers.dpop;
        if (typeof proof !== 'string') return answer(401, { error: 'no proof' });
        const checked = await jose.jwtVerify<{ htm?: string; htu?: string; ath?: string; jti?: string }>(proof, jose.EmbeddedJWK, {
          typ: 'dpop+jwt',
          maxTokenAge: '60s',
        });
        const { htm, htu, ath, jti } = checked.payload;
        if (htm !== req.method || htu !== `${identifier}${req.url?.split('?')[0] ?? ''}`) return answer(401, { error: 'proof for another request' });
        if (ath !== createHash('sha256').update(token).digest('base64url')) return answer(401, { error: 'proof for another token' });
        if (!jti || seenProofs.has(jti)) return answer(401, { error: 'proof replayed' });
        seenProofs.add(jti);
        if ((await jose.calculateJwkThumbprint(checked.protectedHeader.jwk!)) !== boundTo) return answer(401, { error: 'proof by another key' });
      }
      return answer(200, { sub: payload.sub, client_id: payload.client_id, scope: payload.scope });
    })().catch((error: unknown) => answer(401, { error: (error as Error).message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // The API's identifier is its own origin (RFC 8707: an absolute URI; http only on loopback).
  const identifier = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  apis.push(server);
  return { identifier, url: `${identifier}/notes` };
}

const apis: http.Server[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function callApi(url: string, init: RequestInit): Promise<ApiAnswer> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as ApiAnswer['body'] };
}

const discover = async (linkid: RunningLinkid, input: Partial<CreateClientInput>) => RelyingParty.discover(linkid.issuer, await linkid.createClient(input));

describe('issue 25: apps with APIs and high-security apps, end to end', () => {
  const { start } = useLinkid();

  it('a single-page app signs in with PAR and DPoP and calls an API that verifies its token and proof offline', async () => {
    const linkid = await start();
    const api = await startApi(linkid, { scope: 'notes:read' });
    const resource = await linkid.services.admin.resources.create({ identifier: api.identifier, scopes: ['notes:read=Read your notes'] });
    const spa = await discover(linkid, {
      name: 'Notes SPA',
      isPublic: true,
      firstParty: true,
      redirectUris: ['http://localhost:4000/callback'],
      metadata: { require_pushed_authorization_requests: true, dpop_bound_access_tokens: true },
      resources: [resource.id],
    });
    const key = await oidc.randomDPoPKeyPair('ES256');
    const dpop = oidc.getDPoPHandle(spa.config, key);

    // A plain request is refused: this app must push its requests.
    const plain = await fetch((await spa.authorizationUrl({ resource: api.identifier })).url, { redirect: 'manual' });
    expect(new URL(plain.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');

    const attempt = await spa.pushedAuthorizationUrl({ scope: 'openid notes:read', resource: api.identifier }, { DPoP: dpop });
    expect([...new URL(attempt.url).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const { tokens } = await signInWith(new Browser(), linkid, spa, attempt, 'ada@example.com', { DPoP: dpop });
    expect(tokens.token_type).toBe('dpop');
    const sub = tokens.claims()!.sub;

    // openid-client sends the token with a fresh proof bound to it: the API accepts it.
    const called = await oidc.fetchProtectedResource(spa.config, tokens.access_token, new URL(api.url), 'GET', undefined, undefined, { DPoP: dpop });
    expect(called.status).toBe(200);
    expect(await called.json()).toEqual({ sub, client_id: spa.client.client_id, scope: 'notes:read' });

    // A stolen token is worth nothing without the key: as a bearer token, or with a proof by another key.
    expect(await callApi(api.url, { headers: { authorization: `Bearer ${tokens.access_token}` } })).toEqual({
      status: 401,
      body: { error: 'bound token without DPoP' },
    });
    const thief = await oidc.randomDPoPKeyPair('ES256');
    const thiefs = await oidc.fetchProtectedResource(spa.config, tokens.access_token, new URL(api.url), 'GET', undefined, undefined, {
      DPoP: oidc.getDPoPHandle(spa.config, thief),
    });
    expect(thiefs.status).toBe(401);
    expect(await thiefs.json()).toEqual({ error: 'proof by another key' });
    // Nor at linkid's own userinfo: the token is for the API, not for linkid.
    const userinfo = await fetch(`${linkid.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);
  });

  it('a backend gets a token for another API by client credentials, with no person and no refresh token', async () => {
    const linkid = await start();
    const notes = await startApi(linkid, { scope: 'notes:read' });
    const reports = await startApi(linkid, { scope: 'reports:read' });
    const notesResource = await linkid.services.admin.resources.create({ identifier: notes.identifier, scopes: ['notes:read'] });
    const reportsResource = await linkid.services.admin.resources.create({ identifier: reports.identifier, scopes: ['reports:read=Read the reports'] });
    expect(notesResource.id).not.toBe(reportsResource.id);
    const backend = await discover(linkid, { name: 'Nightly export', redirectUris: [], grantType: 'client_credentials', resources: [reportsResource.id] });

    const tokens = await oidc.clientCredentialsGrant(backend.config, { scope: 'reports:read', resource: reports.identifier });
    expect(tokens.refresh_token).toBeUndefined();
    expect(await callApi(reports.url, { headers: { authorization: `Bearer ${tokens.access_token}` } })).toEqual({
      status: 200,
      // RFC 9068 §2.2: with no person, `sub` names the client.
      body: { sub: backend.client.client_id, client_id: backend.client.client_id, scope: 'reports:read' },
    });
    // The token is for the reports API only: the notes API refuses it, and the backend cannot get one for it.
    expect((await callApi(notes.url, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    await expect(oidc.clientCredentialsGrant(backend.config, { scope: 'notes:read', resource: notes.identifier })).rejects.toMatchObject({
      error: 'invalid_target',
    });
    const issued = await linkid.store.audit.search({ clientId: backend.client.client_id, limit: 10 }, Date.now());
    expect(issued.filter((event) => event.event === 'tokens.issued').map((event) => event.fields)).toEqual([
      expect.objectContaining({ grantType: 'client_credentials', resource: reports.identifier, scope: 'reports:read' }),
    ]);
  });

  it('two apps of different owners cannot match their users by sub, not even through the tokens one API receives', async () => {
    const linkid = await start();
    const api = await startApi(linkid, { scope: 'notes:read' });
    const resource = await linkid.services.admin.resources.create({ identifier: api.identifier, scopes: ['notes:read'] });
    const owner = (name: string, port: number) =>
      discover(linkid, {
        name,
        firstParty: true,
        redirectUris: [`http://localhost:${port}/callback`],
        metadata: { subject_type: 'pairwise' },
        resources: [resource.id],
      });
    const calendar = await owner('Calendar', 5100);
    const board = await owner('Board', 5200);
    const subs: Record<string, string[]> = { calendar: [], board: [] };
    for (const [name, rp] of [
      ['calendar', calendar],
      ['board', board],
    ] as const) {
      const { tokens } = await signIn(new Browser(), linkid, rp, 'grace@example.com', { scope: 'openid notes:read', resource: api.identifier });
      const atApi = await callApi(api.url, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(atApi.status).toBe(200);
      subs[name]!.push(tokens.claims()!.sub, atApi.body.sub!);
    }
    const account = await linkid.store.users.findByEmail('grace@example.com');
    // Each app's ID token and its API token carry one sub, the app's own; the two apps' differ, and neither is the account id.
    expect(subs.calendar![0]).toBe(subs.calendar![1]);
    expect(subs.board![0]).toBe(subs.board![1]);
    expect(subs.calendar![0]).not.toBe(subs.board![0]);
    expect([subs.calendar![0], subs.board![0]]).not.toContain(account!.id);
  });
});
