// Pushed authorization requests (RFC 9126), driven with openid-client's buildAuthorizationUrlWithPAR:
// the magic-link sign-in started from a pushed request, an app (or every app, REQUIRE_PAR) that must
// push, and a request_uri that is used twice, expires or was never issued.
import { describe, expect, it } from 'vitest';
import { openAccount } from '../support/account.js';
import { Browser } from '../support/browser.js';
import { fakeClock } from '../support/fake-clock.js';
import { createUser, NOTES, registerApp } from '../support/factories.js';
import { confirmLink, finishAtApp, requestLink, signInWith } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

/** The error an authorization answered the app's redirect URI with. */
function errorAtApp(location: string | undefined, redirectUri: string) {
  expect(location?.startsWith(`${redirectUri}?`), location).toBe(true);
  const params = new URL(location!).searchParams;
  return { error: params.get('error'), description: params.get('error_description'), state: params.get('state'), iss: params.get('iss') };
}

const MUST_PUSH = { ...NOTES, metadata: { require_pushed_authorization_requests: true } };

describe('pushed authorization requests', () => {
  const { start, setup } = useLinkid();

  it('signs a person in from a pushed request: the email form reads its login_hint and language', async () => {
    const { linkid, rp } = await setup();
    const attempt = await rp.pushedAuthorizationUrl({ login_hint: 'ada@example.com', ui_locales: 'de' });
    // What the browser carries is only the app's id and the reference to the pushed request.
    expect([...new URL(attempt.url).searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const form = await new Browser().follow(attempt.url);
    expect(form.body).toContain('value="ada@example.com"');
    expect(form.body).toContain('<html lang="de"');

    const { tokens } = await signInWith(new Browser(), linkid, rp, await rp.pushedAuthorizationUrl({ login_hint: 'ada@example.com' }), 'ada@example.com');
    expect(tokens.claims()!.email).toBe('ada@example.com');
  });

  it('finishes the sign-in when the link is pressed long after the request_uri expired', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock });
    const attempt = await rp.pushedAuthorizationUrl();
    const browser = new Browser();
    const { mail } = await requestLink(browser, linkid, attempt, 'slow@example.com');
    clock.advance(5 * 60_000); // the request_uri lives 60 s; the link 10 minutes
    const callback = await finishAtApp(browser, rp, await confirmLink(browser, mail));
    const tokens = await rp.redeem(callback, attempt);
    expect(tokens.claims()!.email).toBe('slow@example.com');
  });

  it('refuses a plain request from an app made with --require-par, at its redirect URI', async () => {
    const { linkid, rp } = await setup({}, MUST_PUSH);
    const plain = await rp.authorizationUrl();
    const refused = await new Browser().request(plain.url);
    expect(refused.status).toBe(303);
    expect(errorAtApp(refused.location, rp.redirectUri)).toEqual({
      error: 'invalid_request',
      description: 'Pushed Authorization Request must be used',
      state: plain.state,
      iss: linkid.issuer,
    });
    // Pushed, the same app signs in.
    const { tokens } = await signInWith(new Browser(), linkid, rp, await rp.pushedAuthorizationUrl(), 'pushed@example.com');
    expect(tokens.access_token).toBeTruthy();
    // --no-require-par (false) lets plain requests in again.
    await linkid.updateClient(rp.client.client_id, { metadata: { require_pushed_authorization_requests: false } });
    expect((await new Browser().follow((await rp.authorizationUrl()).url)).url).toMatch(/\/interaction\//);
  });

  it('REQUIRE_PAR=true refuses every plain request and says so in discovery', async () => {
    const { linkid, rp } = await setup({ env: { REQUIRE_PAR: 'true' } });
    const discovery = (await (await fetch(`${linkid.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.require_pushed_authorization_requests).toBe(true);
    const refused = await new Browser().request((await rp.authorizationUrl()).url);
    expect(errorAtApp(refused.location, rp.redirectUri).error).toBe('invalid_request');
    expect((await new Browser().follow((await rp.pushedAuthorizationUrl()).url)).url).toMatch(/\/interaction\//);
  });

  it("REQUIRE_PAR=true leaves linkid's own account page and admin console able to sign people in", async () => {
    const { linkid } = await setup({ env: { REQUIRE_PAR: 'true', ADMIN_EMAILS: 'root@example.com' } });
    await createUser(linkid, 'grace@example.com');
    const account = await openAccount(new Browser(), linkid, 'grace@example.com');
    expect(account.status, account.body).toBe(200);
    expect(account.url).toBe(`${linkid.issuer}/account`);
    expect(account.body).toContain('<strong>grace@example.com</strong>');
    const admin = await openAccount(new Browser(), linkid, 'root@example.com', '/admin');
    expect(admin.status, admin.body).toBe(200);
    expect(admin.url).toBe(`${linkid.issuer}/admin/apps`);
  });

  it('takes require_pushed_authorization_requests, dpop_bound_access_tokens and request_object_signing_alg by dynamic registration, and a read registration back unchanged', async () => {
    const linkid = await start({ env: { DYNAMIC_REGISTRATION: 'open' } });
    const redirectUri = 'http://localhost:4000/callback';
    const registered = await fetch(`${linkid.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Bank',
        redirect_uris: [redirectUri],
        require_pushed_authorization_requests: true,
        dpop_bound_access_tokens: true,
        request_object_signing_alg: 'HS256',
      }),
    });
    const client = (await registered.json()) as Record<string, unknown> & {
      client_id: string;
      registration_client_uri: string;
      registration_access_token: string;
    };
    expect(registered.status, JSON.stringify(client)).toBe(201);
    expect(client).toMatchObject({ require_pushed_authorization_requests: true, dpop_bound_access_tokens: true, request_object_signing_alg: 'HS256' });
    const plain = await new Browser().request(
      `${linkid.issuer}/auth?${String(new URLSearchParams({ client_id: client.client_id, response_type: 'code', redirect_uri: redirectUri, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }))}`,
    );
    expect(errorAtApp(plain.location, redirectUri).error).toBe('invalid_request');

    // RFC 7592: what a read answers, sent back as the update, changes nothing and is not refused.
    const auth = { authorization: `Bearer ${client.registration_access_token}` };
    const read = (await (await fetch(client.registration_client_uri, { headers: auth })).json()) as Record<string, unknown>;
    const serverSet = ['client_id_issued_at', 'client_secret_expires_at', 'registration_client_uri', 'registration_access_token'];
    const metadata = Object.fromEntries(Object.entries(read).filter(([key]) => !serverSet.includes(key)));
    const updated = await fetch(client.registration_client_uri, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(metadata),
    });
    expect(updated.status, await updated.clone().text()).toBe(200);
    expect(await updated.json()).toMatchObject({
      require_pushed_authorization_requests: true,
      dpop_bound_access_tokens: true,
      request_object_signing_alg: 'HS256',
    });
  });

  it('refuses a request_uri used a second time with invalid_request_uri', async () => {
    const { linkid, rp } = await setup();
    const attempt = await rp.pushedAuthorizationUrl();
    await signInWith(new Browser(), linkid, rp, attempt, 'twice@example.com');
    const again = await new Browser().request(attempt.url);
    expect(again.status).toBe(303);
    expect(errorAtApp(again.location, rp.redirectUri).error).toBe('invalid_request_uri');
  });

  it('lets exactly one of two sign-ins started from the same request_uri finish, even when both resume at once', async () => {
    // Both resumes read the pushed request before either marks it used: the store's consume decides (src/oidc/adapter.ts).
    let arrived = 0;
    let release: () => void = () => undefined;
    const bothRead = new Promise<void>((resolve) => {
      release = resolve;
    });
    let armed = false;
    const { linkid, rp } = await setup({
      wrapStore: (store) => ({
        ...store,
        oidc: {
          ...store.oidc,
          find: async (model, id, now) => {
            const found = await store.oidc.find(model, id, now);
            if (armed && model === 'PushedAuthorizationRequest') {
              arrived += 1;
              if (arrived === 2) release();
              await Promise.race([bothRead, new Promise((resolve) => setTimeout(resolve, 2_000))]);
            }
            return found;
          },
        },
      }),
    });
    const attempt = await rp.pushedAuthorizationUrl();
    // The same pushed request opened in two browsers (a reload is allowed, RFC 9126 §4), both confirmed.
    const confirmed = await Promise.all(
      ['one@example.com', 'two@example.com'].map(async (email) => {
        const browser = new Browser();
        const { mail } = await requestLink(browser, linkid, attempt, email);
        return { browser, page: await confirmLink(browser, mail) };
      }),
    );
    armed = true;
    const ends = await Promise.all(confirmed.map(({ browser, page }) => browser.follow(page.location!, rp.redirectUri)));
    expect(arrived).toBe(2);
    const errors = ends.map((end) => new URL(end.location!).searchParams.get('error'));
    expect(errors.sort()).toEqual(['invalid_request_uri', null]);
  });

  it('refuses a request_uri after it expired with invalid_request_uri', async () => {
    const clock = fakeClock();
    const { rp } = await setup({ clock });
    const attempt = await rp.pushedAuthorizationUrl();
    clock.advance(61_000);
    const late = await new Browser().request(attempt.url);
    expect(errorAtApp(late.location, rp.redirectUri).error).toBe('invalid_request_uri');
  });

  it('answers made-up request_uris and bad pushes with their RFC error, never a 500', async () => {
    const linkid = await start();
    const rp = await registerApp(linkid, { ...NOTES, name: 'Pusher' });
    const auth = (requestUri: string) =>
      new Browser().request(`${linkid.issuer}/auth?${String(new URLSearchParams({ client_id: rp.client.client_id, request_uri: requestUri }))}`);
    expect(errorAtApp((await auth('urn:ietf:params:oauth:request_uri:made-up')).location, rp.redirectUri).error).toBe('invalid_request_uri');
    expect(errorAtApp((await auth('https://app.example/request.jwt')).location, rp.redirectUri).error).toBe('request_uri_not_supported');

    const push = (body: Record<string, string>, secret = rp.client.client_secret!) =>
      fetch(`${linkid.issuer}/request`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${rp.client.client_id}:${secret}`).toString('base64')}` },
        body: new URLSearchParams(body),
      });
    const valid = rp.bareRequest();
    const answers = await Promise.all([
      push(valid, 'wrong-secret'),
      push({ ...valid, request_uri: 'urn:ietf:params:oauth:request_uri:abc' }),
      push({ ...valid, redirect_uri: 'https://evil.example/callback' }),
      push({ ...valid, code_challenge_method: 'plain' }),
    ]);
    const bodies = await Promise.all(answers.map(async (answer) => ({ status: answer.status, ...((await answer.json()) as object) })));
    expect(bodies).toEqual([
      { status: 401, error: 'invalid_client', error_description: 'client authentication failed' },
      { status: 400, error: 'request_uri_not_supported' },
      { status: 400, error: 'invalid_request', error_description: expect.stringContaining('redirect_uri') },
      { status: 400, error: 'invalid_request', error_description: expect.stringContaining('code_challenge_method') },
    ]);
    // A good push answers 201 with a request_uri that lives 60 s.
    const pushed = await push(valid);
    expect(pushed.status).toBe(201);
    expect(await pushed.json()).toMatchObject({ expires_in: 60, request_uri: expect.stringMatching(/^urn:ietf:params:oauth:request_uri:/) });
  });
});
