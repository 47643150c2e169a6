// Logout reaches the apps: when a person signs out of one app, every other app of the same
// session gets an OpenID Connect Back-Channel Logout token at its backchannel_logout_uri. The
// receiver here is a real HTTP server that validates the token with jose against linkid's JWKS,
// as an app would; it can fail its first answers to show the retries.
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { linkidAdmin } from '../support/admin-cli.js';
import { Browser } from '../support/browser.js';
import type { RunningLinkid } from '../support/linkid.js';
import { useLogoutReceivers, verifyLogoutToken, type Receiver } from '../support/logout-receiver.js';
import { scrape } from '../support/metrics.js';
import { RelyingParty, oidc } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const logoutReceiver = useLogoutReceivers();

/** Signs in to `notified` (which registers `receiver`), then to `board` by SSO, then signs out of board. */
async function signOutOfAnotherApp(linkid: RunningLinkid, receiver: Receiver, metadata: Record<string, unknown> = {}) {
  const browser = new Browser();
  const notifiedClient = await linkid.createClient({
    name: 'Calendar',
    firstParty: true,
    redirectUris: ['http://localhost:5000/cb'],
    metadata: { backchannel_logout_uri: receiver.uri, backchannel_logout_session_required: true, ...metadata },
  });
  const notified = await RelyingParty.discover(linkid.issuer, notifiedClient);
  const signedIn = await signIn(browser, linkid, notified, 'both@example.com');

  const board = await RelyingParty.discover(
    linkid.issuer,
    await linkid.createClient({
      name: 'Board',
      firstParty: true,
      redirectUris: ['http://localhost:7000/cb'],
      postLogoutRedirectUris: ['http://localhost:7000/bye'],
    }),
  );
  const attempt = await board.authorizationUrl();
  const landing = await browser.follow(attempt.url, board.redirectUri);
  const boardTokens = await board.redeem(landing.location!, attempt);
  const confirm = await browser.follow(
    oidc.buildEndSessionUrl(board.config, { id_token_hint: boardTokens.id_token!, post_logout_redirect_uri: 'http://localhost:7000/bye' }).href,
  );
  const done = await browser.submit(confirm, /\/session\/end\/confirm$/, { logout: 'yes' }, 'http://localhost:7000/bye');
  if (!metadata.frontchannel_logout_uri) expect(done.location).toBe('http://localhost:7000/bye');
  return { notifiedClient, idToken: signedIn.tokens.claims()!, browser, notified, done };
}

