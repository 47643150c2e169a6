// oidc-provider's own pages (errors, logout) rendered with our views, so they look like the rest
// of linkid, load no external assets and carry the request id.
import type { Context } from 'koa';
import type { Configuration } from 'oidc-provider';

/** Renders one of our views as the response (src/http's renderer, handed in). */
export type RenderPage = (ctx: Context, view: string, data: Record<string, unknown>) => void;

const ERROR_WORDS: Record<string, string> = {
  invalid_request: 'The app sent a request we cannot accept.',
  invalid_client: 'The app is not registered here, or its registration has changed.',
  invalid_redirect_uri: 'The app asked to return to an address it has not registered.',
  unauthorized_client: 'The app is not allowed to make this request.',
  access_denied: 'Access was denied.',
  server_error: 'Something went wrong on our side.',
};

export function pagesConfiguration(renderPage: RenderPage): Configuration {
  return {
    async renderError(ctx, out) {
      const error = String(out.error ?? 'server_error');
      renderPage(ctx, 'error', {
        title: 'Sign-in could not continue',
        heading: 'Sign-in could not continue',
        message: ERROR_WORDS[error] ?? 'The request could not be completed.',
        next: out.error_description ? `Details: ${String(out.error_description)}` : 'Go back to the app and try again.',
        reason: error,
      });
    },
    features: {
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          renderPage(ctx, 'logout', { title: 'Sign out', form, appName: ctx.oidc.client?.clientName });
        },
        async postLogoutSuccessSource(ctx) {
          renderPage(ctx, 'logged-out', { title: 'Signed out', appName: ctx.oidc.client?.clientName });
        },
      },
    },
  };
}
