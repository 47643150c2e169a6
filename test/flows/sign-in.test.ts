// The whole product, end to end: an openid-client relying party sends a browser to linkid, the
// user signs in with the emailed link, and the app gets validated tokens, userinfo, refresh,
// revocation and single sign-on for a second app.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { startLinkid, type RunningLinkid } from '../support/linkid.js';
import { settledOutbox } from '../support/outbox.js';
import { RelyingParty, oidc } from '../support/relying-party.js';
import { registerApp } from '../support/factories.js';
import { signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

describe('sign-in with a magic link', () => {
  let linkid: RunningLinkid;
  let rp: RelyingParty;
  const browser = new Browser();
  let first: Awaited<ReturnType<typeof signIn>>;

  beforeAll(async () => {
    linkid = await startLinkid();
    rp = await registerApp(linkid, { name: 'Notes' });
    first = await signIn(browser, linkid, rp, 'Ada@Example.COM', { scope: 'openid email offline_access', prompt: 'consent' });
  });
  afterAll(() => linkid.close());

  it('issues an ID token the relying party library validates, saying how the user signed in', () => {
    const claims = first.tokens.claims()!;
    expect(claims.iss).toBe(linkid.issuer);
    expect(claims.aud).toBe(rp.client.client_id);
    expect(claims.sub).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(claims.sub).not.toContain('ada');
    expect(claims.acr).toBe('urn:linkid:acr:email-link');
    expect(claims.amr).toEqual(['email', 'otp']);
    expect(typeof claims.auth_time).toBe('number');
    expect(Math.abs(claims.auth_time! - Date.now() / 1000)).toBeLessThan(60);
  });

  it('returns iss in the authorization response (RFC 9207)', () => {
    expect(new URL(first.callback).searchParams.get('iss')).toBe(linkid.issuer);
  });

  it('mails the link to the canonical address: lower-cased, as the account knows it', () => {
    expect(first.mail.message.to).toBe('ada@example.com');
    expect(first.mail.message.subject).toContain('Notes');
    expect(first.mail.message.html).toContain(first.mail.link.replace(/&/g, '&amp;'));
    expect(first.mail.link.startsWith(`${linkid.issuer}/login/link?token=`)).toBe(true);
  });

  it('says plainly, in both parts of the email, never to share the code: linkid never asks for it', () => {
    for (const part of [first.mail.message.text, first.mail.message.html]) {
      expect(part).toContain('Do not share this code or link with anyone');
      expect(part).toContain('will never ask you for it by phone, chat or email');
    }
  });

  it('serves userinfo with the verified email', async () => {
    const claims = first.tokens.claims()!;
    const userinfo = await oidc.fetchUserInfo(rp.config, first.tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: claims.sub, email: 'ada@example.com', email_verified: true });
  });

  it('rotates refresh tokens and refuses a used one', async () => {
    const original = first.tokens.refresh_token!;
    expect(original).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(rp.config, original);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(original);
    expect(refreshed.claims()!.sub).toBe(first.tokens.claims()!.sub);
    await expect(oidc.refreshTokenGrant(rp.config, original)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes an access token so introspection and userinfo refuse it', async () => {
    const attempt = await signIn(browser, linkid, rp, 'Ada@Example.COM', { prompt: 'login' });
    const token = attempt.tokens.access_token;
    expect((await oidc.tokenIntrospection(rp.config, token)).active).toBe(true);
    await oidc.tokenRevocation(rp.config, token);
    expect((await oidc.tokenIntrospection(rp.config, token)).active).toBe(false);
    await expect(oidc.fetchUserInfo(rp.config, token, attempt.tokens.claims()!.sub)).rejects.toThrow();
  });

  it('sends a returning user of the same app straight back, without email or consent', async () => {
    const mailsBefore = (await settledOutbox(linkid)).length;
    const attempt = await rp.authorizationUrl();
    const landing = await browser.follow(attempt.url, rp.redirectUri);
    expect(landing.location?.startsWith(rp.redirectUri), landing.body).toBe(true);
    const tokens = await rp.redeem(landing.location!, attempt);
    expect(tokens.claims()!.sub).toBe(first.tokens.claims()!.sub);
    expect((await settledOutbox(linkid)).length).toBe(mailsBefore);
  });

  it('gives a second app single sign-on without another email', async () => {
    const mailsBefore = (await settledOutbox(linkid)).length;
    const second = await RelyingParty.discover(
      linkid.issuer,
      await linkid.createClient({ name: 'Calendar', redirectUris: ['http://localhost:5000/cb'], firstParty: true }),
    );
    const attempt = await second.authorizationUrl();
    const landing = await browser.follow(attempt.url, second.redirectUri);
    expect(landing.location?.startsWith(second.redirectUri), landing.body).toBe(true);
    const tokens = await second.redeem(landing.location!, attempt);
    expect(tokens.claims()!.sub).toBe(first.tokens.claims()!.sub);
    expect(tokens.claims()!.acr).toBe('urn:linkid:acr:email-link');
    expect((await settledOutbox(linkid)).length).toBe(mailsBefore);
  });

  it('asks a third-party app for consent, still without another email', async () => {
    const mailsBefore = (await settledOutbox(linkid)).length;
    const third = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Photos', redirectUris: ['http://localhost:6000/cb'] }));
    const attempt = await third.authorizationUrl();
    const consent = await browser.follow(attempt.url, third.redirectUri);
    expect(consent.status).toBe(200);
    expect(consent.body).toContain('Photos wants to know who you are');
    expect(consent.body).toContain('ada@example.com');
    expect((await settledOutbox(linkid)).length).toBe(mailsBefore);
  });

  it('signs out through RP-initiated logout and returns to the registered address', async () => {
    const client = await linkid.createClient({
      name: 'Board',
      redirectUris: ['http://localhost:7000/cb'],
      postLogoutRedirectUris: ['http://localhost:7000/bye'],
      firstParty: true,
    });
    const board = await RelyingParty.discover(linkid.issuer, client);
    const attempt = await board.authorizationUrl();
    const landing = await browser.follow(attempt.url, board.redirectUri);
    const tokens = await board.redeem(landing.location!, attempt);

    const logoutUrl = oidc.buildEndSessionUrl(board.config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'http://localhost:7000/bye',
      state: 'bye-state',
    });
    const confirm = await browser.follow(logoutUrl.href);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Sign out of Board?');
    expect(confirm.body).not.toMatch(/fonts\.googleapis|<script/);
    const done = await browser.submit(confirm, /\/session\/end\/confirm$/, { logout: 'yes' }, 'http://localhost:7000/bye');
    expect(done.location).toBe('http://localhost:7000/bye?state=bye-state');

    // The session is gone: the next authorization asks for an email again.
    const again = await browser.follow((await board.authorizationUrl()).url, board.redirectUri);
    expect(again.status).toBe(200);
    expect(again.body).toContain('Email me a sign-in link');
  });
});

describe('tokens belong to their client', () => {
  it('another client can neither introspect nor revoke them', async () => {
    const linkid = await startLinkid();
    try {
      const owner = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Owner', firstParty: true }));
      const other = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Other', redirectUris: ['http://localhost:4100/cb'] }));
      const { tokens } = await signIn(new Browser(), linkid, owner, 'owner@example.com');
      expect((await oidc.tokenIntrospection(other.config, tokens.access_token)).active).toBe(false);
      await oidc.tokenRevocation(other.config, tokens.access_token).catch(() => undefined);
      expect((await oidc.tokenIntrospection(owner.config, tokens.access_token)).active).toBe(true);
    } finally {
      await linkid.close();
    }
  });
});

describe('fresh sign-in on demand', () => {
  const { setup } = useLinkid();

  it('prompt=login and max_age=0 ask for a new link even with a session', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    await signIn(browser, linkid, rp, 'again@example.com');
    for (const params of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      const page = await browser.follow((await rp.authorizationUrl(params)).url, rp.redirectUri);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Email me a sign-in link');
    }
    const sso = await browser.follow((await rp.authorizationUrl()).url, rp.redirectUri);
    expect(sso.location?.startsWith(rp.redirectUri)).toBe(true);
  });
});
