// The console's Mail: the durable send queue at a glance (how many messages are in each state,
// how long the oldest waiting one has waited), the latest messages that failed or bounced, and
// the suppressed addresses, each with "lift" (src/admin/suppressions.ts, as `linkid-admin
// suppression lift`). The messages' content is sealed and never shown; only who, when and why.
import type { Router } from '@koa/router';
import { z } from 'zod';
import type { LinkidState } from '../state.js';
import { notFound, problemOf, readConsoleForm, type ConsoleKit } from './admin-console-kit.js';

/** The latest failures and bounces shown. */
const RECENT_FAILURES = 20;

const liftForm = z.object({ email: z.string().min(1, { error: 'an address' }).max(320, { error: 'at most 320 characters' }) }).strict();

export function adminMailRoutes(router: Router<LinkidState>, kit: ConsoleKit): void {
  const mailPage = async (ctx: Parameters<Parameters<typeof router.get>[1]>[0]) => {
    const [summary, queued, suppressions] = await Promise.all([
      kit.store.mailQueue.summary(RECENT_FAILURES),
      kit.store.mailQueue.queued(),
      kit.admin.suppressions.list(),
    ]);
    const now = kit.clock.now();
    return {
      counts: summary.counts,
      oldestWaiting:
        queued.oldestCreatedAt === null
          ? undefined
          : { at: kit.when(ctx, queued.oldestCreatedAt), minutes: Math.max(0, Math.floor((now - queued.oldestCreatedAt) / 60_000)) },
      failures: summary.recentFailures.map((mail) => ({
        to: mail.to,
        tag: mail.tag,
        status: mail.status,
        error: mail.lastError ?? '',
        attempts: mail.attempts,
        at: kit.when(ctx, mail.updatedAt),
        request: mail.requestId ? { id: mail.requestId, href: `/admin/activity?request_id=${encodeURIComponent(mail.requestId)}` } : undefined,
      })),
      suppressions: suppressions.map((entry) => ({ email: entry.email, reason: entry.reason, at: kit.when(ctx, Date.parse(entry.suppressed_at)) })),
      liftAction: '/admin/mail/lift',
      lifted: ctx.query.lifted === '1',
    };
  };

  router.get('/admin/mail', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, '/admin/mail');
    if (signedIn) kit.render(ctx, 'admin/mail', 'mail', signedIn.visit, await mailPage(ctx));
  });

  router.post('/admin/mail/lift', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, '/admin/mail');
    if (!signedIn) return;
    const form = readConsoleForm(ctx, liftForm, { email: 'admin.mail.address' });
    if (!form.data) return kit.refuse(ctx, 'admin/mail', 'mail', signedIn.visit, form.problems, await mailPage(ctx));
    try {
      await kit.admin.suppressions.lift(form.data.email, signedIn.actor);
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'not_found') notFound(error);
      return kit.refuse(ctx, 'admin/mail', 'mail', signedIn.visit, [{ ...problemOf(error), field: undefined }], await mailPage(ctx));
    }
    ctx.status = 303;
    ctx.redirect('/admin/mail?lifted=1');
  });
}
