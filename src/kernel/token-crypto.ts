// The secrets of a sign-in: the link token, the one-time code, the browser-binding nonce and
// the recovery codes. Only digests of them are ever stored.
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

export const newLinkToken = (): string => randomBytes(32).toString('base64url');
export const newBindingNonce = (): string => randomBytes(32).toString('base64url');
export const newCode = (): string => randomInt(0, 1_000_000).toString().padStart(6, '0');

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** A 6-digit code has only 10^6 values, so a plain hash of it would be no secret: key it. */
export const codeHmac = (serverSecret: Buffer, tokenHash: string, code: string): string =>
  createHmac('sha256', serverSecret).update(`login-code\0${tokenHash}\0${code}`).digest('hex');

/**
 * A recovery code is stored only as this HMAC, keyed with the server secret and bound to its
 * account: a copy of the database yields no code, and a digest of one account's code is no use
 * for another. `code` is the canonical form (src/kernel/recovery-code-format.ts).
 */
export const recoveryCodeHmac = (serverSecret: Buffer, accountId: string, code: string): string =>
  createHmac('sha256', serverSecret).update(`recovery-code\0${accountId}\0${code}`).digest('hex');

export function equalDigests(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** Tokens are 43 base64url characters; anything else is rejected before touching the store. */
export const LINK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Binding nonces are made like link tokens (32 random bytes, base64url). */
export const BINDING_NONCE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * A short, non-secret handle of a stored token (its digest's first 12 hex digits) for the audit
 * trail and logs: enough to tell tokens apart in a replay, nothing to redeem one with.
 */
export const tokenId = (hash: string): string => hash.slice(0, 12);
