// Recovery codes on the account page: how many unused codes the account holds, and a new set
// (which voids the old one) shown once, with a download of the same text, and a notice to the
// account's address in this page's language. Both need a sign-in less than 10 minutes old:
// whoever holds the codes can get in without the inbox. New sets are limited per account
// (RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT): a refusal is the rate_limited page, with a way back.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import type { RecoveryCodes } from '../../account/recovery-codes.js';
import type { Store } from '../../store/port.js';
import type { AccountAccess } from '../account-access.js';
import { renderReason } from '../errors.js';
import { pageLocale, pageTranslator, renderPage, type PageDeps } from '../render.js';
import type { LinkidState } from '../state.js';

const PATH = '/account/recovery-codes';

export interface RecoveryCodeRouteDeps {
  readonly pages: PageDeps;
  readonly access: AccountAccess;
  readonly recoveryCodes: Pick<RecoveryCodes, 'generate'>;
  readonly store: Pick<Store, 'recoveryCodes'>;
  readonly issuer: string;
}

/** The codes as a text file: what the person keeps, with what it is for. */
function codesFile(ctx: Context, deps: RecoveryCodeRouteDeps, email: string, codes: readonly string[]): string {
  const t = pageTranslator(ctx, deps.pages);
  return `${t('account.recoveryCodes.fileHeading', { product: deps.pages.productName, email, issuer: deps.issuer })}\n\n${codes.join('\n')}\n`;
}

export function accountRecoveryCodeRoutes(router: Router<LinkidState>, deps: RecoveryCodeRouteDeps): void {
  router.get(PATH, async (ctx) => {
    const visit = await deps.access.require(ctx, PATH, { fresh: true });
    if (!visit) return;
    renderPage(ctx, deps.pages, 'account-recovery-codes', {
      unused: await deps.store.recoveryCodes.countUnused(visit.user.id),
      action: PATH,
      accountUrl: '/account',
    });
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
      download: `data:text/plain;charset=utf-8,${encodeURIComponent(codesFile(ctx, deps, visit.user.email, codes))}`,
      fileName: `${deps.pages.productName}-recovery-codes.txt`,
      accountUrl: '/account',
    });
  });
}
