// The one place that decides whether a step of the magic-link flow may go ahead. Each decision
// is data ({ allow, reason }); routes turn reasons into pages through src/login/reasons.ts.
import type { LoginTokenRecord } from '../store/port.js';
import type { Reason } from './reasons.js';
import { equalDigests } from './token-crypto.js';

export type Decision = { readonly allow: true } | { readonly allow: false; readonly reason: Reason };

const allow: Decision = { allow: true };
const deny = (reason: Reason): Decision => ({ allow: false, reason });

/** Whether a link may show its confirm page. Opening never consumes anything. */
export function decideLinkOpen(token: LoginTokenRecord | undefined, now: number): Decision {
  if (!token) return deny('token_unknown');
  if (token.usedAt !== null) return deny('token_used');
  if (token.expiresAt <= now) return deny('token_expired');
  return allow;
}

export interface ConfirmRequest {
  readonly token: LoginTokenRecord | undefined;
  readonly now: number;
  /** The interaction the confirm form was posted to. */
  readonly interactionUid: string;
  /** sha256 of the binding cookie this browser sent, if any. */
  readonly bindingHash: string | undefined;
  readonly sameOrigin: boolean;
}

/**
 * Whether a confirm POST may try to consume the token. Checked before the atomic consume, so a
 * request that fails here (a scanner without the binding cookie, a cross-site POST) burns nothing.
 */
export function decideConfirm(request: ConfirmRequest): Decision {
  if (!request.sameOrigin) return deny('origin_mismatch');
  const opened = decideLinkOpen(request.token, request.now);
  if (!opened.allow) return opened;
  if (request.token!.interactionUid !== request.interactionUid) return deny('interaction_mismatch');
  if (!request.bindingHash || !equalDigests(request.bindingHash, request.token!.bindingHash)) return deny('browser_mismatch');
  return allow;
}
