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
//   the call sites, which never pass one.
import type { AuditRecord, AuditStore } from '../store/port.js';
import type { AuditEvent, AuditFields, AuditSink } from '../kernel/audit.js';
import type { Logger } from '../kernel/ports.js';
import { currentRequest } from './request-context.js';
import type { VersionsInForce } from './versions-in-force.js';

const DAY_MS = 24 * 60 * 60 * 1000;

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
  let writing: Promise<void> | undefined;

  const writeQueued = async (): Promise<void> => {
    // After the response, not in a microtask: better-sqlite3 writes synchronously, and a
    // microtask would still run before Koa sends the response (see src/kernel/off-request.ts).
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (queued.length > 0) {
      const batch: AuditRecord[] = [];
      for (const record of queued.splice(0)) {
        try {
          batch.push(await inheritFromMessage(record, batch, options));
        } catch (error) {
          // A delivery report whose message could not be looked up is still stored, as it came.
          options.logger.warn({ err: error, event: record.event }, 'audit event stored without the request of its message');
          batch.push(record);
        }
      }
      try {
        await options.store.append(batch);
      } catch (error) {
        // One event the store refuses must not take the other requests' events of its turn with
        // it: they are written one by one. On MongoDB an ordered insertMany may have kept the
        // events before the failure, which are then written twice: a duplicate, never a loss.
        const lost: AuditRecord[] = [];
        for (const record of batch) await options.store.append([record]).catch(() => lost.push(record));
        if (lost.length > 0) {
          options.logger.error(
            { err: error, count: lost.length, events: [...new Set(lost.map((record) => record.event))] },
            'audit events could not be stored',
          );
        }
      }
    }
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
      while (writing) await writing;
    },
  };
}
