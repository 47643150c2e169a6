// The audit sink that keeps every event in the store, for `linkid-admin audit search|replay|export`.
// Rules:
// - writes never slow or fail the request: events are appended after its response, in the order
//   they happened, and a failed write is logged; idle() waits for the rest;
// - every event queued during one turn of the event loop is written in the next, in one store
//   write: one promise link per event would let a busy server queue events faster than it writes
//   them (one per turn), and each waiting link would hold its request's async context (the whole
//   Koa context) in memory; one commit per event paid SQLite's commit and index pages each time;
// - each event names its request (id, IP, user agent) from the request context, unless its
//   fields name another request (a queued mail sent later): then the IP and user agent of the
//   request at hand are not that request's, and are left out;
// - a provider's delivery report names only its message: it inherits the request, sign-in,
//   client and address of the first event about that message, so a page's request id finds the
//   bounce too (the webhook's own request id stays in its fields);
// - only identifiers are stored: fields named like a secret are dropped as a second line behind
//   the call sites, which never pass one;
// - while the store cannot take writes (a full or read-only disk, the server gone), events are
//   held in memory, in order, and tried again every RETRY_MS and with the next events: nothing
//   is lost while it comes back. At most MAX_HELD are held; past that the oldest are dropped, and
//   every dropped event (so too one the store refuses for itself) is logged by name and counted
//   in linkid_audit_events_dropped_total. Events still held when the process ends are lost: the
//   log line that started holding them says how many there were.
import type { AuditRecord, AuditStore } from '../store/port.js';
import type { AuditEvent, AuditFields, AuditSink } from '../kernel/audit.js';
import type { Logger } from '../kernel/ports.js';
import { currentRequest } from './request-context.js';
import type { VersionsInForce } from './versions-in-force.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Events held in memory while the store takes no writes: about 2 KiB each, so some 20 MiB at most. */
export const MAX_HELD_AUDIT_EVENTS = 10_000;
const RETRY_MS = 2_000;

/** Fields stored in their own searchable columns rather than among the event's other fields. */
const COLUMNS = ['requestId', 'interactionUid', 'clientId', 'accountId', 'email', 'reason', 'providerMessageId', 'ip', 'userAgent'] as const;

const SECRET_NAMES = /^(token|code|secret|client_secret|password|cookie|authorization|nonce|bindingNonce|rawToken)$/i;

export interface AuditTrailOptions {
  readonly store: AuditStore;
  readonly logger: Logger;
  readonly retentionDays: number;
  readonly versions: () => VersionsInForce;
  /** For reads: expired events are invisible. */
  readonly now: () => number;
  /** Whether a store error means it cannot take writes now (hold the events) rather than refusing these ones. */
  readonly isUnavailable: (error: unknown) => boolean;
  /** Counts events given up on (linkid_audit_events_dropped_total). */
  readonly dropped: (count: number) => void;
}

