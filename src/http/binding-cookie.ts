// The browser-binding cookie: a random nonce set when the email form is submitted. A link only
// signs in the browser that holds it, so a scanner or another device that opens the link cannot.
import type { Context } from 'koa';
import { BINDING_NONCE_PATTERN, newBindingNonce } from '../kernel/token-crypto.js';

const MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface BindingCookie {
  read(ctx: Context): string | undefined;
  /** Returns this browser's nonce, setting the cookie if it has none yet. */
  ensure(ctx: Context): string;
}

export function createBindingCookie(options: { https: boolean }): BindingCookie {
  // __Host- pins the cookie to this exact origin (Secure, Path=/, no Domain) when browsers allow it.
  const name = options.https ? '__Host-linkid-binding' : 'linkid-binding';
  const read = (ctx: Context) => {
    const value = ctx.cookies.get(name);
    return value && BINDING_NONCE_PATTERN.test(value) ? value : undefined;
  };
  return {
    read,
    ensure(ctx) {
      const existing = read(ctx);
      if (existing) return existing;
      const nonce = newBindingNonce();
      if (options.https) ctx.cookies.secure = true;
      ctx.cookies.set(name, nonce, {
        httpOnly: true,
        sameSite: 'lax',
        secure: options.https,
        path: '/',
        maxAge: MAX_AGE_MS,
        signed: false,
        overwrite: true,
      });
      return nonce;
    },
  };
}
