// The audit trail's writer (the port and its event names are src/kernel/audit.ts): every event
// goes to the log, and to each sink given at start (metrics count them; the store keeps them for
// replay). Callers pass identifiers (token id prefixes, client ids, account
// ids, the canonical address as `email`), never secrets: no raw token, code, cookie or client
// secret ever reaches a sink.
import type { Audit, AuditSink } from '../kernel/audit.js';
import { addressHash } from '../kernel/email-address.js';
import type { Logger } from '../kernel/ports.js';
import { currentRequest } from './request-context.js';

export function createAudit(logger: Logger, sinks: readonly AuditSink[] = [], now: () => number = Date.now): Audit {
  const child = logger.child({ channel: 'audit' });
  return (event, fields) => {
    // The log names an address only by its hash; the stored trail keeps it for its retention.
    // The request id comes from the request being served (the stored trail does the same), so the
    // id on a page finds these lines too.
    const { email, ...logged } = fields;
    const requestId = currentRequest()?.requestId;
    child.info({ event, ...(requestId ? { requestId } : {}), ...logged, ...(typeof email === 'string' ? { emailHash: addressHash(email) } : {}) }, event);
    const at = now();
    for (const sink of sinks) {
      try {
        sink(event, fields, at);
      } catch (error) {
        // A failing sink must not fail the request that produced the event.
        child.error({ err: error, event }, 'audit sink failed');
      }
    }
  };
}
