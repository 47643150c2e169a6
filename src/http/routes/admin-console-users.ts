// The console's Users: find accounts by a part of their address (as `linkid-admin user list
// --email-contains`), and one account's page: the apps it granted, the browsers signed in to it
// and its latest audit events, with disable/enable, "sign out everywhere" and delete (after a
// confirmation page). Each change is src/admin/users.ts, the operation the CLI's `user` group calls.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { accountOverview } from '../../account/account-overview.js';
import type { UserView } from '../../admin/users.js';
import { describeUserAgent } from '../../mail/user-agent.js';
import { ACCOUNT_CLIENT_ID } from '../../oidc/account-client.js';
import { clientNameOf } from '../interaction-details.js';
import { pageTranslator } from '../render.js';
import type { LinkidState } from '../state.js';
import { eventRows } from './admin-console-activity.js';
import { ReasonError } from '../errors.js';
import { notFound, notFoundPage, problemOf, type ConsoleKit } from './admin-console-kit.js';

/** How many accounts one search shows. */
const SEARCH_LIMIT = 50;
/** How many of an account's events its page shows, newest first. */
const RECENT_EVENTS = 20;
const SUB = /^[A-Za-z0-9_-]{1,200}$/;
const HIDDEN: ReadonlySet<string> = new Set([ACCOUNT_CLIENT_ID]);

const searchQuery = z.object({ email: z.string().max(320, { error: 'at most 320 characters' }).optional() }).loose();
const noFields = z.object({}).strict();

const userPath = (sub: string) => `/admin/users/${encodeURIComponent(sub)}`;

export function adminUserRoutes(router: Router<LinkidState>, kit: ConsoleKit): void {
  const { admin } = kit;

  /** The account named in the path, or the not_found page. */
  const userIn = async (ctx: Context): Promise<UserView> => {
    const sub = String((ctx.params as { sub?: string }).sub ?? '');
    if (!SUB.test(sub)) throw notFoundPage();
    return admin.users.show(sub).catch(notFound);
  };

  router.get('/admin/users', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, '/admin/users');
    if (!signedIn) return;
    const parsed = searchQuery.safeParse(ctx.query);
    const typed = parsed.success ? (parsed.data.email ?? '') : '';
    const data = { typed, searched: false, deleted: ctx.query.deleted === '1', users: [] as unknown[] };
    if (!parsed.success) {
      return kit.refuse(
        ctx,
        'admin/users',
        'users',
        signedIn.visit,
        [{ field: 'email', label: 'admin.users.searchLabel', key: 'admin.problem.invalid', detail: 'at most 320 characters' }],
        data,
      );
    }
    if (typed.trim() === '') return kit.render(ctx, 'admin/users', 'users', signedIn.visit, data);
    const users: UserView[] = [];
    try {
      for await (const user of admin.users.list({ emailContains: typed, limit: String(SEARCH_LIMIT) })) users.push(user);
    } catch (error) {
      return kit.refuse(ctx, 'admin/users', 'users', signedIn.visit, [{ ...problemOf(error), field: 'email', label: 'admin.users.searchLabel' }], data);
    }
    kit.render(ctx, 'admin/users', 'users', signedIn.visit, {
      typed,
      searched: true,
      more: users.length === SEARCH_LIMIT,
      users: users.map((user) => ({
        email: user.email,
        href: userPath(user.sub),
        disabled: user.disabled_at !== null,
        lastLoginAt: kit.when(ctx, user.last_login_at ? Date.parse(user.last_login_at) : null),
      })),
    });
  });

  router.get('/admin/users/:sub', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, ctx.path);
    if (!signedIn) return;
    const user = await userIn(ctx);
    const t = pageTranslator(ctx, kit.pages);
    const overview = await accountOverview(kit.store, user.sub, kit.clock.now(), HIDDEN);
    const names = new Map<string, string>();
    for (const clientId of new Set([...overview.apps.map((app) => app.clientId), ...overview.browsers.flatMap((browser) => browser.clientIds)])) {
      names.set(clientId, await clientNameOf(kit.provider, clientId));
    }
    const events = (await admin.audit.search({ accountId: user.sub })).slice(-RECENT_EVENTS).reverse();
    const action = (name: string) => `${userPath(user.sub)}/${name}`;
    kit.render(ctx, 'admin/user', 'users', signedIn.visit, {
      user,
      self: user.sub === signedIn.visit.user.id,
      done: typeof ctx.query.done === 'string' && /^[a-z-]{1,20}$/.test(ctx.query.done) ? ctx.query.done : undefined,
      createdAt: kit.when(ctx, Date.parse(user.created_at)),
      lastLoginAt: kit.when(ctx, user.last_login_at ? Date.parse(user.last_login_at) : null),
      disabledAt: kit.when(ctx, user.disabled_at ? Date.parse(user.disabled_at) : null),
      browsers: overview.browsers.map((browser) => ({
        device: browser.userAgent ? describeUserAgent(browser.userAgent, t) : t('account.browsers.unknown'),
        signedInAt: kit.when(ctx, browser.signedInAt),
        apps: browser.clientIds.map((clientId) => names.get(clientId) ?? clientId),
      })),
      apps: overview.apps.map((app) => ({
        name: names.get(app.clientId) ?? app.clientId,
        clientId: app.clientId,
        scopes: app.scopes,
        grantedAt: kit.when(ctx, app.grantedAt),
      })),
      events: eventRows(ctx, kit, events),
      activityUrl: `/admin/activity?account=${encodeURIComponent(user.sub)}`,
      actions: { disable: action('disable'), enable: action('enable'), signOut: action('sign-out'), delete: action('delete') },
    });
  });

  const change = (name: string, run: (sub: string, actor: Parameters<typeof admin.users.disable>[1]) => Promise<unknown>) => {
    router.post(`/admin/users/:sub/${name}`, async (ctx) => {
      const signedIn = await kit.signedIn(ctx, ctx.path.replace(/\/[a-z-]+$/, ''));
      if (!signedIn) return;
      const user = await userIn(ctx);
      // A button posts nothing: a field is not from this page.
      if (!noFields.safeParse(ctx.request.body ?? {}).success) throw new ReasonError('invalid_request');
      await run(user.sub, signedIn.actor).catch(notFound);
      ctx.status = 303;
      ctx.redirect(`${userPath(user.sub)}?done=${name}`);
    });
  };
  change('disable', (sub, actor) => admin.users.disable(sub, actor));
  change('enable', (sub, actor) => admin.users.enable(sub, actor));
  change('sign-out', (sub, actor) => admin.users.revokeSessions(sub, actor));

  router.get('/admin/users/:sub/delete', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, ctx.path);
    if (!signedIn) return;
    const user = await userIn(ctx);
    kit.render(ctx, 'admin/user-delete', 'users', signedIn.visit, { user, action: `${userPath(user.sub)}/delete`, backUrl: userPath(user.sub) });
  });

  router.post('/admin/users/:sub/delete', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, ctx.path);
    if (!signedIn) return;
    const user = await userIn(ctx);
    await admin.users.delete(user.sub, signedIn.actor).catch(notFound);
    ctx.status = 303;
    ctx.redirect('/admin/users?deleted=1');
  });
}
