// Changing the account's address (issue 13): the form on the account page (a sign-in less than 10
// minutes old first), the confirm link mailed to the new address, and the undo link mailed to the
// old one. GET (and HEAD) only ever show a page: mail scanners follow links; every change is a
// button's POST, Origin-checked before any route runs. The logic is src/account/email-change.ts.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { EMAIL_CHANGE_ROUTES, CHANGE_TTL_SECONDS } from '../../account/email-change/change-kit.js';
import type { EmailChange } from '../../account/email-change.js';
import type { Refusal } from '../../kernel/decisions.js';
import { normalizeEmail } from '../../kernel/email-address.js';
import { REASONS } from '../../kernel/reasons.js';
import type { User } from '../../store/port.js';
import type { AccountAccess } from '../account-access.js';
import type { BindingCookie } from '../binding-cookie.js';
import { renderReason, type ReasonOptions } from '../errors.js';
import { readBody, readQuery, textField } from '../form-input.js';
import { pageLocale, pageTranslator, renderPage } from '../render.js';
import type { PageDeps } from '../../i18n/pages.js';
import type { LinkidState } from '../state.js';

export interface EmailChangeRouteDeps {
  readonly pages: PageDeps;
  readonly access: AccountAccess;
  readonly emailChange: EmailChange;
  readonly bindingCookie: BindingCookie;
  readonly undoDays: number;
}

/** Addresses are at most 254 characters; anything up to this reaches normalizeEmail, which refuses it. */
const emailForm = z.object({ email: textField(1024) });
/** Tokens are 43 characters; anything up to this length reaches the step, which says change_link_unknown. */
const tokenField = textField(256);
const tokenQuery = z.object({ token: tokenField });
const tokenForm = z.object({ token: tokenField });

/**
 * A refused change's one main action: after a wait, the same step again (`retry`); in another
 * browser, none (the link works in the one that asked); else back to the account page, where a
 * change starts again.
 */
function refusalOptions(refusal: Pick<Refusal, 'reason' | 'retryAfterSeconds'>, retry: string): ReasonOptions {
  if (refusal.reason === 'rate_limited') return { retryAfterSeconds: refusal.retryAfterSeconds, link: { url: retry, label: 'error.tryAgain' } };
  if (refusal.reason === 'change_browser_mismatch' || refusal.reason === 'account_disabled') return {};
  return { link: { url: '/account', label: 'emailChange.backToAccount' } };
}

export function emailChangeRoutes(router: Router<LinkidState>, deps: EmailChangeRouteDeps): void {
  const { pages, emailChange } = deps;
  const fresh = { fresh: true } as const;

  const renderForm = (ctx: Context, user: User, typed: string, errorKey?: string) => {
    renderPage(ctx, pages, 'email-change-form', {
      email: user.email,
      typed,
      action: EMAIL_CHANGE_ROUTES.form,
      error: errorKey ? pageTranslator(ctx, pages)(errorKey) : undefined,
    });
  };

  router.get(EMAIL_CHANGE_ROUTES.form, async (ctx) => {
    const visit = await deps.access.require(ctx, EMAIL_CHANGE_ROUTES.form, fresh);
    if (visit) renderForm(ctx, visit.user, '');
  });

  router.post(EMAIL_CHANGE_ROUTES.form, async (ctx) => {
    const visit = await deps.access.require(ctx, EMAIL_CHANGE_ROUTES.form, fresh);
    if (!visit) return;
    const typed = readBody(ctx, emailForm).email;
    const newEmail = normalizeEmail(typed);
    if (!newEmail || newEmail === visit.user.email) {
      const reason = newEmail ? 'email_unchanged' : 'invalid_email';
      renderForm(ctx, visit.user, typed.slice(0, 254), newEmail ? 'reason.email_unchanged.message' : 'reason.invalid_email.next');
      ctx.status = REASONS[reason].status;
      return;
    }
    const decision = await emailChange.requestChange({
      user: visit.user,
      newEmail,
      bindingNonce: deps.bindingCookie.ensure(ctx),
      ip: ctx.ip,
      userAgent: ctx.get('user-agent'),
      requestId: ctx.state.requestId,
      locale: pageLocale(ctx, pages),
    });
    if (!decision.allow) {
      renderReason(ctx, pages, decision.reason, refusalOptions(decision, EMAIL_CHANGE_ROUTES.form));
      return;
    }
    renderPage(ctx, pages, 'email-change-sent', { email: newEmail, minutes: CHANGE_TTL_SECONDS / 60, accountUrl: '/account' });
  });

  router.get(EMAIL_CHANGE_ROUTES.confirm, async (ctx) => {
    const { token } = readQuery(ctx, tokenQuery);
    const result = await emailChange.openConfirm(token, deps.bindingCookie.read(ctx), ctx.ip);
    if (!result.allow) {
      renderReason(ctx, pages, result.reason, refusalOptions(result, ctx.originalUrl));
      return;
    }
    renderPage(ctx, pages, 'email-change-confirm', { email: result.token.email, token, action: EMAIL_CHANGE_ROUTES.confirm });
  });

  router.post(EMAIL_CHANGE_ROUTES.confirm, async (ctx) => {
    const { token } = readBody(ctx, tokenForm);
    const result = await emailChange.confirmChange({
      rawToken: token,
      bindingNonce: deps.bindingCookie.read(ctx),
      ip: ctx.ip,
      userAgent: ctx.get('user-agent'),
      requestId: ctx.state.requestId,
      locale: pageLocale(ctx, pages),
    });
    if (!result.allow) {
      renderReason(ctx, pages, result.reason, refusalOptions(result, `${EMAIL_CHANGE_ROUTES.confirm}?token=${encodeURIComponent(token)}`));
      return;
    }
    renderPage(ctx, pages, 'email-changed', { email: result.email, days: deps.undoDays, accountUrl: '/account' });
  });

  router.get(EMAIL_CHANGE_ROUTES.undo, async (ctx) => {
    const { token } = readQuery(ctx, tokenQuery);
    const result = await emailChange.openUndo(token, ctx.ip);
    if (!result.allow) {
      renderReason(ctx, pages, result.reason, refusalOptions(result, ctx.originalUrl));
      return;
    }
    renderPage(ctx, pages, 'email-change-undo', {
      email: result.token.email,
      newEmail: result.token.otherEmail,
      token,
      action: EMAIL_CHANGE_ROUTES.undo,
    });
  });

  router.post(EMAIL_CHANGE_ROUTES.undo, async (ctx) => {
    const { token } = readBody(ctx, tokenForm);
    const result = await emailChange.undoChange(token, ctx.ip);
    if (!result.allow) {
      renderReason(ctx, pages, result.reason, refusalOptions(result, `${EMAIL_CHANGE_ROUTES.undo}?token=${encodeURIComponent(token)}`));
      return;
    }
    renderPage(ctx, pages, 'email-change-undone', { email: result.email, accountUrl: '/account' });
  });
}
