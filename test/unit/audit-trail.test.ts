// The stored trail's sink: it takes the request an event happened in from the request context,
// also in work the request left running (setImmediate, as off-request.ts starts it), never lends
// one request's IP to another request's mail, lets a delivery report find the request that
// queued its message, and never fails the caller when the store does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAudit } from '../../src/observability/audit.js';
import { createAuditTrail, MAX_HELD_AUDIT_EVENTS } from '../../src/observability/audit-trail.js';
import { createLogger } from '../../src/observability/logger.js';
import { runInRequestContext } from '../../src/observability/request-context.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const T0 = 1_800_000_000_000;
const versions = () => ({ policy: 'p', templates: 't' });
let dir: string;
let store: Store;
let logs: string[];
let dropped: number;

function trailOn(target: Store['audit']) {
  logs = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  );
  dropped = 0;
  const trail = createAuditTrail({
    store: target,
    logger,
    retentionDays: 90,
    versions,
    now: () => T0,
    isUnavailable: (error) => store.failureKind(error) !== undefined,
    dropped: (count) => (dropped += count),
  });
  return { trail, audit: createAudit(logger, [trail.sink], () => T0) };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-trail-'));
  store = openSqliteStore(dir);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the stored audit trail', () => {
  it('names the request an event happened in, also from work the request left for setImmediate', async () => {
    const { trail, audit } = trailOn(store.audit);
    runInRequestContext({ requestId: 'req-1', ip: '192.0.2.1', userAgent: 'UA/1' }, () => {
      setImmediate(() => audit('login.link_sent', { interactionUid: 'i-1', email: 'a@example.com', token: 'must-not-be-stored' }));
    });
    await new Promise((resolve) => setImmediate(resolve));
    await trail.idle();
    const [event] = await store.audit.search({ interactionUid: 'i-1' }, T0);
    expect(event).toMatchObject({ requestId: 'req-1', ip: '192.0.2.1', userAgent: 'UA/1', email: 'a@example.com', versions: { policy: 'p', templates: 't' } });
    expect(event!.expiresAt).toBe(T0 + 90 * 24 * 60 * 60 * 1000);
    expect(JSON.stringify(event)).not.toContain('must-not-be-stored');
    // The log names the address by its hash only.
    expect(logs.join('')).not.toContain('a@example.com');
  });

  it("keeps another request's IP and user agent off a mail sent later, and lets its delivery report find the request that queued it", async () => {
    const { trail, audit } = trailOn(store.audit);
    runInRequestContext({ requestId: 'req-2', ip: '198.51.100.7', userAgent: 'Other' }, () => {
      audit('mail.sent', { requestId: 'req-1', interactionUid: 'i-1', email: 'a@example.com', providerMessageId: 'pm-1' });
    });
    runInRequestContext({ requestId: 'webhook-1', ip: '203.0.113.9', userAgent: 'Postmark' }, () => {
      audit('mail.bounced', { providerMessageId: 'pm-1', type: 'HardBounce' });
    });
    await trail.idle();
    const events = await store.audit.search({ requestId: 'req-1' }, T0);
    expect(events.map((event) => [event.event, event.interactionUid, event.email, event.ip, event.userAgent])).toEqual([
      ['mail.sent', 'i-1', 'a@example.com', null, null],
      ['mail.bounced', 'i-1', 'a@example.com', null, null],
    ]);
    expect(events[1]!.fields).toEqual({ type: 'HardBounce', webhookRequestId: 'webhook-1' });
  });

  it('logs a write that fails, and neither throws nor blocks the caller', async () => {
    const failing: Store['audit'] = { append: () => Promise.reject(new Error('disk full')), search: async () => [], forgetAddress: async () => 0 };
    const { trail, audit } = trailOn(failing);
    expect(() => audit('login.requested', { interactionUid: 'i-1' })).not.toThrow();
    await trail.idle();
    expect(logs.join('')).toContain('audit events could not be stored');
  });
});

