// The audit function hands every event to the log and to each sink, and a failing sink never
// fails the request that produced the event.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAudit } from '../../src/observability/audit.js';
import type { AuditEvent } from '../../src/kernel/audit.js';
import { createLogger } from '../../src/observability/logger.js';
import { runInRequestContext } from '../../src/observability/request-context.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { lines, logger };
}

describe('createAudit', () => {
  it('logs each event and hands it, with its time, to every sink in order', () => {
    const { lines, logger } = capture();
    const seen: [string, AuditEvent, Record<string, unknown>, number][] = [];
    const audit = createAudit(
      logger,
      [(event, fields, at) => seen.push(['first', event, fields, at]), (event, fields, at) => seen.push(['second', event, fields, at])],
      () => 42,
    );
    audit('login.requested', { interactionUid: 'i1', clientId: 'c1' });
    expect(seen).toEqual([
      ['first', 'login.requested', { interactionUid: 'i1', clientId: 'c1' }, 42],
      ['second', 'login.requested', { interactionUid: 'i1', clientId: 'c1' }, 42],
    ]);
    expect(lines.at(-1)).toMatchObject({ channel: 'audit', event: 'login.requested', clientId: 'c1' });
  });

  it('names the request being served in the log line, so the id on a page finds it', () => {
    const { lines, logger } = capture();
    const audit = createAudit(logger);
    runInRequestContext({ requestId: 'req-123', ip: '192.0.2.1', userAgent: 'test' }, () => audit('login.requested', { clientId: 'c1' }));
    expect(lines.at(-1)).toMatchObject({ event: 'login.requested', requestId: 'req-123' });
  });

  it('keeps going when a sink throws, and logs that it did', () => {
    const { lines, logger } = capture();
    const after: AuditEvent[] = [];
    const audit = createAudit(logger, [
      () => {
        throw new Error('sink down');
      },
      (event) => after.push(event),
    ]);
    expect(() => audit('mail.queued', { mailId: 'm1' })).not.toThrow();
    expect(after).toEqual(['mail.queued']);
    expect(lines.some((line) => line.msg === 'audit sink failed')).toBe(true);
  });
});
