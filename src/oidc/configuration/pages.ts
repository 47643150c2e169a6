// oidc-provider's own pages (errors, logout) rendered with our views, so they look like the rest
// of linkid, load no external assets and carry the request id, in the language the request asked for.
import type { Context } from 'koa';
import type { Configuration } from 'oidc-provider';
import { fromUiLocales } from '../../i18n/negotiate.js';
import type { Reason } from '../../kernel/reasons.js';

/** Renders one of our views as the response (src/http's renderer, handed in). */
export type RenderPage = (ctx: Context, view: string, data: Record<string, unknown>) => void;

/** Renders a refusal's reason page, with its status (src/http/errors.ts renderReason, handed in). */
export type RenderReason = (
  ctx: Context,
  reason: Reason,
  options?: { readonly retryAfterSeconds?: number | undefined; readonly link?: { readonly url: string; readonly label: string } | undefined },
) => void;

/** Errors with words of their own (`oidcError.<error>` in views/locales/); others read `oidcError.other`. */
const ERRORS_IN_WORDS: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_redirect_uri',
  'unauthorized_client',
  'access_denied',
  'server_error',
]);

/** The language the request asked for (authorization and end_session take ui_locales), if we ship it. */
function speakRequestedLanguage(ctx: Context): void {
  const locale = fromUiLocales((ctx.oidc as { params?: Record<string, unknown> } | undefined)?.params?.ui_locales);
  if (locale) ctx.state.locale = locale;
}

export function pagesConfiguration(renderPage: RenderPage): Configuration {
  return {
    async renderError(ctx, out) {
      const error = String(out.error ?? 'server_error');
      speakRequestedLanguage(ctx);
      renderPage(ctx, 'oidc-error', {
        messageKey: ERRORS_IN_WORDS.has(error) ? `oidcError.${error}` : 'oidcError.other',
        // oidc-provider's own description, in English: a detail for whoever helps, not prose.
        details: out.error_description ? String(out.error_description) : undefined,
        reason: error,
      });
    },
    features: {
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          speakRequestedLanguage(ctx);
          renderPage(ctx, 'logout', { form, appName: ctx.oidc.client?.clientName });
        },
        async postLogoutSuccessSource(ctx) {
          speakRequestedLanguage(ctx);
          renderPage(ctx, 'logged-out', { appName: ctx.oidc.client?.clientName });
        },
      },
    },
  };
}
