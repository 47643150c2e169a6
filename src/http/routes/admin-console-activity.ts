// The console's Activity: the audit trail searched by the identifiers an admin holds (a request id
// from a reason page, an address, an app, a reason code, an account), as `linkid-admin audit
// search`; and one sign-in's whole story on a page of its own, step by step with the time between
// steps, as `linkid-admin audit replay` (by the interaction, or by any request that took part).
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { AuditEventView } from '../../admin/audit.js';
import { AdminError } from '../../admin/admin-error.js';
import type { LinkidState } from '../state.js';
import { notFoundPage, problemOf, type ConsoleKit, type FieldProblem } from './admin-console-kit.js';

/** The most events one search shows: the newest. */
const SHOWN = 200;

const id = (label: string) =>
  z
    .string()
    .max(200, { error: 'at most 200 characters' })
    .regex(/^[\x21-\x7e]*$/, { error: `${label} has no spaces or other characters` })
    .default('');

const searchQuery = z.object({
  request_id: id('a request id'),
  email: z.string().max(320, { error: 'at most 320 characters' }).default(''),
  client_id: id('an app id'),
  reason: z
    .string()
    .regex(/^[a-z_]{0,60}$/, { error: 'a reason code such as token_expired' })
    .default(''),
  account: id('an account id'),
});

const LABELS: Record<string, string> = {
  request_id: 'admin.activity.requestId',
  email: 'admin.activity.email',
  client_id: 'admin.activity.clientId',
  reason: 'admin.activity.reason',
  account: 'admin.activity.account',
};

const storyQuery = z.object({ interaction: id('an interaction id'), request_id: id('a request id') });

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const storyLink = (by: 'interaction' | 'request_id', value: string) => `/admin/activity/sign-in?${by}=${encodeURIComponent(value)}`;

/** Events as the console's tables show them: the columns an admin searches by, linked where there is a page for them, and the rest as JSON. */
export function eventRows(ctx: Context, kit: Pick<ConsoleKit, 'when'>, events: readonly AuditEventView[]) {
  return events.map((event) => {
    const { time, event: name, requestId, interactionUid, clientId, accountId, email, reason, after, fields, versions, ...rest } = event;
    // The versions in force are the same for nearly every event: About shows them once.
    void versions;
    const details = { ...(typeof fields === 'object' && fields !== null ? fields : {}), ...rest };
    return {
      time: kit.when(ctx, Date.parse(String(time))),
      after: text(after),
      event: text(name),
      reason: text(reason),
      email: text(email),
      clientId: text(clientId),
      account: text(accountId) && { id: text(accountId), href: `/admin/users/${encodeURIComponent(String(accountId))}` },
      request: text(requestId) && { id: text(requestId), href: storyLink('request_id', String(requestId)) },
      interaction: text(interactionUid) && { id: text(interactionUid), href: storyLink('interaction', String(interactionUid)) },
      details: Object.keys(details).length > 0 ? JSON.stringify(details) : undefined,
    };
  });
}

export function adminActivityRoutes(router: Router<LinkidState>, kit: ConsoleKit): void {
  router.get('/admin/activity', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, '/admin/activity');
    if (!signedIn) return;
    const parsed = searchQuery.safeParse(ctx.query);
    const typed = Object.fromEntries(Object.keys(LABELS).map((name) => [name, text(ctx.query[name]) ?? '']));
    const data = { typed, searched: false, events: [] as unknown[], more: false };
    if (!parsed.success) {
      const problems: FieldProblem[] = parsed.error.issues.map((issue) => {
        const field = String(issue.path[0]);
        return { field, label: LABELS[field], key: 'admin.problem.invalid', detail: issue.message };
      });
      return kit.refuse(ctx, 'admin/activity', 'activity', signedIn.visit, problems, data);
    }
    const query = parsed.data;
    const given = (value: string) => (value.trim() === '' ? undefined : value.trim());
    const filters = {
      requestId: given(query.request_id),
      email: given(query.email),
      clientId: given(query.client_id),
      reason: given(query.reason),
      accountId: given(query.account),
    };
    if (Object.values(filters).every((value) => value === undefined)) return kit.render(ctx, 'admin/activity', 'activity', signedIn.visit, data);
    let events: AuditEventView[];
    try {
      events = await kit.admin.audit.search(filters);
    } catch (error) {
      return kit.refuse(ctx, 'admin/activity', 'activity', signedIn.visit, [{ ...problemOf(error), field: 'email', label: LABELS.email }], data);
    }
    kit.render(ctx, 'admin/activity', 'activity', signedIn.visit, {
      ...data,
      searched: true,
      more: events.length > SHOWN,
      events: eventRows(ctx, kit, events.slice(-SHOWN).reverse()),
    });
  });

  router.get('/admin/activity/sign-in', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, '/admin/activity');
    if (!signedIn) return;
    const parsed = storyQuery.safeParse(ctx.query);
    if (!parsed.success) throw notFoundPage();
    const { interaction, request_id: requestId } = parsed.data;
    let steps: AuditEventView[];
    try {
      steps = await kit.admin.audit.replay(interaction ? { interactionUid: interaction } : { requestId: requestId || undefined });
    } catch (error) {
      if (error instanceof AdminError && error.code === 'not_found') throw notFoundPage();
      return kit.refuse(ctx, 'admin/activity', 'activity', signedIn.visit, [problemOf(error)], {
        typed: { request_id: requestId },
        searched: false,
        events: [],
        more: false,
      });
    }
    const first = steps[0];
    kit.render(ctx, 'admin/sign-in-story', 'activity', signedIn.visit, {
      steps: eventRows(ctx, kit, steps),
      email: text(steps.find((step) => typeof step.email === 'string')?.email),
      clientId: text(steps.find((step) => typeof step.clientId === 'string')?.clientId),
      startedAt: first ? kit.when(ctx, Date.parse(String(first.time))) : undefined,
    });
  });
}
