// A local HTTP server that speaks the part of Postmark's API linkid uses (POST /email, POST
// /email/batch, GET /server), so the real `postmark` client can be pointed at it. It records every
// request and answers from a script of responses, then with success; addresses it is told to
// refuse are refused per message, as Postmark does inside a batch.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The parsed JSON body: an object, or for POST /email/batch an array of messages. */
  readonly body: unknown;
}

/** One message the server was asked to send, alone (POST /email) or inside a batch. */
export interface RecordedEmail {
  readonly path: '/email' | '/email/batch';
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
  /** The MessageID it was given, or null when it was refused (or its request failed). */
  readonly messageId: string | null;
  /** When its request arrived and when it was answered (Date.now()). */
  readonly receivedAt: number;
  readonly answeredAt: number;
  /** False when the sender had hung up before the answer (a killed linkid): it never learnt the MessageID. */
  readonly acknowledged: boolean;
}

export interface ScriptedResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Postmark's per-message refusal: what a single send answers with 422, and a batch in its entry. */
export interface Refusal {
  readonly ErrorCode: number;
  readonly Message: string;
}

export interface FakePostmark {
  readonly url: string;
  readonly token: string;
  readonly requests: RecordedRequest[];
  /** Responses for the next POST /email or /email/batch requests (a batch's whole answer), in order; after them every send succeeds. */
  script(...responses: ScriptedResponse[]): void;
  /** Refuses every message to this address, alone or in a batch, until the server closes. */
  refuse(address: string, refusal: Refusal): void;
  /** Every message asked for, single or batched, in the order they arrived. */
  emails(): RecordedEmail[];
  /** The POST /email/batch requests. */
  batches(): RecordedRequest[];
  /** The most send requests (single or batch) this server was answering at the same moment. */
  maxInFlight(): number;
  /** Messages whose request arrived, answered or not yet (a slow server is holding the rest). */
  received(): number;
  close(): Promise<void>;
}

export interface FakePostmarkOptions {
  /** How long each send request waits before it is answered, as a slow provider would. */
  readonly delayMs?: number;
}

export const serverError = (status = 500): ScriptedResponse => ({ status, body: { ErrorCode: 0, Message: 'Internal server error' } });
export const INACTIVE_RECIPIENT: Refusal = { ErrorCode: 406, Message: 'You tried to send to a recipient that has been marked as inactive.' };
export const INVALID_EMAIL: Refusal = { ErrorCode: 300, Message: "Invalid 'To' address." };
export const inactiveRecipient = (): ScriptedResponse => ({ status: 422, body: { ...INACTIVE_RECIPIENT } });

export async function startFakePostmark(token = 'fake-server-token-1234', options: FakePostmarkOptions = {}): Promise<FakePostmark> {
  const requests: RecordedRequest[] = [];
  const emails: RecordedEmail[] = [];
  const refusals = new Map<string, Refusal>();
  let inFlight = 0;
  let maxInFlight = 0;
  let received = 0;
  const scripted: ScriptedResponse[] = [];

  /** Records one message and decides its answer: refused per address, or accepted with an id. */
  const take = (
    path: RecordedEmail['path'],
    headers: http.IncomingHttpHeaders,
    message: Record<string, unknown>,
    failed: boolean,
    times: { receivedAt: number; acknowledged: boolean },
  ) => {
    const refusal = refusals.get(String(message.To).toLowerCase());
    const messageId = failed || refusal ? null : randomUUID();
    emails.push({ path, headers, body: message, messageId, ...times, answeredAt: Date.now() });
    if (refusal) return { To: message.To, ...refusal };
    return { To: message.To, SubmittedAt: new Date().toISOString(), MessageID: messageId, ErrorCode: 0, Message: 'OK' };
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
    });
    req.on('end', () => {
      const body: unknown = raw ? JSON.parse(raw) : {};
      const method = req.method ?? '';
      const path = req.url ?? '';
      requests.push({ method, path, headers: req.headers, body });
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.headers['x-postmark-server-token'] !== token) {
        reply(401, { ErrorCode: 10, Message: 'The Server Token you provided in the X-Postmark-Server-Token request header was invalid.' });
        return;
      }
      if (method === 'GET' && path === '/server') {
        reply(200, { ID: 1, Name: 'linkid tests' });
        return;
      }
      const single = method === 'POST' && path === '/email';
      const batch = method === 'POST' && path === '/email/batch' && Array.isArray(body);
      if (single || batch) {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const receivedAt = Date.now();
        const messages = (batch ? body : [body]) as Record<string, unknown>[];
        received += messages.length;
        let hungUp = false;
        res.once('close', () => (hungUp = !res.writableFinished));
        const answer = () => {
          inFlight -= 1;
          const next = scripted.shift();
          const times = { receivedAt, acknowledged: !hungUp && !res.destroyed };
          const results = messages.map((message) => take(single ? '/email' : '/email/batch', req.headers, message, next !== undefined, times));
          if (next) reply(next.status, next.body);
          else if (batch) reply(200, results);
          else if (results[0]?.ErrorCode) reply(422, { ErrorCode: results[0].ErrorCode, Message: results[0].Message });
          else reply(200, results[0]);
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
    refuse: (address, refusal) => refusals.set(address.toLowerCase(), refusal),
    emails: () => [...emails],
    batches: () => requests.filter((request) => request.method === 'POST' && request.path === '/email/batch'),
    maxInFlight: () => maxInFlight,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
