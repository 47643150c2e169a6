// The interaction pages oidc-provider sends the browser to: the email form, "check your email"
// with the code field and the resend button, and cancel. The prompt name decides what the page
// shows; consent lives in consent.ts.
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { normalizeEmail } from '../../login/email-address.js';
import type { MagicLinkService } from '../../login/magic-link-service.js';
import { REASONS, type Reason } from '../../login/reasons.js';
import { sha256 } from '../../login/token-crypto.js';
import { interactionPath } from '../../oidc/provider.js';
import type { MailQueueStore, MailStatus } from '../../store/port.js';
import type { BindingCookie } from '../binding-cookie.js';
import { completeSignIn, type CompleteSignInDeps } from '../complete-sign-in.js';
import { renderReason } from '../errors.js';
import { clientNameOf, finishInteraction, loadInteraction, type InteractionDetails } from '../interaction-details.js';
import { renderPage } from '../render.js';
import { grantConsent, renderConsent, type ConsentDeps } from './consent.js';

export interface InteractionRouteDeps extends ConsentDeps, CompleteSignInDeps {
  readonly mailQueue: MailQueueStore;
  readonly magicLinks: MagicLinkService;
  readonly bindingCookie: BindingCookie;
  readonly loginTokenTtlSeconds: number;
  readonly resendCooldownSeconds: number;
  readonly isFirstParty: (clientId: string) => Promise<boolean>;
}

/** What the check-your-email page says for each delivery state. Bounces and suppressions read the same. */
export const DELIVERY_WORDS: Record<MailStatus, { label: string; detail: string }> = {
  queued: { label: 'Sending…', detail: 'Your email is on its way to our mail service.' },
  sent: { label: 'Sent', detail: 'Your email has left our mail service. It usually arrives within a minute.' },
  delivered: { label: 'Delivered', detail: 'Your email was delivered. Check your inbox (and the spam folder).' },
  failed: { label: 'Not delivered', detail: 'We could not send your email. Try again in a moment, or use another address.' },
  suppressed: {
    label: 'Not delivered',
    detail: 'Mail to this address could not be delivered (it bounced or was reported as spam before). Use another address.',
  },
};

const bodyField = (ctx: Context, name: string): unknown => (ctx.request.body as Record<string, unknown> | undefined)?.[name];

export function interactionRoutes(router: Router, deps: InteractionRouteDeps): void {
  const { provider, pages } = deps;

  const renderEmailForm = async (ctx: Context, details: InteractionDetails, email: string, error?: string) => {
    renderPage(ctx, pages, 'email-form', {
      title: 'Sign in',
      appName: await clientNameOf(provider, details.params.client_id),
      email,
      error,
      action: `${interactionPath(details.uid)}/login`,
      abortAction: `${interactionPath(details.uid)}/abort`,
    });
  };

  const renderCheckEmail = async (ctx: Context, details: InteractionDetails, email: string, error?: Reason, appName?: string) => {
    renderPage(ctx, pages, 'check-email', {
      title: 'Check your email',
      email,
      appName: appName ?? (await clientNameOf(provider, details.params.client_id)),
      minutes: Math.round(deps.loginTokenTtlSeconds / 60),
      codeAction: `${interactionPath(details.uid)}/code`,
      resendAction: `${interactionPath(details.uid)}/login`,
      restartUrl: interactionPath(details.uid),
      cooldownSeconds: deps.resendCooldownSeconds,
      deliveryUrl: `${interactionPath(details.uid)}/delivery`,
      error: error && `${REASONS[error].title}. ${REASONS[error].next}`,
    });
    if (error) ctx.status = REASONS[error].status;
  };

  const loadLoginInteraction = async (ctx: Context) => {
    const details = await loadInteraction(provider, ctx);
    if (details.prompt.name === 'login') return details;
    ctx.status = 303;
    ctx.redirect(interactionPath(details.uid));
    return undefined;
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

  // The email form, and the resend button on "check your email" (same request, same limits).
  router.post('/interaction/:uid/login', async (ctx) => {
    const details = await loadLoginInteraction(ctx);
    if (!details) return;
    const typed = bodyField(ctx, 'email');
    const email = normalizeEmail(typed);
    if (!email) {
      await renderEmailForm(ctx, details, typeof typed === 'string' ? typed.slice(0, 254) : '', REASONS.invalid_email.next);
      ctx.status = REASONS.invalid_email.status;
      return;
    }
    const clientName = await clientNameOf(provider, details.params.client_id);
    const decision = await deps.magicLinks.requestLink({
      email,
      interactionUid: details.uid,
      clientId: String(details.params.client_id),
      clientName,
      bindingNonce: deps.bindingCookie.ensure(ctx),
      ip: ctx.ip,
      userAgent: ctx.get('user-agent'),
      requestId: ctx.state.requestId,
    });
    if (!decision.allow) {
      renderReason(ctx, pages, decision.reason, { retryAfterSeconds: decision.retryAfterSeconds });
      return;
    }
    await renderCheckEmail(ctx, details, email, undefined, clientName);
  });

  // The code from the email, typed in the window where the sign-in started.
  router.post('/interaction/:uid/code', async (ctx) => {
    const details = await loadLoginInteraction(ctx);
    if (!details) return;
    const result = await deps.magicLinks.verifyCode({
      code: bodyField(ctx, 'code'),
      interactionUid: details.uid,
      bindingNonce: deps.bindingCookie.read(ctx),
      ip: ctx.ip,
    });
    if (!result.allow) {
      if (result.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(result.retryAfterSeconds));
      const email = normalizeEmail(bodyField(ctx, 'email')) ?? '';
      await renderCheckEmail(ctx, details, email, result.reason);
      return;
    }
    await completeSignIn(ctx, deps, result.token, 'code');
  });

  // What happened to the email, for the check-your-email page. Answers only the browser that
  // asked: it needs this interaction's cookie and the browser-binding cookie.
  router.get('/interaction/:uid/delivery', async (ctx) => {
    const details = await loadInteraction(provider, ctx);
    const binding = deps.bindingCookie.read(ctx);
    const mail = binding ? await deps.mailQueue.latestFor(details.uid, sha256(binding)) : undefined;
    const status = mail?.status ?? 'queued';
    ctx.body = { status, ...DELIVERY_WORDS[status] };
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
