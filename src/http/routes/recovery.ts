// "Lost access to your email?": the recovery-code form inside a sign-in. GET shows it, POST hands
// the address and code to the sign-in's redeemRecoveryCode step; a right pair finishes the sign-in
// as a confirmed link does. It lives under /interaction/:uid because that is
// where oidc-provider's interaction cookie is sent. Malformed input is answered on the form
// itself (it says nothing about any account); every other refusal is the same reason page for
// every address.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { normalizeEmail } from '../../kernel/email-address.js';
import { FLOW_ROUTES, flowPath } from '../../login/flow-paths.js';
import type { SignIn } from '../../login/sign-in.js';
import { REASONS, type Reason } from '../../kernel/reasons.js';
import type { BrandPage } from '../app-branding.js';
import { renderReason } from '../errors.js';
import { readBody, textField } from '../form-input.js';
import { clientNameOf, loadInteraction, resumeWithLogin, type InteractionDetails } from '../interaction-details.js';
import { pageTranslator, renderPage } from '../render.js';
import type { PageDeps } from '../../i18n/pages.js';
import type { LinkidState } from '../state.js';

export interface RecoveryRouteDeps {
  readonly provider: Provider;
  readonly pages: PageDeps;
  readonly signIn: Pick<SignIn, 'redeemRecoveryCode' | 'finishSignIn'>;
  readonly brandPage: BrandPage;
}

const recoveryForm = z.object({ email: textField(1024), code: textField(64) });

/** Refusals after which trying again with another code makes sense. */
const TRY_AGAIN: ReadonlySet<Reason> = new Set(['recovery_invalid', 'rate_limited']);

export function recoveryRoutes(router: Router<LinkidState>, deps: RecoveryRouteDeps): void {
  const { provider, pages } = deps;

  const renderForm = async (ctx: Context, details: InteractionDetails, email: string, error?: Reason) => {
    const t = pageTranslator(ctx, pages);
    renderPage(ctx, pages, 'recovery-form', {
      appName: await clientNameOf(provider, details.params.client_id),
      email,
      error: error && `${t(`reason.${error}.title`)}. ${t(`reason.${error}.next`)}`,
      errorField: error === 'invalid_email' ? 'email' : 'code',
      action: flowPath('recover', details.uid),
      // ?with=link: the email form even in a sign-in started as "lost access" (interaction.ts).
      backUrl: `${flowPath('interaction', details.uid)}?with=link`,
    });
    if (error) ctx.status = REASONS[error].status;
  };

  /** The interaction, if it still asks for a login; otherwise the browser goes to whatever it asks now. */
  const loadLoginInteraction = async (ctx: Context) => {
    const details = await loadInteraction(provider, ctx);
    await deps.brandPage(ctx, details.params.client_id);
    if (details.prompt.name === 'login') return details;
    ctx.status = 303;
    ctx.redirect(flowPath('interaction', details.uid));
    return undefined;
  };

  router.get(FLOW_ROUTES.recover, async (ctx) => {
    const details = await loadLoginInteraction(ctx);
    if (details) await renderForm(ctx, details, '');
  });

  router.post(FLOW_ROUTES.recover, async (ctx) => {
    const details = await loadLoginInteraction(ctx);
    if (!details) return;
    const form = readBody(ctx, recoveryForm);
    const email = normalizeEmail(form.email);
    if (!email) {
      await renderForm(ctx, details, form.email.slice(0, 254), 'invalid_email');
      return;
    }
    const clientId = String(details.params.client_id);
    const redeemed = await deps.signIn.redeemRecoveryCode({ email, code: form.code, ip: ctx.ip, interactionUid: details.uid, clientId });
    if (!redeemed.allow) {
      if (redeemed.reason === 'recovery_malformed') {
        await renderForm(ctx, details, email, redeemed.reason);
        return;
      }
      const link = TRY_AGAIN.has(redeemed.reason) ? { url: flowPath('recover', details.uid), label: 'recovery.tryAgain' } : undefined;
      renderReason(ctx, pages, redeemed.reason, { retryAfterSeconds: redeemed.retryAfterSeconds, link });
      return;
    }
    await resumeWithLogin(
      ctx,
      deps,
      await deps.signIn.finishSignIn({ email: redeemed.user.email, clientId, interactionUid: details.uid, user: redeemed.user }, 'recovery'),
    );
  });
}
