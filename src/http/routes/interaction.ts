// The interaction pages oidc-provider sends the browser to: the email form, "check your email"
// with the code field, the resend button and the delivery status, and abort. The prompt name
// decides what the page shows; consent lives in consent.ts. Each handler reads its input through
// a schema and hands it to a sign-in step (src/login/steps/).
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { FLOW_ROUTES, flowPath } from '../../login/flow-paths.js';
import type { App } from '../../login/app-policy.js';
import { normalizeEmail } from '../../kernel/email-address.js';
import { consentNeeded, linkTtlSeconds } from '../../login/policy.js';
import { REASONS, type Reason } from '../../kernel/reasons.js';
import type { SignIn } from '../../login/sign-in.js';
import type { Translate } from '../../i18n/catalog.js';
import type { MailStatus } from '../../store/port.js';
import type { BrandPage } from '../app-branding.js';
import type { BindingCookie } from '../binding-cookie.js';
import { ReasonError, renderReason } from '../errors.js';
import { readBody, textField } from '../form-input.js';
import { clientNameOf, finishInteraction, resumeWithLogin, loadInteraction, type InteractionDetails } from '../interaction-details.js';
import { pageLocale, pageTranslator, renderPage } from '../render.js';
import type { LinkidState } from '../state.js';
import { ACCOUNT_CLIENT_ID, INTENT_PARAM } from '../../oidc/account-client.js';
import { ACCOUNT_ROUTES } from './account.js';
import { grantConsent, renderConsent, type ConsentDeps } from './consent.js';
import { renderDeviceApproval } from './device.js';

export interface InteractionRouteDeps extends ConsentDeps {
  readonly signIn: SignIn;
  readonly bindingCookie: BindingCookie;
  /** The global cap; an app's own link lifetime may be shorter. */
  readonly loginTokenTtlSeconds: number;
  readonly resendCooldownSeconds: number;
  /** Finds the app a page belongs to and dresses the page in its brand. */
  readonly brandPage: BrandPage;
}

/** What the check-your-email page says for each delivery state (`delivery.<status>.*` in views/locales/). */
const deliveryWords = (t: Translate, status: MailStatus) => ({ label: t(`delivery.${status}.label`), detail: t(`delivery.${status}.detail`) });

const MAX_TYPED_ADDRESS = 1024;
const emailForm = z.object({ email: textField(MAX_TYPED_ADDRESS) });
/** The code form carries the address back as a hidden field, only to show it again. */
const codeForm = z.object({ code: textField(64), email: textField(MAX_TYPED_ADDRESS) });

