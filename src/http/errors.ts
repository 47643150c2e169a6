// Refusals and failures become a page (or JSON) with a reason code, the reader's words for it
// (views/locales/, `reason.<code>.*`) and the request id. Nothing unexpected ever shows a stack trace.
import type { Context, Middleware } from 'koa';
import type { Audit } from '../kernel/audit.js';
import type { Logger } from '../kernel/ports.js';
import { REASONS, type Reason } from '../kernel/reasons.js';
import { StoreUnavailableError } from '../kernel/store-failure.js';
import type { PageDeps } from '../i18n/pages.js';
import type { RenderReason } from '../oidc/configuration/pages.js';
import { pageLocale, pageTranslator, renderPage } from './render.js';
import type { LinkidState } from './state.js';

export class ReasonError extends Error {
  readonly status: number;
  readonly expose = true;
  constructor(
    readonly reason: Reason,
    readonly options: ReasonOptions = {},
  ) {
    super(reason);
    this.name = 'ReasonError';
    this.status = REASONS[reason].status;
  }
}

/** A button on the reason page: a form POST with hidden fields, so scanners cannot press it. */
export interface ReasonAction {
  readonly url: string;
  /** A message key (views/locales/). */
  readonly label: string;
  readonly fields: Record<string, string>;
}

/** A plain link on the reason page, for a next step that changes nothing by itself. */
export interface ReasonLink {
  readonly url: string;
  /** A message key (views/locales/). */
  readonly label: string;
  /** Its placeholders ("Back to {app}"). */
  readonly params?: Readonly<Record<string, string>>;
}

/**
 * A page has one main action, a button (`action`) or a link (`link`), and its words agree with it.
 * A route that knows the situation better than the reason code alone gives both the action and,
 * when the reason's usual next step would say otherwise, the words (`next`).
 */
export interface ReasonOptions {
  readonly retryAfterSeconds?: number;
  readonly action?: ReasonAction;
  readonly link?: ReasonLink;
  /** A message key for the next step, instead of `reason.<code>.next`. */
  readonly next?: string;
}

/**
 * Reasons whose words send the person back to the app: their main action, when the route gives
 * none, is "Back to {app}" (the app's client_uri, else its first redirect URI's origin), shown
 * when the page knows the app and it has a web address. docs/configuration.md lists every page's
 * main action; test/flows/reason-pages.test.ts presses each.
 */
const BACK_TO_APP: ReadonlySet<Reason> = new Set<Reason>([
  'token_used',
  'token_expired',
  'interaction_expired',
  'sign_in_cancelled',
  'approval_mismatch',
  'signup_closed',
  'account_disabled',
  'browser_mismatch',
]);

/** Reasons that pass by themselves: "Try again" reloads the page, when the request was one a reload repeats (a GET). */
const TRY_AGAIN_HERE: ReadonlySet<Reason> = new Set<Reason>(['rate_limited', 'store_unavailable', 'server_error']);

/** The page's one main action: the route's, else the reason's usual one where the page knows enough for it. */
function mainAction(ctx: Context, reason: Reason, options: ReasonOptions): Pick<ReasonOptions, 'action' | 'link'> {
  if (options.action) return { action: options.action };
  if (options.link) return { link: options.link };
  const state = ctx.state as Partial<LinkidState>;
  if (BACK_TO_APP.has(reason) && state.appHome && state.brand) {
    return { link: { url: state.appHome, label: 'error.backToApp', params: { app: state.brand.name } } };
  }
  if (TRY_AGAIN_HERE.has(reason) && ctx.method === 'GET') return { link: { url: ctx.originalUrl, label: 'error.tryAgain' } };
  return {};
}

export function renderReason(ctx: Context, deps: PageDeps, reason: Reason, options: ReasonOptions = {}): void {
  const info = REASONS[reason];
  const retryAfter = options.retryAfterSeconds ?? (info.status === 503 ? 5 : undefined);
  ctx.set('Cache-Control', 'no-store');
  if (retryAfter !== undefined) ctx.set('Retry-After', String(retryAfter));
  const t = pageTranslator(ctx, deps);
  const title = t(`reason.${reason}.title`);
  if (ctx.accepts('html', 'json') === 'json') {
    ctx.status = info.status;
    ctx.set('Content-Language', pageLocale(ctx, deps));
    const requestId = (ctx.state as Partial<LinkidState>).requestId;
    ctx.body = { error: reason, error_description: title, request_id: requestId, ...(retryAfter ? { retry_after: retryAfter } : {}) };
    return;
  }
  const next = reason === 'rate_limited' && retryAfter ? t('error.waitSeconds', { count: retryAfter }) : t(options.next ?? `reason.${reason}.next`);
  renderPage(ctx, deps, 'error', { heading: title, message: t(`reason.${reason}.message`), next, reason, ...mainAction(ctx, reason, options) });
  ctx.status = info.status;
}

/** renderReason for oidc-provider's device pages, which src/oidc renders without importing src/http. */
export const reasonRenderer =
  (deps: PageDeps): RenderReason =>
  (ctx, reason, options = {}) =>
    renderReason(ctx, deps, reason, { retryAfterSeconds: options.retryAfterSeconds, link: options.link });

/** Client errors thrown by middleware (body parsing: malformed, too large, wrong type). */
const BAD_INPUT_STATUSES = new Set([400, 413, 415]);

function reasonFor(error: unknown, isStoreUnavailable: (error: unknown) => boolean): Reason {
  if (error instanceof ReasonError) return error.reason;
  if (error instanceof StoreUnavailableError || isStoreUnavailable(error)) return 'store_unavailable';
  return BAD_INPUT_STATUSES.has((error as { status?: number }).status ?? 0) ? 'invalid_request' : 'server_error';
}

export function errorPages(deps: PageDeps, logger: Logger, isStoreUnavailable: (error: unknown) => boolean, audit: Audit): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) renderReason(ctx, deps, 'not_found');
      // oidc-provider answers its own failures with 500 server_error; when the cause was the
      // store being unreachable (flagged by its server_error event), say so with a 503.
      if (ctx.status === 500 && ctx.state.storeUnavailable) renderReason(ctx, deps, 'store_unavailable');
    } catch (error) {
      const reason = reasonFor(error, isStoreUnavailable);
      if (error instanceof StoreUnavailableError) {
        // Refused before anything was written: the store health logged the cause when it began.
        logger.warn({ cause: error.kind, requestId: ctx.state.requestId, path: ctx.path }, 'request refused: the store takes no writes');
      } else if (reason === 'server_error' || reason === 'store_unavailable') {
        logger.error({ err: error, requestId: ctx.state.requestId, path: ctx.path }, 'request error');
      } else {
        logger.info({ reason, requestId: ctx.state.requestId, path: ctx.path }, 'request refused');
        // A refusal thrown by a route (an expired or cancelled interaction, a malformed form) is a
        // decision like any other: in the audit trail and the refusal counts, by its page's request id.
        audit('login.refused', { reason, step: 'page', interactionUid: (ctx.params as { uid?: string } | undefined)?.uid });
      }
      renderReason(ctx, deps, reason, error instanceof ReasonError ? error.options : {});
    }
  };
}
