// Headers every response gets. The CSP is set before downstream middleware runs because
// oidc-provider's form_post page appends its script hash to an existing script-src.
import { randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';

export function securityHeaders(options: { https: boolean }): Middleware {
  return async (ctx, next) => {
    const nonce = randomBytes(16).toString('base64');
    ctx.state.nonce = nonce;
    ctx.set(
      'Content-Security-Policy',
      [
        "default-src 'none'",
        `script-src 'nonce-${nonce}'`,
        `style-src 'nonce-${nonce}'`,
        "img-src 'self' data:",
        // The check-your-email page polls its delivery status.
        "connect-src 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
    );
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
    await next();
  };
}
