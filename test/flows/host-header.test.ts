// A request whose host is not ISSUER's is refused (the contract in README and docs/SECURITY.md):
// oidc-provider builds discovery, redirects and form actions from the request's Host, so an answer
// to `Host: evil.example` would advertise evil.example to whatever caches it. Plain node:http
// requests, because fetch cannot set Host. And whatever host headers a request carries, the link
// in the email comes from ISSUER alone.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { Browser, formOn } from '../support/browser.js';
import type { RunningLinkid } from '../support/linkid.js';
import { latestSignInMail, mailsTo } from '../support/outbox.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup, start } = useLinkid();

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** Where the test server really listens (the issuer may name another host, port or scheme). */
const listeningPort = (linkid: RunningLinkid) => linkid.config.port;

/** Sends a request to linkid's socket with exactly these headers (`host: undefined` sends none). */
function send(
  linkid: RunningLinkid,
  path: string,
  headers: Record<string, string | undefined>,
  init: { method?: string; body?: string } = {},
): Promise<Answer> {
  const { host, ...rest } = headers;
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: listeningPort(linkid),
        path,
        method: init.method ?? 'GET',
        setHost: false,
        headers: { ...(host === undefined ? {} : { host }), accept: 'text/html', ...rest },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    request.on('error', reject);
    request.end(init.body);
  });
}

/** The issuer's own host:port, as a browser would send it. */
const ownHost = (linkid: RunningLinkid) => new URL(linkid.issuer).host;

function expectRefused(answer: Answer, bad = 'evil.example') {
  expect(answer.status).toBe(421);
  expect(answer.body).toContain('host_mismatch');
  expect(answer.body).not.toContain(bad);
  expect(JSON.stringify(answer.headers)).not.toContain(bad);
}

/** A real, pending interaction: its path and the cookies that make it answer 200 to its owner. */
async function pendingInteraction(linkid: RunningLinkid) {
  const client = await linkid.createClient({ name: 'Notes', firstParty: true });
  const authPath = `/auth?${new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    redirect_uri: client.redirect_uris[0]!,
    scope: 'openid email',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString()}`;
  const toInteraction = await send(linkid, authPath, { host: ownHost(linkid) });
  expect(toInteraction.status).toBe(303);
  const interactionPath = new URL(toInteraction.headers.location!, linkid.issuer).pathname;
  const cookie = (toInteraction.headers['set-cookie'] ?? []).map((line) => line.split(';')[0]).join('; ');
  const page = await send(linkid, interactionPath, { host: ownHost(linkid), cookie });
  expect(page.status).toBe(200);
  return { authPath, interactionPath, cookie };
}

