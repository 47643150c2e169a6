// A stand-in for Postmark that answers like a real, remote provider: after a delay (150 ms by
// default). It speaks what linkid's `postmark` client uses: GET /server (the start-up check), POST
// /email and POST /email/batch, and records when each message arrived, for the bench to read from
// GET /received (a JSON array of [recipient, arrival time in ms since the epoch]).
import { randomUUID } from 'node:crypto';
import http from 'node:http';

const token = process.env.POSTMARK_TOKEN ?? '';
const delayMs = Number(process.env.DELAY_MS ?? 150);
const received: [string, number][] = [];

const accepted = (to: unknown) => ({ To: to, SubmittedAt: new Date().toISOString(), MessageID: randomUUID(), ErrorCode: 0, Message: 'OK' });

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
      if (req.headers['x-postmark-server-token'] !== token) return reply(401, { ErrorCode: 10, Message: 'bad server token' }, 0);
      if (req.method === 'GET' && req.url === '/server') return reply(200, { ID: 1, Name: 'bench' }, 0);
      const body: unknown = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      if (req.method === 'POST' && req.url === '/email') {
        const to = (body as { To?: unknown }).To;
        received.push([String(to), arrived]);
        return reply(200, accepted(to));
      }
      if (req.method === 'POST' && req.url === '/email/batch' && Array.isArray(body)) {
        for (const message of body as { To?: unknown }[]) received.push([String(message.To), arrived]);
        return reply(
          200,
          (body as { To?: unknown }[]).map((message) => accepted(message.To)),
        );
      }
      return reply(404, { ErrorCode: 404, Message: 'not found' }, 0);
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