describe('a failure in one event of a turn', () => {
  it("keeps the other requests' events when a delivery report cannot find its message", async () => {
    let searches = 0;
    const { trail, audit } = trailOn({
      ...store.audit,
      search: (query, now) => (searches++ === 0 ? Promise.reject(new Error('busy')) : store.audit.search(query, now)),
    });
    runInRequestContext({ requestId: 'req-a', ip: '192.0.2.1', userAgent: 'UA' }, () => audit('login.refused', { reason: 'token_used' }));
    runInRequestContext({ requestId: 'req-b', ip: '192.0.2.2', userAgent: 'UA' }, () => audit('mail.bounced', { providerMessageId: 'pm-x' }));
    runInRequestContext({ requestId: 'req-c', ip: '192.0.2.3', userAgent: 'UA' }, () => audit('login.completed', { accountId: 'sub-1' }));
    await trail.idle();
    const stored = await Promise.all(['req-a', 'req-b', 'req-c'].map((requestId) => store.audit.search({ requestId }, T0)));
    expect(stored.map((events) => events.map((event) => event.event))).toEqual([['login.refused'], ['mail.bounced'], ['login.completed']]);
  });

  it("writes the others one by one when the store refuses the turn's write for one of them, and logs the one lost", async () => {
    const poison = (records: readonly { event: string }[]) => records.some((record) => record.event === 'user.deleted');
    const { trail, audit } = trailOn({
      ...store.audit,
      append: (records) => (poison(records) ? Promise.reject(new Error('refused')) : store.audit.append(records)),
    });
    runInRequestContext({ requestId: 'req-d', ip: '192.0.2.4', userAgent: 'UA' }, () => {
      audit('login.requested', { interactionUid: 'i-d' });
      audit('user.deleted', { interactionUid: 'i-d' });
      audit('login.refused', { interactionUid: 'i-d', reason: 'token_used' });
    });
    await trail.idle();
    expect((await store.audit.search({ interactionUid: 'i-d' }, T0)).map((event) => event.event)).toEqual(['login.requested', 'login.refused']);
    expect(logs.join('')).toContain('audit events could not be stored');
    expect(logs.join('')).toContain('"count":1');
  });
});

describe('a store that takes no writes for a while (a full disk)', () => {
  const full = () => new Database.SqliteError('database or disk is full', 'SQLITE_FULL');

  it('holds the events in memory, in order, and stores them all once it takes writes again', async () => {
    let refusing = true;
    const { trail, audit } = trailOn({ ...store.audit, append: (records) => (refusing ? Promise.reject(full()) : store.audit.append(records)) });
    audit('login.requested', { interactionUid: 'i-f', n: 1 });
    await trail.idle();
    audit('login.refused', { interactionUid: 'i-f', reason: 'token_used' });
    await trail.idle();
    expect(logs.join('')).toContain('audit events held in memory until the store takes writes again');
    refusing = false;
    await trail.idle();
    expect((await store.audit.search({ interactionUid: 'i-f' }, T0)).map((event) => event.event).sort()).toEqual(['login.refused', 'login.requested']);
    expect(dropped).toBe(0);
    expect(logs.join('')).toContain('held audit events stored');
  });

  it(`drops the oldest past ${MAX_HELD_AUDIT_EVENTS} held, and counts and logs them`, async () => {
    const { trail, audit } = trailOn({ ...store.audit, append: () => Promise.reject(full()) });
    for (let n = 0; n < MAX_HELD_AUDIT_EVENTS + 5; n += 1) audit('login.requested', { n });
    await trail.idle();
    expect(dropped).toBe(5);
    expect(logs.join('')).toContain('audit events dropped: too many held');
  });
});

describe('a busy server', () => {
  it('writes every event of one turn in the next turn, in order, instead of one event per turn', async () => {
    const writes: string[][] = [];
    const { audit } = trailOn({ ...store.audit, append: async (records) => void writes.push(records.map((record) => String(record.fields.n))) });
    for (let n = 0; n < 500; n += 1) audit('login.requested', { n });
    // One turn for the responses of the requests that logged them, one more to be sure.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    // One store write for the whole turn (one SQLite commit), not one per event.
    expect(writes).toEqual([Array.from({ length: 500 }, (_, n) => String(n))]);
  });

  it('lets a delivery report find the message it reports on when both are written in the same turn', async () => {
    const { trail, audit } = trailOn(store.audit);
    runInRequestContext({ requestId: 'req-9', ip: '192.0.2.9', userAgent: 'UA/9' }, () => {
      audit('mail.sent', { requestId: 'req-9', interactionUid: 'i-9', email: 'c@example.com', providerMessageId: 'pm-9' });
      audit('mail.delivered', { providerMessageId: 'pm-9' });
    });
    await trail.idle();
    const events = await store.audit.search({ requestId: 'req-9' }, T0);
    expect(events.map((event) => [event.event, event.interactionUid, event.email])).toEqual([
      ['mail.sent', 'i-9', 'c@example.com'],
      ['mail.delivered', 'i-9', 'c@example.com'],
    ]);
  });
});
