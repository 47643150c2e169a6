// A stand-in for Postmark that answers like a real, remote provider: after a delay (150 ms by
// default). It speaks what linkid's `postmark` client uses: GET /server (the start-up check), POST
// /email and POST /email/batch, and records when each message arrived, for the bench to read from
// GET /received (a JSON array of [recipient, arrival time in ms since the epoch]).
//
// For the soak (bench/soak.ts) it can also misbehave as a real provider sometimes does, and hand
// out the sign-in links it was sent:
// - FAIL_RATE (0 by default): the share of send requests answered 500, at random;
// - INACTIVE_PREFIX: recipients whose address starts with it are answered ErrorCode 406 (inactive
//   recipient: 422 for a single send, per message in a batch) and are not recorded;
// - GET /links?after=N: the [recipient, sign-in link] pairs of accepted messages from the Nth on.
import { randomUUID } from 'node:crypto';
import http from 'node:http';

const token = process.env.POSTMARK_TOKEN ?? '';
const delayMs = Number(process.env.DELAY_MS ?? 150);
const failRate = Number(process.env.FAIL_RATE ?? 0);
const inactivePrefix = process.env.INACTIVE_PREFIX ?? '';
const received: [string, number][] = [];
const links: [string, string][] = [];
const LINK = /(https?:\/\/\S+\/login\/link\?token=[A-Za-z0-9_-]{43})/;

const accepted = (to: unknown) => ({ To: to, SubmittedAt: new Date().toISOString(), MessageID: randomUUID(), ErrorCode: 0, Message: 'OK' });
const inactive = (to: unknown) => ({
  To: to,
  ErrorCode: 406,
  Message: `You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: ${String(to)}.`,
});
const isInactive = (to: unknown) => inactivePrefix !== '' && String(to).startsWith(inactivePrefix);

interface Sent {
  readonly To?: unknown;
  readonly TextBody?: unknown;
}

function record(message: Sent, arrived: number): void {
  received.push([String(message.To), arrived]);
  const link = typeof message.TextBody === 'string' ? LINK.exec(message.TextBody)?.[1] : undefined;
  if (link) links.push([String(message.To), link]);
}

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const arrived = Date.now();
      const reply = (status: number, payload: unknown, delay = delayMs) =>
        setTimeout(() => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(payload));
        }, delay);
      if (req.method === 'GET' && req.url === '/received') return reply(200, received, 0);
      if (req.method === 'GET' && req.url?.startsWith('/links')) {
        const after = Number(new URL(req.url, 'http://stand-in').searchParams.get('after') ?? 0);
        return reply(200, links.slice(after), 0);
      }
      if (req.headers['x-postmark-server-token'] !== token) return reply(401, { ErrorCode: 10, Message: 'bad server token' }, 0);
      if (req.method === 'GET' && req.url === '/server') return reply(200, { ID: 1, Name: 'bench' }, 0);
      const body: unknown = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      const sending = req.method === 'POST' && (req.url === '/email' || req.url === '/email/batch');
      if (sending && failRate > 0 && Math.random() < failRate) return reply(500, { ErrorCode: 500, Message: 'Internal server error' });
      if (req.method === 'POST' && req.url === '/email') {
        const message = body as Sent;
        if (isInactive(message.To)) return reply(422, inactive(message.To));
        record(message, arrived);
        return reply(200, accepted(message.To));
      }
      if (req.method === 'POST' && req.url === '/email/batch' && Array.isArray(body)) {
        return reply(
          200,
          (body as Sent[]).map((message) => {
            if (isInactive(message.To)) return inactive(message.To);
            record(message, arrived);
            return accepted(message.To);
          }),
        );
      }
      return reply(404, { ErrorCode: 404, Message: 'not found' }, 0);
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
