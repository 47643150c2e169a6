// What a mail provider's delivery report changes: a delivered message is marked delivered; a hard
// bounce or spam complaint suppresses the address (mailing it again is pointless or harmful) and
// marks the message suppressed; a soft bounce marks it failed. The webhook route only parses the
// provider's JSON into a DeliveryReport.
import type { Clock } from '../kernel/clock.js';
import type { Audit } from '../kernel/audit.js';
import type { Store } from '../store/port.js';

export interface DeliveryReport {
  readonly kind: 'Delivery' | 'Bounce' | 'SpamComplaint' | 'Other';
  readonly providerMessageId: string;
  readonly recipient: string | undefined;
  /** The bounce type (Postmark's names), for bounces. */
  readonly bounceType: string | undefined;
}

/** Bounce types after which mailing the address again is pointless or harmful. */
const SUPPRESSING_BOUNCES = new Set(['HardBounce', 'BadEmailAddress', 'ManuallyDeactivated', 'SpamNotification', 'Blocked', 'InboundError']);

export function createDeliveryReports(deps: { readonly store: Store; readonly clock: Clock; readonly audit: Audit }) {
  return async function recordDeliveryReport(report: DeliveryReport): Promise<void> {
    const now = deps.clock.now();
    const id = report.providerMessageId;
    if (report.kind === 'Delivery') {
      const recorded = await deps.store.mailQueue.recordDelivery(id, 'delivered', null, now);
      // The latency only when this report moved a sent message: a repeated report has none.
      const sinceSentMs = recorded?.sentAt == null ? undefined : now - recorded.sentAt;
      deps.audit('mail.delivered', { providerMessageId: id, ...(sinceSentMs === undefined ? {} : { sinceSentMs }) });
      return;
    }
    if (report.kind === 'Other') return;
    const type = report.kind === 'SpamComplaint' ? 'SpamComplaint' : (report.bounceType ?? 'Bounce');
    const suppress = report.kind === 'SpamComplaint' || SUPPRESSING_BOUNCES.has(type);
    if (suppress && report.recipient) await deps.store.suppressions.suppress(report.recipient, type, now);
    await deps.store.mailQueue.recordDelivery(id, suppress ? 'suppressed' : 'failed', type, now);
    deps.audit('mail.bounced', { providerMessageId: id, type, suppressed: suppress });
  };
}

export type RecordDeliveryReport = ReturnType<typeof createDeliveryReports>;
