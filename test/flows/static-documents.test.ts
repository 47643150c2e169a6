// Discovery and JWKS answered from what the engine wrote (src/http/static-documents.ts) must be the
// engine's answers: same bytes and type every time, CORS made per request as the engine makes it,
// HEAD and OPTIONS as before, a refused host still refused, every request logged and counted under
// its route, and /jwks new as soon as the keys in force change.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { linkidAdmin } from '../support/admin-cli.js';
import type { RunningLinkid } from '../support/linkid.js';
import { useLinkid } from '../support/use-linkid.js';

/** A GET with another Host (fetch cannot set one). */
const foreignHostStatus = (linkid: RunningLinkid, path: string) =>
  new Promise<number>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: linkid.config.port, path, setHost: false, headers: { host: 'evil.example' } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });

async function get(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

describe('discovery and JWKS kept between requests', () => {
  const suite = useLinkid();

  it('answers the same bytes, with CORS per request, HEAD and OPTIONS, and counts each request', async () => {
    const linkid = await suite.start();
    for (const path of ['/.well-known/openid-configuration', '/jwks']) {
      const first = await get(`${linkid.issuer}${path}`);
      const again = await get(`${linkid.issuer}${path}`, { headers: { Origin: 'https://app.example' } });
      const third = await get(`${linkid.issuer}${path}`);
      expect(first.status).toBe(200);
      expect(again.body).toBe(first.body);
      expect(third.body).toBe(first.body);
      expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(first.headers.get('content-type')).toMatch(path === '/jwks' ? /^application\/jwk-set\+json/ : /^application\/json/);
      expect(first.headers.get('access-control-allow-origin')).toBe('*');
      expect(again.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(third.headers.get('access-control-allow-origin')).toBe('*');
      expect(again.headers.get('vary')).toMatch(/Origin/);
      for (const answer of [first, again, third]) {
        expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
        expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
        expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      }
      expect(new Set([first, again, third].map((answer) => answer.headers.get('x-request-id'))).size).toBe(3);

      const head = await fetch(`${linkid.issuer}${path}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(first.body)));
      expect(await head.text()).toBe('');

      const preflight = await fetch(`${linkid.issuer}${path}`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-methods')).toBe('GET');

      // Another host is refused on a kept document as on any other path.
      expect(await foreignHostStatus(linkid, path)).toBe(421);
    }
    const metrics = await get(`${linkid.issuer}/metrics`);
    const count = (route: string) =>
      Number(
        new RegExp(`linkid_http_request_duration_seconds_count\\{[^}]*route="${route}"[^}]*method="GET"[^}]*status="200"[^}]*\\} (\\d+)`).exec(
          metrics.body,
        )?.[1],
      );
    expect(count('discovery')).toBeGreaterThanOrEqual(3);
    expect(count('jwks')).toBeGreaterThanOrEqual(3);
    const lines = linkid.logs.flatMap((chunk) => chunk.split('\n')).filter((line) => line.includes('"msg":"request"') && line.includes('"path":"/jwks"'));
    expect(lines.length).toBeGreaterThanOrEqual(4);
  });

  it('publishes a new key at once after a rotation, and the same set again after it', async () => {
    const linkid = await suite.start();
    const kids = async () => (JSON.parse((await get(`${linkid.issuer}/jwks`)).body) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    const before = await kids();
    expect(await kids()).toEqual(before);
    // Rotated by the admin command, another process, as an operator would.
    const rotated = JSON.parse(await linkidAdmin(linkid, ['keys', 'rotate', '--alg', 'RS256'])) as { changed: string[] };
    expect(rotated.changed.length).toBeGreaterThan(0);
    const after = await kids();
    for (const kid of rotated.changed) expect(after).toContain(kid);
    expect(await kids()).toEqual(after);
  });
});
