// Sends one real sign-in email COUNT times, one after another, through linkid's own Postmark
// transport (dist/mail/postmark.js: the `postmark` client over kept-alive connections) to the
// stand-in at POSTMARK_API_URL, and prints the CPU this process spent per send as JSON. Run by
// the postmark-send scenario on the servers' core, the stand-in on the load generator's.
import fs from 'node:fs';
import path from 'node:path';

interface Message {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const { createPostmarkTransport } = (await import(path.join(import.meta.dirname, '../../dist/mail/postmark.js'))) as {
  createPostmarkTransport: (options: { serverToken: string; apiUrl: string; from: string; messageStream: string }) => {
    deliver(message: Message & { tag: string; requestId: string }): Promise<unknown>;
  };
};
const message = JSON.parse(fs.readFileSync(process.env.MESSAGE_FILE ?? '', 'utf8')) as Message;
const count = Number(process.env.COUNT ?? 1000);
const transport = createPostmarkTransport({
  serverToken: process.env.POSTMARK_TOKEN ?? '',
  apiUrl: process.env.POSTMARK_API_URL ?? '',
  from: 'linkid <id@example.com>',
  messageStream: 'outbound',
});
const send = (n: number) => transport.deliver({ ...message, to: `send-${n}@example.com`, tag: 'sign-in', requestId: `bench-${n}` });
for (let n = 0; n < Math.min(200, count); n += 1) await send(n);
const cpu = process.cpuUsage();
const started = performance.now();
for (let n = 0; n < count; n += 1) await send(n);
const used = process.cpuUsage(cpu);
process.stdout.write(
  `${JSON.stringify({ count, cpuUsPerSend: (used.user + used.system) / count, wallUsPerSend: ((performance.now() - started) * 1000) / count, bytes: JSON.stringify(message).length })}\n`,
);
