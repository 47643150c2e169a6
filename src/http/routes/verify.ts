// The link in the email. GET (and HEAD) only show a confirm page: mail scanners follow links, so
// opening one must change nothing. The button POSTs to a path under the interaction, because
// oidc-provider scopes its interaction cookie to /interaction/:uid.
import { Router } from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { MagicLinkService } from '../../login/magic-link-service.js';
import type { Audit } from '../../observability/audit.js';
import { EMAIL_LINK_ACR, EMAIL_LINK_AMR } from '../../oidc/sign-in-method.js';
import { interactionPath } from '../../oidc/provider.js';
import { newUserId } from '../../account/user-id.js';
import type { Clock } from '../../clock.js';
import type { UserStore } from '../../store/port.js';
import type { BindingCookie } from '../binding-cookie.js';
import type { PageDeps } from '../context.js';
import { renderReason } from '../errors.js';
import { clientNameOf, findInteraction, finishInteraction } from '../interaction-details.js';
import { renderPage } from '../render.js';

export interface VerifyRouteDeps {
  readonly provider: Provider;
  readonly magicLinks: MagicLinkService;
  readonly bindingCookie: BindingCookie;
  readonly pages: PageDeps;
  readonly users: UserStore;
  readonly clock: Clock;
  readonly audit: Audit;
  readonly issuerOrigin: string;
}

/**
 * A form POST from our own page. Browsers send Origin on POSTs, but as "null" under
 * Referrer-Policy: no-referrer, so Sec-Fetch-Site (which every current browser sends) decides then.
 */
export function isSameOrigin(ctx: Context, issuerOrigin: string): boolean {
  const origin = ctx.get('origin');
  if (origin && origin !== 'null') return origin === issuerOrigin;
  return ctx.get('sec-fetch-site') === 'same-origin';
}

export function verifyRoutes(router: Router, deps: VerifyRouteDeps): void {
  const { provider, pages } = deps;

  router.get('/login/link', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const result = await deps.magicLinks.open(ctx.query.token);
    if (!result.allow) {
      renderReason(ctx, pages, result.reason);
      return;
    }
    renderPage(ctx, pages, 'confirm', {
      title: 'Confirm sign-in',
      appName: await clientNameOf(provider, result.token.clientId),
      email: result.token.email,
      token: ctx.query.token,
      action: `${interactionPath(result.token.interactionUid)}/verify`,
    });
  });

  router.post('/interaction/:uid/verify', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const input = {
      rawToken: (ctx.request.body as Record<string, unknown> | undefined)?.token,
      interactionUid: ctx.params.uid!,
      bindingNonce: deps.bindingCookie.read(ctx),
      sameOrigin: isSameOrigin(ctx, deps.issuerOrigin),
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
      renderReason(ctx, pages, result.reason);
      return;
    }
    const now = deps.clock.now();
    const { user, created } = await deps.users.findOrCreate(result.token.email, newUserId(), now);
    if (created) deps.audit('account.created', { accountId: user.id, clientId: result.token.clientId });
    await deps.users.recordLogin(user.id, now);
    deps.audit('login.completed', { accountId: user.id, clientId: result.token.clientId, interactionUid: details.uid });
    await finishInteraction(
      provider,
      ctx,
      { login: { accountId: user.id, acr: EMAIL_LINK_ACR, amr: EMAIL_LINK_AMR, remember: true } },
      { mergeWithLastSubmission: false },
    );
  });
}
