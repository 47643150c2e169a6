// Headers every response gets. The CSP is set before downstream middleware runs because
// oidc-provider's form_post page appends its script hash to an existing script-src.
//
// form-action is added after the response is built: browsers apply it to every redirect that
// follows a form POST, and ours end at the app (confirm, code, consent and abort answer 303 to
// /auth/:uid, which answers 303 to the client's redirect_uri; oidc-provider's form_post page and
// logout form do the same). So a page that belongs to a client allows that client's registered
// redirect targets, and every other page only our own origin.
import { randomBytes } from 'node:crypto';
import type { Context, Middleware } from 'koa';

/** Our routes name the client a page belongs to; oidc-provider's own pages carry ctx.oidc.client. */
export function formsLeadTo(ctx: Context, clientId: unknown): void {
  if (typeof clientId === 'string') ctx.state.formClientId = clientId;
}

interface RedirectingClient {
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
}

/** A CSP source for where a redirect may land: the origin of an http(s) URI, the scheme of a native app's. */
function sourceFor(uri: string): string | undefined {
  const url = URL.parse(uri);
  if (!url) return undefined;
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : undefined;
}

export interface SecurityHeaderOptions {
  readonly https: boolean;
  readonly findClient: (clientId: string) => Promise<RedirectingClient | undefined>;
}

async function formTargets(ctx: Context, findClient: SecurityHeaderOptions['findClient']): Promise<string[]> {
  if (!ctx.response.is('html')) return [];
  const oidc = (ctx as { oidc?: { client?: RedirectingClient; session?: { state?: { clientId?: unknown } } } }).oidc;
  const oidcClient = oidc?.client;
  // A sign-in that changes the account resumes through oidc-provider's self-submitting logout
  // form (/auth/:uid), which names its client only in the session state; that form ends at the app.
  const pending = oidc?.session?.state?.clientId;
  const clientId = (ctx.state.formClientId as string | undefined) ?? (typeof pending === 'string' ? pending : undefined);
  const client = oidcClient ?? (clientId ? await findClient(clientId) : undefined);
  const uris = [...(client?.redirectUris ?? []), ...(client?.postLogoutRedirectUris ?? [])];
  return [...new Set(uris.map(sourceFor).filter((source): source is string => Boolean(source)))];
}

/**
 * Paths that answer JSON (oidc-provider's default routes, which provider.ts keeps, and our probes
 * and /version; and everything under /admin/api/). No page is built there, so no nonce is made up front: they get a fixed policy
 * that allows nothing. Should one render a page after all (a refused host, a 404), the nonce is
 * made when the page asks for it and the page gets the usual policy.
 */
const JSON_PATHS = new Set([
  '/.well-known/openid-configuration',
  '/jwks',
  '/token',
  '/token/introspection',
  '/token/revocation',
  '/me',
  '/healthz',
  '/readyz',
  '/metrics',
  '/version',
]);
const NOTHING_ALLOWED = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const pagePolicy = (nonce: string) =>
  [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    // The check-your-email page polls its delivery status.
    "connect-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

/** A nonce for a page, with the page policy that allows it. */
function newNonce(ctx: Context): string {
  const nonce = randomBytes(16).toString('base64');
  ctx.set('Content-Security-Policy', pagePolicy(nonce));
  return nonce;
}

/**
 * The CSP nonce of this response, for the page being rendered. On a JSON path none was made up
 * front; the first page to ask makes one (and the page policy with it).
 */
export function pageNonce(ctx: Context): string {
  const state = ctx.state as { nonce?: string };
  return (state.nonce ??= newNonce(ctx));
}

export function securityHeaders(options: SecurityHeaderOptions): Middleware {
  return async (ctx, next) => {
    if (JSON_PATHS.has(ctx.path) || ctx.path.startsWith('/admin/api/')) ctx.set('Content-Security-Policy', NOTHING_ALLOWED);
    else ctx.state.nonce = newNonce(ctx);
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (options.https) {
      ctx.set('Strict-Transport-Security', 'max-age=63072000');
      // Browsers reach us over https even when TLS ends at a proxy we were not told to trust;
      // let Secure cookies be set regardless.
      ctx.cookies.secure = true;
    }
    try {
      await next();
    } finally {
      if (ctx.state.nonce !== undefined) {
        const targets = await formTargets(ctx, options.findClient).catch(() => []);
        const csp = ctx.response.get('Content-Security-Policy');
        // A page of an app with a logo elsewhere (app-branding.ts) may load that one origin's images.
        const images = ctx.state.imageOrigin as string | undefined;
        const withImages = images && ctx.response.is('html') ? csp.replace("img-src 'self' data:", `img-src 'self' data: ${images}`) : csp;
        // Front-channel logout frames its apps' logout URIs (src/oidc/frontchannel-logout.ts names their origins).
        const frames = (ctx.state.frameSources as string[] | undefined)?.join(' ');
        if (csp) ctx.set('Content-Security-Policy', `${withImages}; form-action ${["'self'", ...targets].join(' ')}${frames ? `; frame-src ${frames}` : ''}`);
      }
    }
  };
}
