// Postmark's delivery webhooks (Delivery, Bounce, SpamComplaint), behind basic auth with the
// configured POSTMARK_WEBHOOK_AUTH. Hard bounces and complaints suppress the address, so the next
// sign-in tells the person plainly that mail to it cannot be delivered.
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Audit } from '../../observability/audit.js';
import type { Store } from '../../store/port.js';

export interface WebhookDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: Audit;
  /** "user:password"; undefined disables the endpoint. */
  readonly webhookAuth: string | undefined;
}

/** Bounce types after which mailing the address again is pointless or harmful. */
const SUPPRESSING_BOUNCES = new Set(['HardBounce', 'BadEmailAddress', 'ManuallyDeactivated', 'SpamNotification', 'Blocked', 'InboundError']);

function authorized(ctx: Context, expected: string): boolean {
  const header = ctx.get('authorization');
  if (!header.startsWith('Basic ')) return false;
  const given = Buffer.from(Buffer.from(header.slice(6), 'base64').toString('utf8'));
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export function webhookRoutes(router: Router, deps: WebhookDeps): void {
  router.post('/webhooks/postmark', async (ctx) => {
    if (!deps.webhookAuth) {
      ctx.status = 404;
      ctx.body = { error: 'not_found' };
      return;
    }
    if (!authorized(ctx, deps.webhookAuth)) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Basic realm="linkid webhooks"');
      ctx.body = { error: 'unauthorized' };
      return;
    }
    const event = ctx.request.body as Record<string, unknown> | undefined;
    const kind = typeof event?.RecordType === 'string' ? event.RecordType : undefined;
    const messageId = typeof event?.MessageID === 'string' ? event.MessageID : undefined;
    const recipient = [event?.Recipient, event?.Email].find((value): value is string => typeof value === 'string');
    if (!kind || !messageId) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'RecordType and MessageID are required' };
      return;
    }
    const now = deps.clock.now();
    if (kind === 'Delivery') {
      await deps.store.mailQueue.recordDelivery(messageId, 'delivered', null, now);
      deps.audit('mail.delivered', { providerMessageId: messageId });
    } else if (kind === 'Bounce' || kind === 'SpamComplaint') {
      const type = kind === 'SpamComplaint' ? 'SpamComplaint' : String(event?.Type ?? 'Bounce');
      const suppress = kind === 'SpamComplaint' || SUPPRESSING_BOUNCES.has(type);
      if (suppress && recipient) await deps.store.suppressions.suppress(recipient, type, now);
      await deps.store.mailQueue.recordDelivery(messageId, suppress ? 'suppressed' : 'failed', type, now);
      deps.audit('mail.bounced', { providerMessageId: messageId, type, suppressed: suppress });
    }
    // Other record types (Open, Click, SubscriptionChange) are acknowledged and ignored.
    ctx.status = 200;
    ctx.body = { ok: true };
  });
}
