// The link in the email. GET (and HEAD) only show a confirm page: mail scanners follow links, so
// opening one must change nothing. The button POSTs to a path under the interaction, because
// oidc-provider scopes its interaction cookie to /interaction/:uid. A used or expired link offers
// one button that mails a fresh link for the same sign-in.
import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { MagicLinkService } from '../../login/magic-link-service.js';
import type { Reason } from '../../login/reasons.js';
import { interactionPath } from '../../oidc/provider.js';
import type { BindingCookie } from '../binding-cookie.js';
import { completeSignIn, type CompleteSignInDeps } from '../complete-sign-in.js';
import type { PageDeps } from '../context.js';
import { renderReason } from '../errors.js';
import { clientNameOf, findInteraction } from '../interaction-details.js';
import { renderPage } from '../render.js';
import { isSameOrigin } from '../same-origin.js';
import { formsLeadTo } from '../security-headers.js';

export interface VerifyRouteDeps extends CompleteSignInDeps {
  readonly magicLinks: MagicLinkService;
  readonly bindingCookie: BindingCookie;
  readonly pages: PageDeps;
  readonly issuerOrigin: string;
}

const RENEWABLE: ReadonlySet<Reason> = new Set(['token_used', 'token_expired']);

export function verifyRoutes(router: Router, deps: VerifyRouteDeps): void {
  const { provider, pages } = deps;
  const bodyToken = (ctx: Context) => (ctx.request.body as Record<string, unknown> | undefined)?.token;

  const refuseLink = (ctx: Context, reason: Reason, rawToken: unknown, retryAfterSeconds?: number) => {
    const renewable = RENEWABLE.has(reason) && typeof rawToken === 'string';
    renderReason(ctx, pages, reason, {
      retryAfterSeconds,
      action: renewable ? { url: '/login/link/renew', label: 'Email me a new link for this sign-in', fields: { token: rawToken } } : undefined,
    });
  };

  router.get('/login/link', async (ctx) => {
    const result = await deps.magicLinks.open(ctx.query.token, ctx.ip);
    if (!result.allow) {
      refuseLink(ctx, result.reason, ctx.query.token, result.retryAfterSeconds);
      return;
    }
    formsLeadTo(ctx, result.token.clientId);
    renderPage(ctx, pages, 'confirm', {
      title: 'Confirm sign-in',
      appName: await clientNameOf(provider, result.token.clientId),
      email: result.token.email,
      token: ctx.query.token,
      action: `${interactionPath(result.token.interactionUid)}/verify`,
    });
  });

  router.post('/login/link/renew', async (ctx) => {
    const decision = await deps.magicLinks.renew(bodyToken(ctx), ctx.ip, ctx.state.requestId, (clientId: string) => clientNameOf(provider, clientId));
    if (!decision.allow) {
      renderReason(ctx, pages, decision.reason, { retryAfterSeconds: decision.retryAfterSeconds });
      return;
    }
    renderPage(ctx, pages, 'link-renewed', { title: 'Check your email' });
  });

  // "This wasn't me" from the email: a confirm page on GET (scanners follow links), the cancel on POST.
  router.get('/login/cancel', async (ctx) => {
    const result = await deps.magicLinks.openCancel(ctx.query.token, ctx.ip);
    if (!result.allow) {
      renderReason(ctx, pages, result.reason, { retryAfterSeconds: result.retryAfterSeconds });
      return;
    }
    renderPage(ctx, pages, 'cancel', {
      title: 'Cancel sign-in',
      appName: await clientNameOf(provider, result.token.clientId),
      email: result.token.email,
      token: ctx.query.token,
    });
  });

  router.post('/login/cancel', async (ctx) => {
    const result = await deps.magicLinks.cancel(bodyToken(ctx), ctx.ip);
    // Pressing it twice (or in two tabs) ends in the same place.
    if (!result.allow && result.reason !== 'sign_in_cancelled') {
      renderReason(ctx, pages, result.reason, { retryAfterSeconds: result.retryAfterSeconds });
      return;
    }
    renderPage(ctx, pages, 'cancelled', { title: 'Sign-in cancelled' });
  });

  router.post('/interaction/:uid/verify', async (ctx) => {
    const input = {
      rawToken: bodyToken(ctx),
      interactionUid: ctx.params.uid!,
      bindingNonce: deps.bindingCookie.read(ctx),
      sameOrigin: isSameOrigin(ctx, deps.issuerOrigin),
      ip: ctx.ip,
    };
    const details = await findInteraction(provider, ctx);
    if (!details) {
      // No interaction in this browser: say why the link failed if the link itself says so.
      const check = await deps.magicLinks.check(input);
      renderReason(ctx, pages, check.allow ? 'interaction_expired' : check.reason);
      return;
    }
    const result = await deps.magicLinks.confirm(input);
    if (!result.allow) {
      refuseLink(ctx, result.reason, input.rawToken, result.retryAfterSeconds);
      return;
    }
    await completeSignIn(ctx, deps, result.token, 'link');
  });
}
