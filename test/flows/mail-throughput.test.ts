// Mail at the provider's pace: a provider that takes half a second per request must not cap an
// instance at two sign-ins per second. Up to MAIL_CONCURRENCY requests are in flight per process,
// each carrying one message or, when several are ready, a batch of up to MAIL_BATCH_SIZE, all
// claimed from the durable queue, so two instances sharing one store never send one twice. The fake
// Postmark answers after 500 ms and counts how many requests it was answering at once (counted,
// never timed). The wait must outlast MAIL_CONCURRENCY claims made one after another: each is a
// store round trip, instant on SQLite but milliseconds on a networked store, more on a busy machine
// (150 ms saw only 13 of 16 in flight against the MongoDB emulator under load).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakePostmark, type FakePostmark } from '../support/fake-postmark.js';
import { startLinkid, type RunningLinkid, type StartOptions } from '../support/linkid.js';

let postmark: FakePostmark;
const running: RunningLinkid[] = [];

beforeEach(async () => {
  postmark = await startFakePostmark(undefined, { delayMs: 500 });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((linkid) => linkid.close()));
  await postmark.close();
});

async function start(env: Record<string, string>, options: StartOptions = {}) {
  const linkid = await startLinkid({
    ...options,
    startWorker: false,
    env: { POSTMARK_SERVER_TOKEN: postmark.token, POSTMARK_API_URL: postmark.url, ...env },
  });
  running.push(linkid);
  return linkid;
}

const message = (n: number) => ({ to: `person${n}@example.com`, subject: `Sign in ${n}`, text: 'link', html: '<p>link</p>', tag: 'sign-in' });

async function enqueue(linkid: RunningLinkid, count: number) {
  const giveUpAt = linkid.clock.now() + 600_000;
  for (let n = 0; n < count; n += 1) await linkid.services.sendQueue.enqueue(message(n), { giveUpAt });
}

describe('sending at the provider pace', () => {
  it('keeps MAIL_CONCURRENCY requests in flight to a slow provider, and never more', async () => {
    const linkid = await start({ MAIL_CONCURRENCY: '4', MAIL_BATCH_SIZE: '1' });
    await enqueue(linkid, 12);
    await linkid.services.sendQueue.drain();
    expect(postmark.emails()).toHaveLength(12);
    expect(postmark.batches()).toHaveLength(0);
    expect(postmark.maxInFlight()).toBe(4);
  });

  it('sends 16 at once by default', async () => {
    const linkid = await start({ MAIL_BATCH_SIZE: '1' });
    await enqueue(linkid, 40);
    await linkid.services.sendQueue.drain();
    expect(postmark.emails()).toHaveLength(40);
    expect(postmark.maxInFlight()).toBe(16);
  });

  it('sends a backlog in batches of MAIL_BATCH_SIZE, MAIL_CONCURRENCY requests at once', async () => {
    const linkid = await start({ MAIL_CONCURRENCY: '3', MAIL_BATCH_SIZE: '5' });
    await enqueue(linkid, 40);
    await linkid.services.sendQueue.drain();
    // The exact shape is not promised: on a networked store the three claim loops interleave, so a
    // claim may find fewer than five ready ([5,5,5,5,5,5,5,4] and one sent alone, say). What is:
    // no request carries more than five, most of the backlog goes in batches, each message once.
    const sizes = postmark.batches().map((request) => (request.body as unknown[]).length);
    expect(Math.max(...sizes)).toBe(5);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBeGreaterThan(20);
    // Several at once, never more than MAIL_CONCURRENCY (a slow claim may end after a request did).
    expect(postmark.maxInFlight()).toBeGreaterThan(1);
    expect(postmark.maxInFlight()).toBeLessThanOrEqual(3);
    const recipients = postmark.emails().map((email) => email.body.To);
    expect(new Set(recipients)).toEqual(new Set(Array.from({ length: 40 }, (_, n) => message(n).to)));
    expect(recipients).toHaveLength(40);
  });

  it('takes up to 50 ready messages in one request by default', async () => {
    const linkid = await start({});
    await enqueue(linkid, 120);
    await linkid.services.sendQueue.drain();
    // [50, 50, 20] when a claim is instant (SQLite). A claim of 50 on a networked store is 50 round
    // trips, which can outlast the provider's wait: the first request is then answered before the
    // third claim ends, and a sender back for more can share the rest with another.
    const sizes = postmark.batches().map((request) => (request.body as unknown[]).length);
    expect(Math.max(...sizes)).toBe(50);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBeGreaterThan(100);
    const recipients = postmark.emails().map((email) => email.body.To);
    expect(new Set(recipients).size).toBe(120);
    expect(recipients).toHaveLength(120);
    expect(await linkid.store.mailQueue.queued()).toMatchObject({ count: 0 });
  });

  it('two instances on one store send each message exactly once', async () => {
    // Two requests of four at a time: the first instance cannot hold the whole queue, so both send.
    const env = { MAIL_CONCURRENCY: '2', MAIL_BATCH_SIZE: '4' };
    const a = await start(env);
    const b = await start(env, { dataDir: a.dataDir, keepData: true });
    await enqueue(a, 30);
    await Promise.all([a.services.sendQueue.drain(), b.services.sendQueue.drain()]);
    const recipients = postmark.emails().map((request) => request.body.To);
    expect(recipients).toHaveLength(30);
    expect(new Set(recipients).size).toBe(30);
    expect(postmark.batches().length).toBeLessThan(30);
    const sentBy = (linkid: RunningLinkid) => linkid.logs.join('').split('"event":"mail.sent"').length - 1;
    expect(sentBy(a)).toBeGreaterThan(0);
    expect(sentBy(b)).toBeGreaterThan(0);
    expect(sentBy(a) + sentBy(b)).toBe(30);
    const queued = await a.store.mailQueue.queued();
    expect(queued).toMatchObject({ count: 0 });
  });
});
