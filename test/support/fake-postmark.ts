// A local HTTP server that speaks the part of Postmark's API linkid uses (POST /email, GET
// /server), so the real `postmark` client can be pointed at it. It records every request and
// answers from a script of responses, then with success.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

export interface ScriptedResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface FakePostmark {
  readonly url: string;
  readonly token: string;
  readonly requests: RecordedRequest[];
  /** Responses for the next POST /email calls, in order; after them every send succeeds. */
  script(...responses: ScriptedResponse[]): void;
  emails(): RecordedRequest[];
  /** The most POST /email requests this server was answering at the same moment. */
  maxInFlight(): number;
  close(): Promise<void>;
}

export interface FakePostmarkOptions {
  /** How long each POST /email waits before it is answered, as a slow provider would. */
  readonly delayMs?: number;
}

export const serverError = (status = 500): ScriptedResponse => ({ status, body: { ErrorCode: 0, Message: 'Internal server error' } });
export const inactiveRecipient = (): ScriptedResponse => ({
  status: 422,
  body: { ErrorCode: 406, Message: 'You tried to send to a recipient that has been marked as inactive.' },
});

export async function startFakePostmark(token = 'fake-server-token-1234', options: FakePostmarkOptions = {}): Promise<FakePostmark> {
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const scripted: ScriptedResponse[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
    });
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      requests.push({ method: req.method!, path: req.url!, headers: req.headers, body });
      const reply = (status: number, payload: Record<string, unknown>) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers['x-postmark-server-token'] !== token) {
        reply(401, { ErrorCode: 10, Message: 'The Server Token you provided in the X-Postmark-Server-Token request header was invalid.' });
        return;
      }
      if (req.method === 'GET' && req.url === '/server') {
        reply(200, { ID: 1, Name: 'linkid tests' });
        return;
      }
      if (req.method === 'POST' && req.url === '/email') {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const answer = () => {
          inFlight -= 1;
          const next = scripted.shift();
          if (next) reply(next.status, next.body);
          else reply(200, { To: body.To, SubmittedAt: new Date().toISOString(), MessageID: randomUUID(), ErrorCode: 0, Message: 'OK' });
        };
        if (options.delayMs) setTimeout(answer, options.delayMs);
        else answer();
        return;
      }
      reply(404, { ErrorCode: 404, Message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    script: (...responses) => scripted.push(...responses),
    emails: () => requests.filter((request) => request.method === 'POST' && request.path === '/email'),
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
