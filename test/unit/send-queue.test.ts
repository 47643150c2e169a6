// The send queue on the real SQLite store, with a transport that answers when told: a quiet queue
// claims each message once (no empty claim after it), a backlog still fans out to every sender, and
// a message enqueued while every sender is busy goes out as soon as one is free, not at the next poll.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createMessageSeal } from '../../src/mail/sealed-message.js';
import { createSendQueue, type SendQueue } from '../../src/mail/send-queue.js';
import type { MailTransport } from '../../src/mail/mail-transport.js';
import type { MailMessage } from '../../src/kernel/ports.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

let dir: string;
let store: Store;
let claims: number[];
let queue: SendQueue;
let sent: string[];
let waiting: (() => void)[];
let hold: boolean;

const noop = () => undefined;
const logger = { info: noop, warn: noop, error: noop, debug: noop, child: () => logger } as never;

function transport(withBatch: boolean): MailTransport {
  const deliver = async (message: MailMessage) => {
    if (hold) await new Promise<void>((resolve) => waiting.push(resolve));
    sent.push(message.to);
    return { providerMessageId: `id-${message.to}` };
  };
  return {
    kind: 'postmark',
    deliver,
    ...(withBatch ? { deliverBatch: (messages: readonly MailMessage[]) => Promise.all(messages.map(deliver)) } : {}),
    check: async () => undefined,
  };
}

function start(options: { batch: boolean; concurrency: number }): void {
  const counted: Store = {
    ...store,
    mailQueue: {
      ...store.mailQueue,
      claimBatch: async (...args) => {
        const claimed = await store.mailQueue.claimBatch(...args);
        claims.push(claimed.length);
        return claimed;
      },
    },
  };
  queue = createSendQueue({
    store: counted,
    transport: transport(options.batch),
    seal: createMessageSeal(Buffer.alloc(32, 7)),
    clock: { now: () => Date.now() },
    logger,
    audit: noop,
    concurrency: options.concurrency,
    // Long enough that nothing in these tests is sent by the poll.
    pollMs: 60_000,
  });
  queue.start();
}

const enqueue = (to: string) => queue.enqueue({ to, subject: 'Sign in', text: 'link', html: '<p>link</p>' }, { giveUpAt: Date.now() + 600_000 });

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-send-queue-'));
  store = openSqliteStore(dir);
  claims = [];
  sent = [];
  waiting = [];
  hold = false;
});
afterEach(async () => {
  await queue.stop();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('claims a message of a quiet queue once, with no empty claim after it', async () => {
  start({ batch: true, concurrency: 16 });
  // start() looks once for what an earlier process left.
  await until(() => claims.length === 1);
  claims = [];
  for (const to of ['a@example.com', 'b@example.com', 'c@example.com']) {
    await enqueue(to);
    await until(() => sent.includes(to));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(claims).toEqual([1, 1, 1]);
});

it('fans a backlog out to several senders and sends every message once', async () => {
  start({ batch: false, concurrency: 4 });
  hold = true;
  const addresses = Array.from({ length: 12 }, (_, i) => `u${i}@example.com`);
  for (const to of addresses) await enqueue(to);
  await until(() => waiting.length === 4);
  hold = false;
  for (const resolve of waiting.splice(0)) resolve();
  await until(() => sent.length === addresses.length);
  await queue.drain();
  expect([...sent].sort()).toEqual([...addresses].sort());
});

it('sends what was enqueued while every sender was busy as soon as one is free', async () => {
  start({ batch: true, concurrency: 1 });
  hold = true;
  await enqueue('first@example.com');
  await until(() => waiting.length === 1);
  // The only sender is waiting for the provider: this enqueue cannot start another.
  await enqueue('second@example.com');
  hold = false;
  waiting.splice(0)[0]?.();
  await until(() => sent.includes('second@example.com'));
  expect(sent).toEqual(['first@example.com', 'second@example.com']);
});
