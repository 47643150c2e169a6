// "Your data" on the account page: download what linkid keeps about the account, and delete it.
// Rules:
// - the download needs this browser's session (any age: reading is not changing), and answers one
//   JSON attachment built by src/account/account-data.ts, never cached;
// - deleting needs a sign-in less than 10 minutes old on the page and again on the POST (a browser
//   left signed in yesterday gets a fresh link first), the Origin check every POST gets, and the
//   account's address typed again; the deletion itself is src/account/delete-account.ts, the
//   same one `linkid-admin user delete` runs;
// - a wrong confirmation deletes nothing and says so with a reason code.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { ACCOUNT_CLIENT_ID } from '../../oidc/account-client.js';
import { accountData } from '../../account/account-data.js';
import { accountOverview } from '../../account/account-overview.js';
import type { DeleteAccount } from '../../account/delete-account.js';
import type { Clock } from '../../kernel/clock.js';
import { normalizeEmail } from '../../kernel/email-address.js';
import type { Audit } from '../../kernel/audit.js';
import type { Store } from '../../store/port.js';
import type { AccountAccess, AccountVisit } from '../account-access.js';
import { ReasonError } from '../errors.js';
import { readBody, textField } from '../form-input.js';
import { clientNameOf } from '../interaction-details.js';
import { renderPage } from '../render.js';
import type { PageDeps } from '../../i18n/pages.js';
import type { LinkidState } from '../state.js';

export const ACCOUNT_DATA_ROUTES = {
  /** GET: the JSON download. */
  download: '/account/data',
  /** GET: what deleting does, and the confirm form; POST: delete. */
  delete: '/account/delete',
} as const;

export interface AccountDataRouteDeps {
  readonly provider: Provider;
  readonly pages: PageDeps;
  readonly store: Pick<Store, 'oidc' | 'audit'>;
  readonly access: AccountAccess;
  readonly deleteAccount: DeleteAccount;
  readonly clock: Clock;
  readonly audit: Audit;
  /** How long the audit trail keeps events (the delete page says so). */
  readonly auditRetentionDays: number;
}

/** An address is at most 254 characters; a little room for what a person pastes around it. */
const deleteForm = z.object({ email: textField(320) });

const HIDDEN: ReadonlySet<string> = new Set([ACCOUNT_CLIENT_ID]);

/** The date part of the file name, in UTC (the document's own times are UTC too). */
const fileDate = (now: number) => new Date(now).toISOString().slice(0, 10);

export function accountDataRoutes(router: Router<LinkidState>, deps: AccountDataRouteDeps): void {
  const { pages } = deps;
  const appName = (clientId: string) => clientNameOf(deps.provider, clientId);

  router.get(ACCOUNT_DATA_ROUTES.download, async (ctx) => {
    const visit = await deps.access.require(ctx, ACCOUNT_DATA_ROUTES.download);
    if (!visit) return;
    const now = deps.clock.now();
    const document = await accountData({ store: deps.store, appName, hidden: HIDDEN }, { user: visit.user, sessionUid: visit.sessionUid, now });
    deps.audit('account.data_downloaded', { accountId: visit.user.id, auditEvents: document.audit_events.events.length });
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', `attachment; filename="linkid-data-${fileDate(now)}.json"`);
    ctx.type = 'application/json';
    ctx.body = `${JSON.stringify(document, null, 2)}\n`;
  });

  const renderConfirm = async (ctx: Context, visit: AccountVisit) => {
    const overview = await accountOverview(deps.store, visit.user.id, deps.clock.now(), HIDDEN);
    const apps: string[] = [];
    for (const app of overview.apps) apps.push(await appName(app.clientId));
    renderPage(ctx, pages, 'account-delete', {
      email: visit.user.email,
      browsers: overview.browsers.length,
      apps,
      retentionDays: deps.auditRetentionDays,
      action: ACCOUNT_DATA_ROUTES.delete,
      downloadUrl: ACCOUNT_DATA_ROUTES.download,
      accountUrl: '/account',
    });
  };

  router.get(ACCOUNT_DATA_ROUTES.delete, async (ctx) => {
    const visit = await deps.access.require(ctx, ACCOUNT_DATA_ROUTES.delete, { fresh: true });
    if (visit) await renderConfirm(ctx, visit);
  });

  router.post(ACCOUNT_DATA_ROUTES.delete, async (ctx) => {
    const visit = await deps.access.require(ctx, ACCOUNT_DATA_ROUTES.delete, { fresh: true });
    if (!visit) return;
    const typed = readBody(ctx, deleteForm).email;
    if (normalizeEmail(typed) !== visit.user.email) {
      throw new ReasonError('confirmation_mismatch', { link: { url: ACCOUNT_DATA_ROUTES.delete, label: 'account.tryAgain' } });
    }
    const deleted = await deps.deleteAccount(visit.user, 'account-page');
    renderPage(ctx, pages, 'account-deleted', { sessions: deleted?.revoked.sessions ?? 0, retentionDays: deps.auditRetentionDays });
  });
}