describe('a request for another host', () => {
  it('is refused on discovery, /auth, the interaction, the link, /jwks and the token endpoint, naming no host', async () => {
    const linkid = await start();
    const { authPath, interactionPath, cookie } = await pendingInteraction(linkid);
    const requests: [string, string?][] = [
      ['/.well-known/openid-configuration'],
      [authPath],
      [interactionPath],
      ['/login/link?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ['/jwks'],
      ['/token', 'grant_type=authorization_code&code=x&redirect_uri=http%3A%2F%2Flocalhost%3A4000%2Fcallback'],
      [`${interactionPath}/login`, 'email=host%40example.com'],
    ];
    for (const [path, body] of requests) {
      const answer = await send(
        linkid,
        path,
        { host: 'evil.example', cookie, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        body ? { method: 'POST', body } : {},
      );
      expectRefused(answer);
    }
    // The form post above was refused before it reached the flow: no mail was written.
    await linkid.settle();
    const { readOutbox } = await import('../support/outbox.js');
    expect(readOutbox(linkid.dataDir)).toHaveLength(0);
  });

  it('answers JSON clients with {"error":"host_mismatch"} and a request id', async () => {
    const linkid = await start();
    const answer = await send(linkid, '/.well-known/openid-configuration', { host: 'EVIL.example:8443', accept: 'application/json' });
    expect(answer.status).toBe(421);
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(body.error).toBe('host_mismatch');
    expect(body.request_id).toBe(answer.headers['x-request-id']);
    expect(answer.body.toLowerCase()).not.toContain('evil.example');
  });

  it('is refused when the request target is in absolute form and names another origin, whatever Host says', async () => {
    const linkid = await start();
    for (const target of [
      'http://evil.example/.well-known/openid-configuration',
      'https://evil.example:444/.well-known/openid-configuration',
      `https://${ownHost(linkid)}/.well-known/openid-configuration`,
      'http://evil.example/session/end',
    ]) {
      expectRefused(await send(linkid, target, { host: ownHost(linkid) }), 'evil.example');
    }
    // Our own origin in absolute form is a request like any other, and builds ISSUER's URLs.
    const own = await send(linkid, `${linkid.issuer}/.well-known/openid-configuration`, { host: ownHost(linkid) });
    expect(own.status).toBe(200);
    expect((JSON.parse(own.body) as { authorization_endpoint: string }).authorization_endpoint).toBe(`${linkid.issuer}/auth`);
  });

  it('is refused for the right name on another port, and when there is no Host at all', async () => {
    const linkid = await start();
    const other = `127.0.0.1:${(listeningPort(linkid) % 65535) + 1}`;
    expectRefused(await send(linkid, '/.well-known/openid-configuration', { host: other }), other);
    // Node's HTTP server itself answers 400 to an HTTP/1.1 request without Host; either way, no discovery.
    const hostless = await send(linkid, '/.well-known/openid-configuration', { host: undefined });
    expect(hostless.status).toBeGreaterThanOrEqual(400);
    expect(hostless.status).toBeLessThan(500);
  });

  it("with TRUST_PROXY=true: an X-Forwarded-Host or X-Forwarded-Proto that is not ISSUER's is refused", async () => {
    const linkid = await start({ env: { TRUST_PROXY: 'true' } });
    const host = ownHost(linkid);
    expectRefused(await send(linkid, '/.well-known/openid-configuration', { host, 'x-forwarded-host': 'evil.example' }));
    expectRefused(await send(linkid, '/.well-known/openid-configuration', { host, 'x-forwarded-host': 'evil.example, ' + host }));
    // ISSUER is http here; a proxy reporting https means the two disagree about where we are.
    expectRefused(await send(linkid, '/.well-known/openid-configuration', { host, 'x-forwarded-proto': 'https' }), 'https://');
    const proxied = await send(linkid, '/.well-known/openid-configuration', { host: 'linkid-1:3000', 'x-forwarded-host': host, 'x-forwarded-proto': 'http' });
    expect(proxied.status).toBe(200);
    expect(JSON.parse(proxied.body).authorization_endpoint).toBe(`${linkid.issuer}/auth`);
  });

  it('without TRUST_PROXY: X-Forwarded-Host and X-Forwarded-Proto are ignored, not obeyed', async () => {
    const linkid = await start();
    const answer = await send(linkid, '/.well-known/openid-configuration', {
      host: ownHost(linkid),
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    });
    expect(answer.status).toBe(200);
    expect(answer.body).not.toContain('evil.example');
    expect(JSON.parse(answer.body).authorization_endpoint).toBe(`${linkid.issuer}/auth`);
  });
});

describe('a request for our own host', () => {
  it('gets discovery whose every endpoint is under ISSUER', async () => {
    const linkid = await start();
    const answer = await send(linkid, '/.well-known/openid-configuration', { host: ownHost(linkid) });
    expect(answer.status).toBe(200);
    const discovery = JSON.parse(answer.body) as Record<string, unknown>;
    expect(discovery.issuer).toBe(linkid.issuer);
    const urls = Object.entries(discovery).filter(([key, value]) => typeof value === 'string' && (key.endsWith('_endpoint') || key.endsWith('_uri')));
    expect(urls.length).toBeGreaterThan(4);
    for (const [key, url] of urls) expect(url, key).toMatch(new RegExp(`^${linkid.issuer.replaceAll('.', '\\.')}/`));
  });

  it('is the same host in any letter case and with the default port written out', async () => {
    // ISSUER without a port: port 80 is implied. The test server listens elsewhere; Host is what counts.
    const linkid = await start({ env: { ISSUER: 'http://localhost' } });
    for (const host of ['localhost', 'LocalHost', 'localhost:80']) {
      const answer = await send(linkid, '/.well-known/openid-configuration', { host });
      expect(answer.status, host).toBe(200);
      expect(JSON.parse(answer.body).authorization_endpoint, host).toBe('http://localhost/auth');
    }
    expectRefused(await send(linkid, '/.well-known/openid-configuration', { host: 'localhost:443' }), 'localhost:443');
  });

  it('over an https ISSUER: :443 is the default port, and URLs are https even when TLS ended before linkid', async () => {
    const linkid = await start({ env: { ISSUER: 'https://id.example.com', MAIL_TRANSPORT: 'outbox' } });
    for (const host of ['id.example.com', 'ID.Example.COM:443']) {
      const answer = await send(linkid, '/.well-known/openid-configuration', { host });
      expect(answer.status, host).toBe(200);
      const discovery = JSON.parse(answer.body) as Record<string, string>;
      expect(discovery.authorization_endpoint, host).toBe('https://id.example.com/auth');
      expect(discovery.jwks_uri, host).toBe('https://id.example.com/jwks');
    }
    expectRefused(await send(linkid, '/.well-known/openid-configuration', { host: 'id.example.com:80' }), 'id.example.com:80');
  });

  it('over an https ISSUER with TRUST_PROXY=true: a proxy reporting plain http is refused', async () => {
    const linkid = await start({ env: { ISSUER: 'https://id.example.com', MAIL_TRANSPORT: 'outbox', TRUST_PROXY: 'true' } });
    expectRefused(await send(linkid, '/auth', { host: 'id.example.com', 'x-forwarded-proto': 'http' }), 'http://');
    const answer = await send(linkid, '/.well-known/openid-configuration', { host: 'id.example.com', 'x-forwarded-proto': 'https' });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).token_endpoint).toBe('https://id.example.com/token');
  });
});

