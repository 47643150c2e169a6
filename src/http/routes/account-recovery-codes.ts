// Recovery codes on the account page: how many unused codes the account holds, a new set
// (which voids the old one) shown once, with a download of the same text, and a notice to the
// account's address in this page's language; and, while a set has unused codes, "void these
// codes". All need a sign-in less than 10 minutes old: whoever holds the codes can get in without
// the inbox. New sets are limited per account (RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT): a refusal
// is the rate_limited page, with a way back. Voiding is limited by nothing and mails nothing, so
// whoever spent that budget cannot keep the owner from killing their codes; it answers the same
// page whether or not there was a set, and offers a new set (still limited).
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import type { RecoveryCodes } from '../../account/recovery-codes.js';
import type { Store } from '../../store/port.js';
import type { AccountAccess } from '../account-access.js';
import { renderReason } from '../errors.js';
import { pageLocale, pageTranslator, renderPage } from '../render.js';
import type { PageDeps } from '../../i18n/pages.js';
import type { LinkidState } from '../state.js';

const PATH = '/account/recovery-codes';
/** POST: the account's set voided. A stale sign-in is sent for a fresh link back to PATH (this path has no GET). */
const VOID_PATH = '/account/recovery-codes/void';

export interface RecoveryCodeRouteDeps {
  readonly pages: PageDeps;
  readonly access: AccountAccess;
  readonly recoveryCodes: Pick<RecoveryCodes, 'generate' | 'voidSet'>;
  readonly store: Pick<Store, 'recoveryCodes'>;
  readonly issuer: string;
}

/** The codes as a text file: what the person keeps, with what it is for. */
function codesFile(ctx: Context, deps: RecoveryCodeRouteDeps, email: string, codes: readonly string[]): string {
  const t = pageTranslator(ctx, deps.pages);
  return `${t('account.recoveryCodes.fileHeading', { product: deps.pages.productName, email, issuer: deps.issuer })}\n\n${codes.join('\n')}\n`;
}

/** The page with the account's count of unused codes, the "make" form and, while it has some, the "void" form. */
async function renderCount(ctx: Context, deps: RecoveryCodeRouteDeps, accountId: string, voided = false): Promise<void> {
  renderPage(ctx, deps.pages, 'account-recovery-codes', {
    unused: await deps.store.recoveryCodes.countUnused(accountId),
    voided,
    action: PATH,
    voidAction: VOID_PATH,
    accountUrl: '/account',
  });
}

export function accountRecoveryCodeRoutes(router: Router<LinkidState>, deps: RecoveryCodeRouteDeps): void {
  router.get(PATH, async (ctx) => {
    const visit = await deps.access.require(ctx, PATH, { fresh: true });
    if (visit) await renderCount(ctx, deps, visit.user.id);
  });

  router.post(VOID_PATH, async (ctx) => {
    const visit = await deps.access.require(ctx, PATH, { fresh: true });
    if (!visit) return;
    await deps.recoveryCodes.voidSet(visit.user.id);
    await renderCount(ctx, deps, visit.user.id, true);
  });

  router.post(PATH, async (ctx) => {
    const visit = await deps.access.require(ctx, PATH, { fresh: true });
    if (!visit) return;
    const made = await deps.recoveryCodes.generate(visit.user.id, {
      locale: pageLocale(ctx, deps.pages),
      ip: ctx.ip,
      userAgent: ctx.get('user-agent'),
      requestId: ctx.state.requestId,
    });
    if (!made.allow) {
      renderReason(ctx, deps.pages, made.reason, { retryAfterSeconds: made.retryAfterSeconds, link: { url: '/account', label: 'emailChange.backToAccount' } });
      return;
    }
    const { codes } = made;
    renderPage(ctx, deps.pages, 'account-recovery-codes', {
      codes,
      replacedEarlier: made.replaced > 0,
      download: `data:text/plain;charset=utf-8,${encodeURIComponent(codesFile(ctx, deps, visit.user.email, codes))}`,
      fileName: `${deps.pages.productName}-recovery-codes.txt`,
      accountUrl: '/account',
    });
  });
}