describe('back-channel logout', () => {
  const { start } = useLinkid();

  it('sends every other app of the session a logout token it can validate with jose against the JWKS', async () => {
    const linkid = await start({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true' } });
    const receiver = await logoutReceiver();
    const { notifiedClient, idToken } = await signOutOfAnotherApp(linkid, receiver);

    expect(receiver.received).toHaveLength(1);
    const token = receiver.received[0]!.token;
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
    const claims = await verifyLogoutToken(linkid.issuer, token, notifiedClient.client_id);
    expect(claims.sub).toBe(idToken.sub);
    expect(typeof claims.iat).toBe('number');
    expect(claims.jti).toMatch(/\S{16,}/);
    expect(claims.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(claims.sid).toBeTruthy();
    expect(claims.sid).toBe(idToken.sid);
    expect(claims).not.toHaveProperty('nonce');

    const metrics = await scrape(linkid.issuer);
    expect(metrics.value('linkid_backchannel_logout_total', { outcome: 'delivered' })).toBe(1);
    await linkid.settle();
    const events = await linkid.store.audit.search({ clientId: notifiedClient.client_id }, linkid.clock.now());
    expect(events.map((event) => [event.event, event.fields?.outcome])).toContainEqual(['logout.backchannel', 'delivered']);
  });

  it('posts the logout token again, with back-off, when the app first answers 500, and counts each outcome', async () => {
    const linkid = await start({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true' }, backchannelRetryDelaysMs: [20, 40] });
    const receiver = await logoutReceiver(1);
    const { notifiedClient } = await signOutOfAnotherApp(linkid, receiver);

    await vi.waitFor(() => expect(receiver.received.map((post) => post.status)).toEqual([500, 200]), { timeout: 5_000 });
    for (const { token } of receiver.received) await verifyLogoutToken(linkid.issuer, token, notifiedClient.client_id);
    const metrics = await scrape(linkid.issuer);
    expect(metrics.value('linkid_backchannel_logout_total', { outcome: 'retrying' })).toBe(1);
    expect(metrics.value('linkid_backchannel_logout_total', { outcome: 'delivered' })).toBe(1);
    expect(metrics.value('linkid_backchannel_logout_total', { outcome: 'failed' })).toBe(0);
    expect(linkid.logs.join('')).toContain('back-channel logout not delivered');
  });

  it('gives up after the last retry, logs it and counts it as failed', async () => {
    const linkid = await start({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true' }, backchannelRetryDelaysMs: [10, 10] });
    const receiver = await logoutReceiver(99);
    await signOutOfAnotherApp(linkid, receiver);
    await vi.waitFor(async () => expect((await scrape(linkid.issuer)).value('linkid_backchannel_logout_total', { outcome: 'failed' })).toBe(1), {
      timeout: 5_000,
    });
    expect(receiver.received).toHaveLength(3);
    expect((await scrape(linkid.issuer)).value('linkid_backchannel_logout_total', { outcome: 'retrying' })).toBe(2);
  });

  it('does not reach an app on loopback unless OUTBOUND_ALLOW_LOOPBACK=true', async () => {
    const linkid = await start({ backchannelRetryDelaysMs: [] });
    const receiver = await logoutReceiver();
    await signOutOfAnotherApp(linkid, receiver);
    expect(receiver.received).toHaveLength(0);
    expect((await scrape(linkid.issuer)).value('linkid_backchannel_logout_total', { outcome: 'failed' })).toBe(1);
  });
});

describe('front-channel logout', () => {
  const { start } = useLinkid();

  it('frames the other app logout URI with iss and sid on the way back, allowing frames to that origin only', async () => {
    const linkid = await start({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true' } });
    const receiver = await logoutReceiver();
    const { done, idToken } = await signOutOfAnotherApp(linkid, receiver, { frontchannel_logout_uri: 'http://localhost:5000/fc-logout' });
    expect(done.status, done.body).toBe(200);
    const frame = /<iframe class="logout-frame" src="([^"]+)"/.exec(done.body)?.[1]?.replace(/&amp;/g, '&');
    const url = new URL(frame!);
    expect(url.origin + url.pathname).toBe('http://localhost:5000/fc-logout');
    expect(url.searchParams.get('iss')).toBe(linkid.issuer);
    expect(url.searchParams.get('sid')).toBe(idToken.sid);
    expect(done.body).toContain('href="http://localhost:7000/bye"');
    expect(done.headers.get('content-security-policy')).toMatch(/; frame-src http:\/\/localhost:5000$/);
    expect(receiver.received).toHaveLength(1);
  });

  it('frames nothing, and redirects as before, when no app of the session registered a front-channel URI', async () => {
    const linkid = await start({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true' } });
    const { done } = await signOutOfAnotherApp(linkid, await logoutReceiver());
    expect(done.status).toBe(303);
    expect(done.headers.get('content-security-policy')).not.toContain('frame-src');
  });
});

describe('ending sessions from outside a browser', () => {
  const { start } = useLinkid();

  /** An app with a back-channel URI, signed in to with offline access; the browser and tokens it holds. */
  async function signedInWithLogoutReceiver(linkid: RunningLinkid, receiver: Receiver, email: string) {
    const client = await linkid.createClient({
      name: 'Calendar',
      firstParty: true,
      metadata: { backchannel_logout_uri: receiver.uri, backchannel_logout_session_required: true },
    });
    const rp = await RelyingParty.discover(linkid.issuer, client);
    const browser = new Browser();
    const { tokens } = await signIn(browser, linkid, rp, email, { scope: 'openid email offline_access', prompt: 'consent' });
    return { client, rp, browser, tokens, sub: tokens.claims()!.sub };
  }

  it('the account sessions (sign out everywhere) notify every app, revoke their tokens and end the session', async () => {
    const linkid = await start({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true' } });
    const receiver = await logoutReceiver();
    const { client, rp, browser, tokens, sub } = await signedInWithLogoutReceiver(linkid, receiver, 'everywhere@example.com');

    await linkid.services.accountSessions.endAll('someone-else', 'revoked');
    expect(receiver.received).toHaveLength(0);

    const revoked = await linkid.services.accountSessions.endAll(sub, 'revoked');
    expect(revoked).toMatchObject({ sessions: 1, grants: 1, refresh_tokens: 1 });
    expect(receiver.received).toHaveLength(1);
    const claims = await verifyLogoutToken(linkid.issuer, receiver.received[0]!.token, client.client_id);
    expect(claims.sub).toBe(sub);
    expect(claims.sid).toBe(tokens.claims()!.sid);
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const again = await browser.follow((await rp.authorizationUrl()).url, rp.redirectUri);
    expect(again.body).toContain('Email me a sign-in link');
  });

  it('npx linkid-admin user revoke-sessions tells the apps too, from its own process', async () => {
    const linkid = await start({ env: { OUTBOUND_ALLOW_LOOPBACK: 'true' } });
    const receiver = await logoutReceiver();
    const { client, tokens, sub } = await signedInWithLogoutReceiver(linkid, receiver, 'cli-revoke@example.com');
    const stdout = await linkidAdmin(linkid, ['user', 'revoke-sessions', sub], { ISSUER: linkid.issuer, OUTBOUND_ALLOW_LOOPBACK: 'true' });
    expect(JSON.parse(stdout)).toMatchObject({ revoked: { sessions: 1 } });
    expect(receiver.received).toHaveLength(1);
    const claims = await verifyLogoutToken(linkid.issuer, receiver.received[0]!.token, client.client_id);
    expect(claims).toMatchObject({ sub, sid: tokens.claims()!.sid, iss: linkid.issuer });
  });
});
