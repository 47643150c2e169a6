// An app's back-channel logout endpoint, as a real HTTP server on loopback: it keeps every
// logout_token posted to it, and can fail its first answers to show linkid's retries. Suites that
// use it call useLogoutReceivers() once, which closes the servers after each test.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { afterEach } from 'vitest';

export interface Receiver {
  readonly uri: string;
  /** Every logout_token posted, in order, with the status it was answered with. */
  readonly received: { token: string; status: number }[];
}

/** Registers the clean-up; returns the factory: a receiver that answers `failFirst` posts with 500, then 200. */
export function useLogoutReceivers(): (failFirst?: number) => Promise<Receiver> {
  const servers: http.Server[] = [];
  afterEach(() => Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve)))));
  return async (failFirst = 0) => {
    const received: { token: string; status: number }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const status = received.length < failFirst ? 500 : 200;
        received.push({ token: new URLSearchParams(body).get('logout_token') ?? '', status });
        res.writeHead(status, { 'cache-control': 'no-store' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    return { uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`, received };
  };
}

/** Validates a logout token as an app would: signature against linkid's JWKS, issuer, audience, type, age. */
export async function verifyLogoutToken(issuer: string, token: string, audience: string): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const { payload } = await jwtVerify(token, jwks, { issuer, audience, typ: 'logout+jwt', maxTokenAge: '2 minutes' });
  return payload;
}
