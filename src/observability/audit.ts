// The audit trail: one structured log line per security-relevant event, under a stable event
// name. Callers pass identifiers (token id prefixes, client ids), never secrets.
import type { Logger } from './logger.js';

export type AuditEvent =
  | 'login.link_sent'
  | 'login.confirmed'
  | 'login.refused'
  | 'login.completed'
  | 'login.cancelled'
  | 'account.created'
  | 'consent.granted'
  | 'consent.denied'
  | 'mail.sent'
  | 'mail.failed'
  | 'mail.suppressed'
  | 'mail.delivered'
  | 'mail.bounced'
  | 'suppression.lifted';

export type Audit = (event: AuditEvent, fields: Record<string, unknown>) => void;

export function createAudit(logger: Logger): Audit {
  const child = logger.child({ channel: 'audit' });
  return (event, fields) => child.info({ event, ...fields }, event);
}
