// A code or refresh token is redeemed once, even when a client (or a thief racing it) sends the
// same one many times at once: exactly one request gets tokens, the others a plain OAuth
// invalid_grant, and none a 500. A code seen twice also revokes what it was exchanged for
// (RFC 6749 section 4.1.2), as oidc-provider does for a code replayed one request after another.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/port.js';
import { Browser } from '../support/browser.js';
import { startLinkid, type RunningLinkid } from '../support/linkid.js';
import { registerApp } from '../support/factories.js';
import { oidc, type RelyingParty } from '../support/relying-party.js';
import { confirmLink, finishAtApp, requestLink } from '../support/sign-in.js';

const CONCURRENT = 10;

/**
 * better-sqlite3 answers synchronously, so in one process a request runs from reading a code to
 * consuming it without yielding, and racing requests never overlap there. A networked store
 * (MongoDB, or SQLite shared by several instances) yields on every read: give the real SQLite
 * store that round trip, so the race the store has to settle actually happens.
 */
function withNetworkLatency(store: Store): Store {
  const find: Store['oidc']['find'] = async (...args) => {
    const found = await store.oidc.find(...args);
    await new Promise((resolve) => setTimeout(resolve, 5));
    return found;
  };
  return { ...store, oidc: { ...store.oidc, find } };
}

interface TokenResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

describe('concurrent redemption at the token endpoint', () => {
  let linkid: RunningLinkid;
  let rp: RelyingParty;

  beforeAll(async () => {
    linkid = await startLinkid({ wrapStore: withNetworkLatency });
    rp = await registerApp(linkid, { name: 'Racer', firstParty: true });
  });
  afterAll(() => linkid.close());

  /** Signs a fresh browser in up to the app's redirect URI; returns the callback and the attempt. */
  async function codeFor(email: string) {
    const browser = new Browser();
    const attempt = await rp.authorizationUrl({ scope: 'openid email offline_access', prompt: 'consent' });
    const { mail } = await requestLink(browser, linkid, attempt, email);
    const callback = await finishAtApp(browser, rp, await confirmLink(browser, mail));
    return { attempt, callback, code: new URL(callback).searchParams.get('code')! };
  }

  /** One token request with client_secret_basic, as a confidential client sends it. */
  async function tokenRequest(form: Record<string, string>): Promise<TokenResponse> {
    const credentials = `${encodeURIComponent(rp.client.client_id)}:${encodeURIComponent(rp.client.client_secret!)}`;
    const response = await fetch(rp.config.serverMetadata().token_endpoint!, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const all = (form: Record<string, string>) => Promise.all(Array.from({ length: CONCURRENT }, () => tokenRequest(form)));

  function expectOneWinner(responses: TokenResponse[]): TokenResponse {
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, ...Array<number>(CONCURRENT - 1).fill(400)]);
    for (const loser of responses.filter((response) => response.status !== 200)) {
      expect(loser.body.error, JSON.stringify(loser.body)).toBe('invalid_grant');
    }
    return responses.find((response) => response.status === 200)!;
  }

  it(`redeems one authorization code sent ${CONCURRENT} times at once exactly once`, async () => {
    const { attempt, code } = await codeFor('code-race@example.com');
    const responses = await all({ grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, code_verifier: attempt.verifier });
    const winner = expectOneWinner(responses);
    expect(typeof winner.body.access_token).toBe('string');
    expect(typeof winner.body.refresh_token).toBe('string');
  });

  it('revokes what a code raced for was exchanged for, as for a code replayed afterwards', async () => {
    const { attempt, code } = await codeFor('code-race-revoked@example.com');
    const winner = expectOneWinner(await all({ grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, code_verifier: attempt.verifier }));
    expect((await oidc.tokenIntrospection(rp.config, winner.body.access_token as string)).active).toBe(false);
    const refresh = await tokenRequest({ grant_type: 'refresh_token', refresh_token: winner.body.refresh_token as string });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it(`rotates one refresh token sent ${CONCURRENT} times at once exactly once`, async () => {
    const { attempt, callback } = await codeFor('refresh-race@example.com');
    const tokens = await rp.redeem(callback, attempt);
    const responses = await all({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    const winner = expectOneWinner(responses);
    expect(typeof winner.body.refresh_token).toBe('string');
    expect(winner.body.refresh_token).not.toBe(tokens.refresh_token);
  });
});
