// The postmark client's fetch (src/mail/keep-alive-fetch.ts) against a real loopback server: one
// connection for a run of sends, the body and status as the client reads them, the client's
// timeout, and one fresh attempt when a kept-alive connection was reset under a request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeepAliveFetch } from '../../src/mail/keep-alive-fetch.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function serve(handler: http.RequestListener): Promise<{ url: string; sockets: Set<unknown> }> {
  const sockets = new Set<unknown>();
  const server = http.createServer(handler);
  server.on('connection', (socket) => sockets.add(socket));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets };
}

describe('keep-alive fetch', () => {
  it('sends method, headers and body, reads status and text, and keeps one connection', async () => {
    const seen: string[] = [];
    const { url, sockets } = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${String(req.headers['x-postmark-server-token'])} ${body}`);
        res.writeHead(req.url === '/bad' ? 422 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ErrorCode: req.url === '/bad' ? 300 : 0, n: seen.length }));
      });
    });
    const fetch = createKeepAliveFetch({ maxSockets: 4 });
    for (let i = 1; i <= 5; i += 1) {
      const answer = await fetch(`${url}/email`, { method: 'POST', headers: { 'X-Postmark-Server-Token': 't' }, body: `{"i":${i}}` });
      expect(answer.status).toBe(200);
      expect(JSON.parse(await answer.text())).toEqual({ ErrorCode: 0, n: i });
    }
    const bad = await fetch(`${url}/bad`, { method: 'GET' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('"ErrorCode":300');
    expect(seen[0]).toBe('POST /email t {"i":1}');
    expect(seen[5]).toBe('GET /bad undefined ');
    expect(sockets.size).toBe(1);
  });

  it("gives up when the client's signal fires", async () => {
    const { url } = await serve(() => undefined);
    const fetch = createKeepAliveFetch({ maxSockets: 1 });
    await expect(fetch(`${url}/email`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(50) })).rejects.toThrow(/abort/i);
  });

  it('sends once more on a fresh connection when a kept-alive one is reset, and only then', async () => {
    let requests = 0;
    const { url, sockets } = await serve((req, res) => {
      requests += 1;
      // The second request arrives on the kept-alive connection: reset it, as a server that timed it out.
      if (requests === 2) return req.socket.destroy();
      res.end('ok');
    });
    const fetch = createKeepAliveFetch({ maxSockets: 1 });
    expect((await fetch(`${url}/email`, { method: 'POST', body: '{}' })).status).toBe(200);
    const again = await fetch(`${url}/email`, { method: 'POST', body: '{}' });
    expect(await again.text()).toBe('ok');
    expect(requests).toBe(3);
    expect(sockets.size).toBe(2);

    // A reset on a fresh connection is not retried: it goes back to the caller (the queue retries).
    const { url: resetting } = await serve((req) => req.socket.destroy());
    await expect(createKeepAliveFetch({ maxSockets: 1 })(`${resetting}/email`, { method: 'POST', body: '{}' })).rejects.toThrow(/socket hang up|ECONNRESET/);
  });
});
