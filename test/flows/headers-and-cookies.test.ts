// The headers that keep pages holding links and codes safe in a browser: CSP with per-response
// nonces, no framing, no referrer, no caching, a form-action that reaches only us and the page's
// app; and over https, HSTS and Secure, __Host- cookies.
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { requestLink } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup, start } = useLinkid();

describe('headers and cookies', () => {
  it('link and code pages: CSP with nonce and frame-ancestors none, no referrer, no caching', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'headers@example.com');
    for (const response of [page, await browser.request(mail.link)]) {
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/script-src 'nonce-[^']+'/);
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
      for (const tag of response.body.matchAll(/<(script|style)\b[^>]*>/g)) expect(tag[0]).toContain(`nonce="${nonce}"`);
    }
  });

  it('over https: HSTS, and Secure __Host- cookies', async () => {
    const linkid = await start({ https: true });
    const client = await linkid.createClient({ name: 'Secure' });
    const browser = new Browser();
    const authUrl = `${linkid.issuer.replace('https://', 'http://')}/auth?${new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: client.redirect_uris[0]!,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString()}`;
    const toInteraction = await browser.request(authUrl);
    expect(toInteraction.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    const setCookies = toInteraction.headers.getSetCookie();
    expect(setCookies.length).toBeGreaterThan(0);
    for (const cookie of setCookies) expect(cookie.toLowerCase()).toContain('secure');
    expect(setCookies.some((cookie) => cookie.startsWith('__Secure-linkid-interaction='))).toBe(true);

    const interactionUrl = toInteraction.location!.replace('https://', 'http://');
    const cookieHeader = setCookies.map((cookie) => cookie.split(';')[0]).join('; ');
    const posted = await fetch(`${interactionUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: cookieHeader, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
      body: 'email=https%40example.com',
    });
    expect(posted.status).toBe(200);
    const binding = posted.headers.getSetCookie().find((cookie) => cookie.startsWith('__Host-linkid-binding='));
    expect(binding).toBeDefined();
    expect(binding!.toLowerCase()).toMatch(/path=\/;.*secure.*httponly|path=\/;.*httponly.*secure|secure.*path=\//);
    expect(binding).not.toMatch(/domain=/i);
  });
});

describe('the CSP form-action', () => {
  it('lets our forms reach only ourselves and the app the page belongs to', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'csp@example.com');
    const appOrigin = new URL(rp.redirectUri).origin;
    for (const shown of [page, await browser.request(mail.link)]) {
      const formAction = /form-action ([^;]+)/.exec(shown.headers.get('content-security-policy') ?? '')?.[1];
      expect(formAction?.split(' ').sort()).toEqual(["'self'", appOrigin].sort());
    }
    const unrelated = await browser.request(`${linkid.issuer}/login/link?token=${'C'.repeat(43)}`);
    expect(/form-action ([^;]+)/.exec(unrelated.headers.get('content-security-policy') ?? '')?.[1]).toBe("'self'");
  });
});

describe('JSON endpoints', () => {
  it('get a policy that allows nothing, with no nonce; a page they render after all gets its own', async () => {
    const linkid = await start();
    for (const path of ['/jwks', '/.well-known/openid-configuration', '/version']) {
      const response = await fetch(`${linkid.issuer}${path}`);
      expect(response.status, path).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, path).toMatch(/^default-src 'none';/);
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('nonce-');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    // GET on the token endpoint is nobody's route: the not-found page, styled under its own nonce.
    const page = await new Browser().request(`${linkid.issuer}/token`);
    expect(page.status).toBe(404);
    const nonce = /style-src 'nonce-([^']+)'/.exec(page.headers.get('content-security-policy') ?? '')?.[1];
    expect(nonce).toBeTruthy();
    const tags = [...page.body.matchAll(/<(script|style)\b[^>]*>/g)];
    expect(tags.length).toBeGreaterThan(0);
    for (const tag of tags) expect(tag[0]).toContain(`nonce="${nonce}"`);
  });
});
