// The account page: what linkid knows of the signed-in person and what they can end themselves.
// It shows the address and when the account was made, the browsers signed in ("this browser"
// marked) and the apps with access and their scopes; "remove access" takes one app's grant and
// tokens away, "sign out everywhere" ends every session and revokes every token. Reached through
// the linkid session (src/http/account-access.ts); every page here is for that account only.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { ACCOUNT_CALLBACK_PATH, ACCOUNT_CLIENT_ID } from '../../oidc/account-client.js';
import { accountOverview } from '../../account/account-overview.js';
import type { AccountSessions } from '../../account/account-sessions.js';
import type { Clock } from '../../kernel/clock.js';
import { describeUserAgent } from '../../mail/user-agent.js';
import type { Audit } from '../../kernel/audit.js';
import type { Store } from '../../store/port.js';
import type { AccountAccess } from '../account-access.js';
import { ReasonError } from '../errors.js';
import { readBody, textField } from '../form-input.js';
import { clientNameOf } from '../interaction-details.js';
import { pageTime, pageTranslator, renderPage } from '../render.js';
import type { PageDeps } from '../../i18n/pages.js';
import type { LinkidState } from '../state.js';
import { SCOPES_IN_WORDS } from './consent.js';

export const ACCOUNT_ROUTES = {
  page: '/account',
  callback: ACCOUNT_CALLBACK_PATH,
  /** GET: "lost access to your email?", from any sign-in's email form. */
  recover: '/account/recover',
  /** POST: one app's access taken away. */
  removeApp: '/account/apps/remove',
  /** POST: every session ended, every token revoked. */
  signOutEverywhere: '/account/sign-out-everywhere',
} as const;

export interface AccountRouteDeps {
  readonly provider: Provider;
  readonly pages: PageDeps;
  readonly store: Pick<Store, 'oidc'>;
  readonly access: AccountAccess;
  readonly accountSessions: Pick<AccountSessions, 'endAll' | 'removeApp'>;
  readonly clock: Clock;
  readonly audit: Audit;
  /** The sections other account flows add (change email, recovery codes, your data), as links; `danger` marks one that destroys (deleting the account). */
  readonly links?: readonly { readonly href: string; readonly label: string; readonly danger?: boolean }[];
}

const removeAppForm = z.object({ client_id: textField(200) });

export function accountRoutes(router: Router<LinkidState>, deps: AccountRouteDeps): void {
  const { pages } = deps;
  const hidden = new Set([ACCOUNT_CLIENT_ID]);

  const renderAccount = async (ctx: Context, visit: NonNullable<Awaited<ReturnType<AccountAccess['current']>>>) => {
    const t = pageTranslator(ctx, pages);
    const when = (epochMs: number | undefined) => (epochMs === undefined ? undefined : pageTime(ctx, pages, epochMs));
    const overview = await accountOverview(deps.store, visit.user.id, deps.clock.now(), hidden);
    const names = new Map<string, string>();
    for (const clientId of new Set([...overview.apps.map((app) => app.clientId), ...overview.browsers.flatMap((browser) => browser.clientIds)])) {
      names.set(clientId, await clientNameOf(deps.provider, clientId));
    }
    renderPage(ctx, pages, 'account', {
      email: visit.user.email,
      createdAt: when(visit.user.createdAt),
      browsers: overview.browsers.map((browser) => ({
        device: browser.userAgent ? describeUserAgent(browser.userAgent, t) : t('account.browsers.unknown'),
        current: browser.uid === visit.sessionUid,
        signedInAt: when(browser.signedInAt),
        // Only when it says something more than the sign-in's time.
        lastSeenAt: when(browser.lastSeenAt)?.text === when(browser.signedInAt)?.text ? undefined : when(browser.lastSeenAt),
        apps: browser.clientIds.map((clientId) => names.get(clientId) ?? clientId),
      })),
      apps: overview.apps.map((app) => ({
        clientId: app.clientId,
        name: names.get(app.clientId) ?? app.clientId,
        scopes: app.scopes.filter((scope) => SCOPES_IN_WORDS.has(scope)),
        grantedAt: when(app.grantedAt),
      })),
      links: deps.links ?? [],
      removeAction: ACCOUNT_ROUTES.removeApp,
      signOutEverywhereAction: ACCOUNT_ROUTES.signOutEverywhere,
      signOutUrl: `/session/end?client_id=${ACCOUNT_CLIENT_ID}`,
    });
  };

  router.get(ACCOUNT_ROUTES.page, async (ctx) => {
    const visit = await deps.access.require(ctx, ACCOUNT_ROUTES.page);
    if (visit) await renderAccount(ctx, visit);
  });

  router.get(ACCOUNT_ROUTES.recover, (ctx) => {
    deps.access.recover(ctx);
  });

  router.get(ACCOUNT_ROUTES.callback, async (ctx) => {
    if (typeof ctx.query.error === 'string') throw new ReasonError('sign_in_unfinished', { link: { url: ACCOUNT_ROUTES.page, label: 'account.tryAgain' } });
    await deps.access.callback(ctx);
  });

  router.post(ACCOUNT_ROUTES.removeApp, async (ctx) => {
    const visit = await deps.access.require(ctx, ACCOUNT_ROUTES.page);
    if (!visit) return;
    const clientId = readBody(ctx, removeAppForm).client_id;
    if (clientId === '' || hidden.has(clientId)) throw new ReasonError('invalid_request');
    const grants = await deps.accountSessions.removeApp(visit.user.id, clientId);
    deps.audit('account.app_removed', { accountId: visit.user.id, clientId, grants });
    ctx.status = 303;
    ctx.redirect(ACCOUNT_ROUTES.page);
  });

  router.post(ACCOUNT_ROUTES.signOutEverywhere, async (ctx) => {
    const visit = await deps.access.require(ctx, ACCOUNT_ROUTES.page);
    if (!visit) return;
    const revoked = await deps.accountSessions.endAll(visit.user.id, 'revoked');
    deps.audit('account.signed_out_everywhere', { accountId: visit.user.id, ...revoked });
    renderPage(ctx, pages, 'signed-out-everywhere', { accountUrl: ACCOUNT_ROUTES.page, sessions: revoked.sessions });
  });
}
