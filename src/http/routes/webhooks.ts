// Postmark's delivery webhooks (Delivery, Bounce, SpamComplaint), behind basic auth with the
// configured POSTMARK_WEBHOOK_AUTH. The route checks the credentials and parses Postmark's JSON;
// what a report changes (delivered, failed, suppressed) is decided in src/mail/delivery-reports.ts.
import { timingSafeEqual } from 'node:crypto';
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { DeliveryReport, RecordDeliveryReport } from '../../mail/delivery-reports.js';
import type { LinkidState } from '../state.js';

export interface WebhookDeps {
  readonly recordDeliveryReport: RecordDeliveryReport;
  /** "user:password"; undefined disables the endpoint. */
  readonly webhookAuth: string | undefined;
}

const optionalText = z.string().max(1024).optional().catch(undefined);
const postmarkEvent = z.object({
  RecordType: z.string().min(1).max(64),
  MessageID: z.string().min(1).max(256),
  Recipient: optionalText,
  Email: optionalText,
  Type: optionalText,
});

const KINDS = new Set<DeliveryReport['kind']>(['Delivery', 'Bounce', 'SpamComplaint']);

function authorized(ctx: Context, expected: string): boolean {
  const header = ctx.get('authorization');
  if (!header.startsWith('Basic ')) return false;
  const given = Buffer.from(Buffer.from(header.slice(6), 'base64').toString('utf8'));
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export function webhookRoutes(router: Router<LinkidState>, deps: WebhookDeps): void {
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
    const parsed = postmarkEvent.safeParse(ctx.request.body ?? {});
    if (!parsed.success) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'RecordType and MessageID are required' };
      return;
    }
    const event = parsed.data;
    const kind = KINDS.has(event.RecordType as DeliveryReport['kind']) ? (event.RecordType as DeliveryReport['kind']) : 'Other';
    // Other record types (Open, Click, SubscriptionChange) are acknowledged and ignored.
    await deps.recordDeliveryReport({ kind, providerMessageId: event.MessageID, recipient: event.Recipient ?? event.Email, bounceType: event.Type });
    ctx.status = 200;
    ctx.body = { ok: true };
  });
}
