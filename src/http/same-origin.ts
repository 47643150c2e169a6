// Every state-changing request to our pages must come from our own pages: the email form, the
// resend button, the code, consent, abort, the link confirm, renew and "This wasn't me". One check
// for all of them, before any route runs, so a cross-site form can neither spend a limit, send a
// mail, guess a code nor cancel someone's sign-in. Server-to-server endpoints (the mail provider's
// webhooks) authenticate otherwise and are left out.
import type { Context, Middleware } from 'koa';
import type { Audit } from '../kernel/audit.js';
import type { PageDeps } from '../i18n/pages.js';
import { renderReason } from './errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A form POST from our own page. Browsers send Origin on POSTs, but as "null" under
 * Referrer-Policy: no-referrer, so Sec-Fetch-Site (which every current browser sends) decides then.
 * A request with neither is refused: it is not a browser on our page.
 */
export function isSameOrigin(ctx: Context, issuerOrigin: string): boolean {
  const origin = ctx.get('origin');
  if (origin && origin !== 'null') return origin === issuerOrigin;
  return ctx.get('sec-fetch-site') === 'same-origin';
}

export function requireSameOrigin(options: { issuerOrigin: string; pages: PageDeps; audit: Audit; exempt: readonly string[] }): Middleware {
  return async (ctx, next) => {
    const exempt = options.exempt.some((prefix) => ctx.path.startsWith(prefix));
    if (SAFE_METHODS.has(ctx.method) || exempt || isSameOrigin(ctx, options.issuerOrigin)) {
      await next();
      return;
    }
    options.audit('login.refused', { reason: 'origin_mismatch', step: 'origin', method: ctx.method, requestId: ctx.state.requestId });
    renderReason(ctx, options.pages, 'origin_mismatch');
  };
}
