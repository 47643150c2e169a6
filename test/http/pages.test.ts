// Our own routes in-process: supertest drives the Koa callback of a linkid that never listens,
// for what needs no browser, no relying party and no mail (health, readiness, the 404 page and
// the headers every answer carries).
import supertest from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/port.js';
import { buildLinkid, type BuiltLinkid, type StartOptions } from '../support/linkid.js';

const built: BuiltLinkid[] = [];
afterEach(async () => {
  await Promise.all(built.splice(0).map((linkid) => linkid.close()));
});

/** A linkid and a supertest agent that sends ISSUER's Host, as a browser at ISSUER would. */
async function agent(options: StartOptions = {}) {
  const linkid = await buildLinkid({ startWorker: false, ...options });
  built.push(linkid);
  return { linkid, http: supertest.agent(linkid.app.app.callback()).host(new URL(linkid.issuer).host) };
}

/** The store as a load balancer sees it while its server is away: every ping fails. */
const unreachable = (store: Store): Store => ({ ...store, ping: () => Promise.reject(new Error('connection refused')) });

describe('health and readiness', () => {
  it('/healthz and /readyz answer 200 JSON that no cache keeps', async () => {
    const { http } = await agent();
    const health = await http.get('/healthz').expect(200);
    expect(health.body).toEqual({ status: 'ok' });
    expect(health.headers['cache-control']).toBe('no-store');
    const ready = await http.get('/readyz').expect(200);
    expect(ready.body).toEqual({ status: 'ok', store: 'sqlite' });
  });

  it('/readyz answers 503 store_unavailable while the store does not answer; /healthz still 200', async () => {
    const { http } = await agent({ wrapStore: unreachable });
    const ready = await http.get('/readyz').expect(503);
    expect(ready.body).toEqual({ status: 'unavailable', store: 'sqlite', error: 'store_unavailable' });
    expect(ready.text).not.toContain('connection refused');
    await http.get('/healthz').expect(200);
  });
});

describe('a path nothing serves', () => {
  it('gets the 404 page with reason not_found and the request id, or JSON for JSON clients', async () => {
    const { http } = await agent();
    const page = await http.get('/no/such/page').set('accept', 'text/html').expect(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('Page not found');
    expect(page.text).toContain('<code>not_found</code>');
    expect(page.text).toContain(page.headers['x-request-id']);

    const json = await http.get('/no/such/page').set('accept', 'application/json').expect(404);
    expect(json.body).toEqual({ error: 'not_found', error_description: 'Page not found', request_id: json.headers['x-request-id'] });
  });
});

describe('headers on every answer', () => {
  it.each(['/healthz', '/no/such/page', '/.well-known/openid-configuration'])(
    "%s: a CSP that allows nothing but a page's own nonce, no framing, no sniffing, no referrer",
    async (path) => {
      const { http } = await agent();
      const answer = await http.get(path);
      const csp = answer.headers['content-security-policy'] ?? '';
      // JSON answers build no page, so they get no nonce (security-headers.ts).
      if (path === '/no/such/page') expect(csp).toMatch(/^default-src 'none'; script-src 'nonce-[^']+'; style-src 'nonce-[^']+';/);
      else expect(csp).toBe("default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(answer.headers).toMatchObject({
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
      });
      expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      // Plain http ISSUER: no HSTS (it would pin a name that has no TLS).
      expect(answer.headers['strict-transport-security']).toBeUndefined();
    },
  );

  it('over an https ISSUER, HSTS on every answer', async () => {
    const { http } = await agent({ https: true });
    for (const path of ['/healthz', '/no/such/page']) {
      const answer = await http.get(path);
      expect(answer.headers['strict-transport-security'], path).toMatch(/^max-age=\d+/);
    }
  });
});

describe('routing between our routes and the engine', () => {
  it("sends our paths to our routes (in any letter case, as the router matches), a wrong method to 405, and the engine's paths to the engine", async () => {
    const { http } = await agent();
    expect((await http.get('/HEALTHZ').expect(200)).body).toEqual({ status: 'ok' });
    const wrongMethod = await http.get('/webhooks/postmark').expect(405);
    expect(wrongMethod.headers.allow).toContain('POST');
    expect((await http.get('/jwks').expect(200)).body.keys.length).toBeGreaterThan(0);
    expect((await http.get('/.well-known/openid-configuration').expect(200)).body.jwks_uri).toMatch(/\/jwks$/);
    await http.get('/no-such-page').expect(404);
  });
});