export function interactionRoutes(router: Router<LinkidState>, deps: InteractionRouteDeps): void {
  const { provider, pages, signIn } = deps;

  const renderEmailForm = async (ctx: Context, details: InteractionDetails, email: string, error?: string) => {
    renderPage(ctx, pages, 'email-form', {
      appName: await clientNameOf(provider, details.params.client_id),
      email,
      error,
      action: flowPath('requestLink', details.uid),
      abortAction: flowPath('abort', details.uid),
      // Through the account page's own sign-in, so a recovered person lands on "change email".
      recoverUrl: ACCOUNT_ROUTES.recover,
    });
  };

  const renderCheckEmail = async (ctx: Context, details: InteractionDetails, app: App | undefined, email: string, error?: Reason, appName?: string) => {
    const t = pageTranslator(ctx, pages);
    const ttlSeconds = app ? linkTtlSeconds(deps.loginTokenTtlSeconds, app.policy) : deps.loginTokenTtlSeconds;
    renderPage(ctx, pages, 'check-email', {
      email,
      appName: appName ?? (await clientNameOf(provider, details.params.client_id)),
      minutes: Math.round(ttlSeconds / 60),
      codeAction: flowPath('code', details.uid),
      resendAction: flowPath('requestLink', details.uid),
      restartUrl: flowPath('interaction', details.uid),
      cooldownSeconds: deps.resendCooldownSeconds,
      deliveryUrl: flowPath('delivery', details.uid),
      approvalUrl: flowPath('approvalStatus', details.uid),
      continueAction: flowPath('finishApproval', details.uid),
      error: error && `${t(`reason.${error}.title`)}. ${t(`reason.${error}.next`)}`,
    });
    if (error) ctx.status = REASONS[error].status;
  };

  /** The interaction, if it still asks for a login; otherwise the browser goes to whatever it asks now. */
  const loadLoginInteraction = async (ctx: Context) => {
    const details = await loadInteraction(provider, ctx);
    if (details.prompt.name === 'login') return details;
    ctx.status = 303;
    ctx.redirect(flowPath('interaction', details.uid));
    return undefined;
  };

  router.get(FLOW_ROUTES.interaction, async (ctx) => {
    const details = await loadInteraction(provider, ctx);
    const app = await deps.brandPage(ctx, details.params.client_id);
    if (details.prompt.name === 'login') {
      // A sign-in started as "lost access to your email" opens on the recovery form; its
      // "back" link asks for the email form (the interaction cookie is scoped to this path, so
      // the recovery form must not be the interaction's own URL).
      if (details.params.client_id === ACCOUNT_CLIENT_ID && details.params[INTENT_PARAM] === 'recover' && ctx.query.with !== 'link') {
        ctx.status = 303;
        ctx.redirect(flowPath('recover', details.uid));
        return;
      }
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint.slice(0, 254) : '';
      await renderEmailForm(ctx, details, hint);
      return;
    }
    if (details.prompt.name === 'consent') {
      // A device's sign-in is always approved by the person, with its code in view (routes/device.ts).
      if (typeof details.deviceCode === 'string') {
        await renderDeviceApproval(ctx, deps, details, details.deviceCode);
        return;
      }
      if (app && !consentNeeded(app.policy)) {
        await grantConsent(provider, ctx, details, deps.audit);
        return;
      }
      await renderConsent(ctx, deps, details);
      return;
    }
    // Any other prompt is one this provider never configures.
    await finishInteraction(provider, ctx, { error: 'invalid_request', error_description: 'unsupported prompt' });
  });

  // The email form, and the resend button on "check your email" (same request, same limits).
  router.post(FLOW_ROUTES.requestLink, async (ctx) => {
    const details = await loadLoginInteraction(ctx);
    if (!details) return;
    const app = await deps.brandPage(ctx, details.params.client_id);
    const typed = readBody(ctx, emailForm).email;
    const email = normalizeEmail(typed);
    if (!email) {
      await renderEmailForm(ctx, details, typed.slice(0, 254), pageTranslator(ctx, pages)('reason.invalid_email.next'));
      ctx.status = REASONS.invalid_email.status;
      return;
    }
    const clientName = await clientNameOf(provider, details.params.client_id);
    const decision = await signIn.requestLink({
      email,
      interactionUid: details.uid,
      clientId: String(details.params.client_id),
      clientName,
      bindingNonce: deps.bindingCookie.ensure(ctx),
      ip: ctx.ip,
      userAgent: ctx.get('user-agent'),
      requestId: ctx.state.requestId,
      locale: pageLocale(ctx, pages),
    });
    if (!decision.allow) {
      // After the wait the page states, the form again (a limit is the only refusal here that passes).
      const retry = decision.reason === 'rate_limited' ? { url: flowPath('interaction', details.uid), label: 'error.tryAgain' } : undefined;
      renderReason(ctx, pages, decision.reason, { retryAfterSeconds: decision.retryAfterSeconds, link: retry });
      return;
    }
    await renderCheckEmail(ctx, details, app, email, undefined, clientName);
  });

  // The code from the email, typed in the window where the sign-in started.
  router.post(FLOW_ROUTES.code, async (ctx) => {
    const details = await loadLoginInteraction(ctx);
    if (!details) return;
    const app = await deps.brandPage(ctx, details.params.client_id);
    const form = readBody(ctx, codeForm);
    const result = await signIn.verifyCode({ code: form.code, interactionUid: details.uid, bindingNonce: deps.bindingCookie.read(ctx), ip: ctx.ip });
    if (!result.allow) {
      if (result.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(result.retryAfterSeconds));
      await renderCheckEmail(ctx, details, app, normalizeEmail(form.email) ?? '', result.reason);
      return;
    }
    await resumeWithLogin(ctx, deps, await signIn.finishSignIn(result.token, 'code'));
  });

  // Approved from another browser? The check-your-email page polls this to show its number, and
  // presses "Continue" once approved. Only the browser that started the sign-in gets an answer.
  router.get(FLOW_ROUTES.approvalStatus, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    // A sign-in ended (a wrong number, "This wasn't me") is an answer the page shows, not an error.
    const details = await loadInteraction(provider, ctx).catch((error: unknown) => {
      if (error instanceof ReasonError && error.reason === 'sign_in_cancelled') return undefined;
      throw error;
    });
    ctx.body = details ? await signIn.approvalStatus(details.uid, deps.bindingCookie.read(ctx)) : { state: 'ended' };
  });

  // "Continue": pressed by the page's script once approved, or by hand (it works without JavaScript).
  router.post(FLOW_ROUTES.finishApproval, async (ctx) => {
    const details = await loadLoginInteraction(ctx);
    if (!details) return;
    await deps.brandPage(ctx, details.params.client_id);
    const result = await signIn.finishApproval(details.uid, deps.bindingCookie.read(ctx));
    if ('state' in result) {
      renderPage(ctx, pages, 'approval-waiting', {
        number: result.state === 'asked' ? result.number : undefined,
        continueAction: flowPath('finishApproval', details.uid),
      });
      return;
    }
    if (!result.allow) {
      renderReason(ctx, pages, result.reason, { retryAfterSeconds: result.retryAfterSeconds });
      return;
    }
    await resumeWithLogin(ctx, deps, await signIn.finishSignIn(result.token, 'approval'));
  });

  // What happened to the email, for the check-your-email page: only this interaction's browser asks.
  router.get(FLOW_ROUTES.delivery, async (ctx) => {
    const details = await loadInteraction(provider, ctx);
    const status = await signIn.deliveryStatus(details.uid, deps.bindingCookie.read(ctx));
    ctx.body = { status, ...deliveryWords(pageTranslator(ctx, pages), status) };
  });

  router.post(FLOW_ROUTES.abort, async (ctx) => {
    await loadInteraction(provider, ctx);
    await finishInteraction(provider, ctx, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
  });
}