export interface AuditTrail {
  readonly sink: AuditSink;
  /** Resolves once every event received so far is stored (or its failure logged). */
  idle(): Promise<void>;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

function toRecord(event: AuditEvent, fields: AuditFields, at: number, options: AuditTrailOptions): AuditRecord {
  const request = currentRequest();
  const ownRequest = request !== undefined && (text(fields.requestId) ?? request.requestId) === request.requestId;
  const rest = Object.fromEntries(
    Object.entries(fields).filter(([name, value]) => value !== undefined && !(COLUMNS as readonly string[]).includes(name) && !SECRET_NAMES.test(name)),
  );
  return {
    at,
    event,
    requestId: text(fields.requestId) ?? request?.requestId ?? null,
    interactionUid: text(fields.interactionUid),
    clientId: text(fields.clientId),
    accountId: text(fields.accountId),
    email: text(fields.email),
    ip: text(fields.ip) ?? (ownRequest ? request.ip : null),
    userAgent: text(fields.userAgent) ?? (ownRequest ? request.userAgent : null),
    reason: text(fields.reason),
    providerMessageId: text(fields.providerMessageId),
    versions: { ...options.versions() },
    fields: rest,
    expiresAt: at + options.retentionDays * DAY_MS,
  };
}

/**
 * A delivery report: the request and sign-in of the message it reports on, from the first event
 * about it, stored or among the events written with this one (`earlier`, in order).
 */
async function inheritFromMessage(record: AuditRecord, earlier: readonly AuditRecord[], options: AuditTrailOptions): Promise<AuditRecord> {
  if (record.providerMessageId === null || record.interactionUid !== null) return record;
  const [stored] = await options.store.search({ providerMessageId: record.providerMessageId, limit: 1 }, options.now());
  const first = stored ?? earlier.find((event) => event.providerMessageId === record.providerMessageId);
  if (!first) return record;
  return {
    ...record,
    requestId: first.requestId,
    interactionUid: first.interactionUid,
    clientId: record.clientId ?? first.clientId,
    accountId: record.accountId ?? first.accountId,
    email: record.email ?? first.email,
    ip: null,
    userAgent: null,
    fields: { ...record.fields, ...(record.requestId === null ? {} : { webhookRequestId: record.requestId }) },
  };
}

export function createAuditTrail(options: AuditTrailOptions): AuditTrail {
  const queued: AuditRecord[] = [];
  /** Built records the store could not take, oldest first; written before anything newer. */
  let held: AuditRecord[] = [];
  let writing: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;

  const drop = (records: readonly AuditRecord[], error: unknown, message: string) => {
    options.dropped(records.length);
    options.logger.error({ err: error, count: records.length, events: [...new Set(records.map((record) => record.event))] }, message);
  };

  const hold = (batch: AuditRecord[], error: unknown) => {
    if (held.length === 0 && batch.length > 0) {
      options.logger.warn({ err: error, count: batch.length }, 'audit events held in memory until the store takes writes again');
    }
    held = batch;
    if (held.length > MAX_HELD_AUDIT_EVENTS) drop(held.splice(0, held.length - MAX_HELD_AUDIT_EVENTS), error, 'audit events dropped: too many held');
    retry ??= setTimeout(() => {
      retry = undefined;
      startWriting();
    }, RETRY_MS).unref();
  };

  const store = async (batch: AuditRecord[], wasHeld: number): Promise<void> => {
    try {
      await options.store.append(batch);
      if (wasHeld > 0) options.logger.info({ count: wasHeld }, 'held audit events stored');
    } catch (error) {
      if (options.isUnavailable(error)) return hold(batch, error);
      // One event the store refuses must not take the other requests' events of its turn with
      // it: they are written one by one. On MongoDB an ordered insertMany may have kept the
      // events before the failure, which are then written twice: a duplicate, never a loss.
      const lost: AuditRecord[] = [];
      for (const record of batch) await options.store.append([record]).catch(() => lost.push(record));
      if (lost.length > 0) drop(lost, error, 'audit events could not be stored');
    }
  };

  const writeQueued = async (): Promise<void> => {
    // After the response, not in a microtask: better-sqlite3 writes synchronously, and a
    // microtask would still run before Koa sends the response (see src/kernel/off-request.ts).
    await new Promise<void>((resolve) => setImmediate(resolve));
    do {
      const wasHeld = held.length;
      const batch: AuditRecord[] = held;
      held = [];
      for (const record of queued.splice(0)) {
        try {
          batch.push(await inheritFromMessage(record, batch, options));
        } catch (error) {
          // A delivery report whose message could not be looked up is still stored, as it came.
          options.logger.warn({ err: error, event: record.event }, 'audit event stored without the request of its message');
          batch.push(record);
        }
      }
      if (batch.length > 0) await store(batch, wasHeld);
    } while (queued.length > 0);
  };
  const startWriting = () => {
    if (writing) return;
    writing = writeQueued().finally(() => {
      writing = undefined;
      if (queued.length > 0) startWriting();
    });
  };

  return {
    sink(event, fields, at) {
      queued.push(toRecord(event, fields, at, options));
      startWriting();
    },
    async idle() {
      // Held events get one more try now rather than at their timer, so a settle stores them if it can.
      if (held.length > 0) startWriting();
      while (writing) await writing;
    },
  };
}
