// The interaction pages oidc-provider sends the browser to: the email form, "check your email",
// and cancel. The prompt name decides what the page shows; consent lives in consent.ts.
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { normalizeEmail } from '../../login/email-address.js';
import type { MagicLinkService } from '../../login/magic-link-service.js';
import { REASONS } from '../../login/reasons.js';
import { interactionPath } from '../../oidc/provider.js';
import type { BindingCookie } from '../binding-cookie.js';
import { clientNameOf, finishInteraction, loadInteraction, type InteractionDetails } from '../interaction-details.js';
import { renderPage } from '../render.js';
import { grantConsent, renderConsent, type ConsentDeps } from './consent.js';

export interface InteractionRouteDeps extends ConsentDeps {
  readonly magicLinks: MagicLinkService;
  readonly bindingCookie: BindingCookie;
  readonly loginTokenTtlSeconds: number;
  readonly isFirstParty: (clientId: string) => Promise<boolean>;
}

export function interactionRoutes(router: Router, deps: InteractionRouteDeps): void {
  const { provider, pages } = deps;

  const renderEmailForm = async (ctx: Context, details: InteractionDetails, email: string, error?: string) => {
    const uid = details.uid;
    renderPage(ctx, pages, 'email-form', {
      title: 'Sign in',
      appName: await clientNameOf(provider, details.params.client_id),
      email,
      error,
      action: `${interactionPath(uid)}/login`,
      abortAction: `${interactionPath(uid)}/abort`,
    });
  };

  router.get('/interaction/:uid', async (ctx) => {
    const details = await loadInteraction(provider, ctx);
    if (details.prompt.name === 'login') {
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint.slice(0, 254) : '';
      await renderEmailForm(ctx, details, hint);
      return;
    }
    if (details.prompt.name === 'consent') {
      if (await deps.isFirstParty(String(details.params.client_id))) {
        await grantConsent(provider, ctx, details, deps.audit);
        return;
      }
      await renderConsent(ctx, deps, details);
      return;
    }
    // Any other prompt is one this provider never configures.
    await finishInteraction(provider, ctx, { error: 'invalid_request', error_description: 'unsupported prompt' });
  });

  router.post('/interaction/:uid/login', async (ctx) => {
    const details = await loadInteraction(provider, ctx);
    if (details.prompt.name !== 'login') {
      ctx.status = 303;
      ctx.redirect(interactionPath(details.uid));
      return;
    }
    const typed = (ctx.request.body as Record<string, unknown> | undefined)?.email;
    const email = normalizeEmail(typed);
    if (!email) {
      await renderEmailForm(ctx, details, typeof typed === 'string' ? typed.slice(0, 254) : '', REASONS.invalid_email.next);
      ctx.status = REASONS.invalid_email.status;
      return;
    }
    await deps.magicLinks.issue({
      email,
      interactionUid: details.uid,
      clientId: String(details.params.client_id),
      clientName: await clientNameOf(provider, details.params.client_id),
      bindingNonce: deps.bindingCookie.ensure(ctx),
      ip: ctx.ip,
      userAgent: ctx.get('user-agent'),
    });
    renderPage(ctx, pages, 'check-email', {
      title: 'Check your email',
      email,
      appName: await clientNameOf(provider, details.params.client_id),
      minutes: Math.round(deps.loginTokenTtlSeconds / 60),
      restartUrl: interactionPath(details.uid),
    });
  });

  router.post('/interaction/:uid/abort', async (ctx) => {
    await loadInteraction(provider, ctx);
    await finishInteraction(
      provider,
      ctx,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
  });
}