describe('health endpoints', () => {
  it('answer load balancers and orchestrators that probe with their own Host (a pod IP)', async () => {
    const linkid = await start({ env: { TRUST_PROXY: 'true' } });
    for (const path of ['/healthz', '/readyz']) {
      const answer = await send(linkid, path, { host: '10.0.3.7:3000', 'x-forwarded-host': 'evil.example' });
      expect(answer.status, path).toBe(200);
      expect(JSON.parse(answer.body).status, path).toBe('ok');
    }
  });
});

describe('links come only from ISSUER', () => {
  it('a spoofed Host or X-Forwarded-Host is refused, and the host headers never change the link in the email', async () => {
    const { linkid, rp } = await setup({ env: { TRUST_PROXY: 'true' } });
    const browser = new Browser();
    const form = await browser.follow((await rp.authorizationUrl()).url);
    const { action } = formOn(form, /\/login$/);
    const url = new URL(action);
    const cookie = await browser.jar.getCookieString(action);
    const postEmail = (email: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const request = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
          },
          (response) => {
            response.resume();
            resolve(response.statusCode!);
          },
        );
        request.on('error', reject);
        request.end(new URLSearchParams({ email }).toString());
      });

    // Another host, directly or through the proxy's header: refused before the flow, no mail.
    expect(await postEmail('spoofed@example.com', { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' })).toBe(421);
    expect(await mailsTo(linkid, 'spoofed@example.com')).toHaveLength(0);

    // Our host as the trusted proxy reports it, with every other host header an attacker could add:
    // answered, and the link still comes from ISSUER alone.
    const status = await postEmail('host@example.com', {
      host: 'evil.example',
      'x-forwarded-host': url.host,
      'x-forwarded-proto': 'http',
      forwarded: 'host=evil.example;proto=https',
      'x-forwarded-server': 'evil.example',
      'x-original-host': 'evil.example',
    });
    expect(status).toBe(200);
    const mail = await latestSignInMail(linkid, 'host@example.com');
    expect(mail.link.startsWith(`${linkid.issuer}/login/link?token=`)).toBe(true);
    expect(mail.message.html).not.toContain('evil.example');
    expect(mail.message.text).not.toContain('evil.example');
  });
});
