// Only ISSUER's host is answered. oidc-provider builds every absolute URL it hands out (discovery,
// redirects, form actions) from the request's host and protocol, so answering `Host: evil.example`
// would advertise evil.example to anything that caches the answer. Rules:
// - the effective host (Host, or X-Forwarded-Host when TRUST_PROXY=true; Koa's ctx.host) must be
//   ISSUER's host:port, compared as URLs compare them: any letter case, default port optional;
// - a scheme the request states (TLS on the socket, or X-Forwarded-Proto from a trusted proxy)
//   must be ISSUER's: a proxy reporting plain http for an https issuer has a client on the wrong
//   origin, where our Secure cookies do not work;
// - a request that does not state its scheme (plain http from a TLS proxy we were not told to
//   trust) is treated as ISSUER's scheme, so URLs built from it are ISSUER's, never http:// ones;
// - a request target in absolute form (`GET http://evil.example/... HTTP/1.1`, which Node accepts
//   as RFC 9112 says a server must) names its own scheme and host, and Koa's ctx.href, from which
//   oidc-provider builds URLs, then follows it: it must name ISSUER's too;
// - /healthz, /readyz and /metrics are exempt: probes and Prometheus use their own Host (a pod
//   IP) and these build no URLs.
// A refusal is 421 host_mismatch and never repeats the host it was sent.
import type { TLSSocket } from 'node:tls';
import type { Context, Middleware } from 'koa';
import type { Audit } from '../kernel/audit.js';
import type { Logger } from '../kernel/ports.js';
import type { PageDeps } from '../i18n/pages.js';
import { renderReason } from './errors.js';

const HOST_FREE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** host[:port] as a URL with `protocol` holds it (lower case, default port dropped), or undefined. */
function canonicalHost(host: string, protocol: string): string | undefined {
  const url = URL.parse(`${protocol}//${host}`);
  if (!url || url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
  return url.host;
}

/** The scheme the request says it came over, when it says (first value, as Koa reads it). */
function statedScheme(ctx: Context): string | undefined {
  if ((ctx.req.socket as TLSSocket).encrypted) return 'https';
  if (!ctx.app.proxy) return undefined;
  return ctx.get('X-Forwarded-Proto').split(',')[0]?.trim().toLowerCase() || undefined;
}

/** Whether an absolute-form request target names another origin than ISSUER's. */
function foreignTarget(target: string, issuer: URL): boolean {
  if (target.startsWith('/')) return false;
  const url = URL.parse(target);
  return !url || url.protocol !== issuer.protocol || url.host !== issuer.host || Boolean(url.username || url.password);
}

export function hostCheck(options: { issuer: string; pages: PageDeps; logger: Logger; audit: Audit }): Middleware {
  const issuer = new URL(options.issuer);
  const scheme = issuer.protocol.slice(0, -1);
  return async (ctx, next) => {
    if (HOST_FREE_PATHS.has(ctx.path)) {
      await next();
      return;
    }
    const stated = statedScheme(ctx);
    // ISSUER's own host as written is the usual case, and canonical already: no URL to parse.
    const host = ctx.host;
    const hostMatches = (host === issuer.host || canonicalHost(host, issuer.protocol) === issuer.host) && !foreignTarget(ctx.originalUrl, issuer);
    if (!hostMatches || (stated !== undefined && stated !== scheme)) {
      // The received host goes to the log (it tells an operator what the proxy sends), never to the response.
      options.logger.info(
        { reason: 'host_mismatch', requestId: ctx.state.requestId, path: ctx.path, host: ctx.host.slice(0, 100), scheme: stated?.slice(0, 10) },
        'request refused',
      );
      options.audit('login.refused', { reason: 'host_mismatch', step: 'host' });
      renderReason(ctx, options.pages, 'host_mismatch');
      return;
    }
    // Shadows Koa's protocol getter for this request only; ctx.href, ctx.origin and ctx.secure follow.
    if (ctx.request.protocol !== scheme) Object.defineProperty(ctx.request, 'protocol', { value: scheme });
    await next();
  };
}
