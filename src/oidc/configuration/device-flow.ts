// The device authorization grant (RFC 8628) for apps registered with --device-flow: a TV or a
// command-line app shows a short user code and ISSUER/device; the person types the code there,
// signs in with the magic link as for any app, approves the device (src/oidc/device-approval.ts
// asks for that after the sign-in, src/http/routes/device.ts shows it) and the app's polling gets
// its tokens. oidc-provider serves /device itself; these are its pages, rendered with our views.
// Rules:
// - the code page is a form only: nothing is looked up until it is posted (with oidc-provider's
//   one-time xsrf value and, src/http/routes/device.ts, from our own origin);
// - posting a code starts the device's sign-in at once (`confirm`): the app's name and the code
//   are shown for approval once the person is signed in, so there is one decision, not two;
// - a code that names no device costs the IP one guess (RATE_LIMIT_DEVICE_CODE_PER_IP); a
//   malformed, expired or used one is its own reason page and costs nothing;
// - an approval is `device.authorized`, a denial (or a cancel) `device.denied`, with the app and
//   the account, never the code.
import type { Context } from 'koa';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Audit } from '../../kernel/audit.js';
import type { Decision } from '../../kernel/decisions.js';
import { formatUserCode, isUserCodeShaped, USER_CODE_CHARSET, USER_CODE_MASK } from '../../kernel/device-code-format.js';
import type { Reason } from '../../kernel/reasons.js';
import type { RenderPage, RenderReason } from './pages.js';

/** The path of the code page: `verification_uri` is ISSUER + this. */
export const DEVICE_PATH = '/device';

export interface DeviceFlowDeps {
  readonly renderPage: RenderPage;
  readonly renderReason: RenderReason;
  readonly audit: Audit;
  /** Spends one guess of the IP's budget for a code that named no device. */
  readonly countGuess: (ip: string) => Promise<Decision>;
}

const PREFILLED = Symbol('linkid device user code');

/**
 * `verification_uri_complete` (/device?user_code=...) would have oidc-provider post the code at
 * once from a self-submitting page; src/http/routes/device.ts takes the code out of the query and
 * hands it here instead, so the page only shows it in the form, to be posted by the person.
 */
export function prefillUserCode(ctx: Context, typed: string): void {
  (ctx.state as Record<symbol, string>)[PREFILLED] = typed.slice(0, 64);
}

const prefilled = (ctx: Context): string => (ctx.state as Record<symbol, string | undefined>)[PREFILLED] ?? '';

/** The one-time value oidc-provider put in the form it handed us, for our own form to carry. */
const xsrfOf = (form: string): string => /name="xsrf" value="([^"]*)"/.exec(form)?.[1] ?? '';

/** Every refusal at /device offers the code form again: the same code retyped, after a wait, or a new one from the device. */
const TRY_AGAIN_LABEL: Partial<Record<Reason, string>> = { device_code_expired: 'device.typeNewCode', device_code_used: 'device.typeNewCode' };
const tryAgain = (reason: Reason) => ({ url: DEVICE_PATH, label: TRY_AGAIN_LABEL[reason] ?? 'device.tryAgain' });

/** oidc-provider's re-render errors (not exported), by name. */
const REFUSAL_OF: Readonly<Record<string, Reason>> = {
  NoCodeError: 'device_code_malformed',
  ExpiredError: 'device_code_expired',
  AlreadyUsedError: 'device_code_used',
};

export function deviceFlowConfiguration({ renderPage, renderReason, audit, countGuess }: DeviceFlowDeps): NonNullable<Configuration['features']>['deviceFlow'] {
  const refuse = (ctx: KoaContextWithOIDC, reason: Reason, options: { retryAfterSeconds?: number; limit?: string } = {}) => {
    audit('login.refused', { reason, step: 'device', clientId: ctx.oidc.deviceCode?.clientId, ...(options.limit ? { limit: options.limit } : {}) });
    renderReason(ctx, reason, { retryAfterSeconds: options.retryAfterSeconds, link: tryAgain(reason) });
  };

  /** A typed code that oidc-provider found no device for. */
  const unknownCode = async (ctx: KoaContextWithOIDC, typed: unknown) => {
    if (typeof typed !== 'string' || !isUserCodeShaped(typed)) return refuse(ctx, 'device_code_malformed');
    const guess = await countGuess(ctx.ip);
    return guess.allow
      ? refuse(ctx, 'device_code_unknown')
      : refuse(ctx, 'rate_limited', { retryAfterSeconds: guess.retryAfterSeconds, limit: 'RATE_LIMIT_DEVICE_CODE_PER_IP' });
  };

  return {
    enabled: true,
    charset: USER_CODE_CHARSET,
    mask: USER_CODE_MASK,
    // Nothing about the device is kept with its code: the approval page names the app and the code.
    deviceInfo: () => ({}),
    async userCodeInputSource(ctx, form, out, err) {
      if (!err) {
        renderPage(ctx, 'device-code', { xsrf: xsrfOf(form), action: DEVICE_PATH, userCode: prefilled(ctx) });
        return;
      }
      if (err.name === 'AbortedError') {
        // Denied on the approval page, the device's code is read after this is rendered; the interaction names the app.
        const clientId = ctx.oidc.deviceCode?.clientId ?? ctx.oidc.entities.Interaction?.params.client_id;
        audit('device.denied', { clientId, accountId: ctx.oidc.session?.accountId });
        renderPage(ctx, 'device-done', { approved: false });
        ctx.status = 200;
        return;
      }
      if (err.name === 'NotFoundError') return unknownCode(ctx, (err as { userCode?: unknown }).userCode);
      const reason = REFUSAL_OF[err.name];
      if (reason) return refuse(ctx, reason);
      // oidc-provider's own refusals here: a stale form (its one-time value gone) or a resume
      // without its cookie. A fault stays a fault (and a store outage a 503, src/http/errors.ts).
      if (out?.error === 'server_error') return renderReason(ctx, 'server_error');
      return refuse(ctx, ctx.oidc.route === 'device_resume' ? 'interaction_expired' : 'invalid_request');
    },
    // Only reached by a code posted without `confirm` (our form always sends it): the same page, code filled in.
    async userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
      renderPage(ctx, 'device-code', {
        xsrf: xsrfOf(form),
        action: DEVICE_PATH,
        userCode: formatUserCode(userCode),
        appName: client.clientName ?? client.clientId,
      });
    },
    async successSource(ctx) {
      audit('device.authorized', { clientId: ctx.oidc.client?.clientId, accountId: ctx.oidc.session?.accountId });
      renderPage(ctx, 'device-done', { approved: true, appName: ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId });
    },
  };
}
