// What every step of the sign-in shares: its dependencies, the shape of a refusal, finding a
// login token by the raw value from a link, and the audit line every refusal writes.
import type { Clock } from '../../kernel/clock.js';
import type { MagicLinkEmail, MailQueue, SignInStates } from '../../kernel/ports.js';
import type { Audit, AuditFields } from '../../kernel/audit.js';
import type { LoginTokenRecord, Store } from '../../store/port.js';
import type { AppDirectory } from '../app-policy.js';
import type { OffRequest } from '../../kernel/off-request.js';
import type { SignupPolicy } from '../policy.js';
import type { RateLimits } from '../rate-limits.js';
import { LINK_TOKEN_PATTERN, sha256, tokenId as tokenIdOf } from '../../kernel/token-crypto.js';
import type { Refusal } from '../../kernel/decisions.js';

export interface SignInDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly sendQueue: MailQueue;
  readonly email: MagicLinkEmail;
  readonly audit: Audit;
  readonly limits: RateLimits;
  readonly offRequest: OffRequest;
  readonly serverSecret: Buffer;
  readonly issuer: string;
  /** The global cap on a link's lifetime (LOGIN_TOKEN_TTL_SECONDS); an app may ask for less. */
  readonly ttlSeconds: number;
  readonly codeMaxAttempts: number;
  readonly signup: SignupPolicy;
  /** Each app's own policy and branding, by client id. */
  readonly apps: AppDirectory;
  /** Where a sign-in stands (pending, cancelled, gone), and ending one for good. */
  readonly signInStates: SignInStates;
}

/** A step that ends with a login token (a link opened, confirmed, a code accepted), or a refusal. */
export type TokenOutcome = { readonly allow: true; readonly token: LoginTokenRecord } | Refusal;

export interface StepKit {
  /** The token behind a raw link value; anything not shaped like one never reaches the store. */
  findToken(rawToken: string): Promise<LoginTokenRecord | undefined>;
  /**
   * A link value that names no token: spends the IP's look-up budget and says token_unknown (or
   * rate_limited). Only unknown values are counted per IP: a real link is proof enough, so
   * requests that another page makes a victim's browser send (an <img> per bogus token) cannot
   * spend the victim's budget away and lock them out of their own link.
   */
  unknownToken(ip: string, fields: Record<string, unknown>): Promise<Refusal>;
  /** Audits a refusal with the step's fields (identifiers only, never secrets) and returns it. */
  refuse(refusal: Refusal, fields: Record<string, unknown>): Refusal;
  /** A short, non-secret handle of a token for the audit trail. */
  tokenId(token: LoginTokenRecord | undefined): string | undefined;
  /** What the audit trail records about a token: its handle, sign-in, client and address. */
  about(token: LoginTokenRecord): AuditFields;
  /**
   * A used or expired link says so, unless its sign-in was cancelled: then it says that, and
   * offers nothing (a renewal would revive what the owner of the address ended). One whose sign-in
   * no longer waits for a login (finished, or gone) is marked `signInOver`: a renewal could only fail.
   */
  explainSpent(refusal: Refusal, token: LoginTokenRecord | undefined): Promise<Refusal>;
  /**
   * Ends a sign-in for good ("This wasn't me", a wrong number on the other device): the
   * cancellation is written into the interaction first, then every pending token of it is spent,
   * so no renew, resend, code or approval can revive it, on any instance.
   */
  endSignIn(interactionUid: string): Promise<void>;
}

export function createStepKit(deps: SignInDeps): StepKit {
  const refuse = (refusal: Refusal, fields: Record<string, unknown>): Refusal => {
    deps.audit('login.refused', { reason: refusal.reason, ...fields });
    return typeof fields.clientId === 'string' ? { ...refusal, clientId: fields.clientId } : refusal;
  };
  return {
    findToken: async (rawToken) => (LINK_TOKEN_PATTERN.test(rawToken) ? deps.store.loginTokens.findByHash(sha256(rawToken)) : undefined),
    refuse,
    async unknownToken(ip, fields) {
      const limited = await deps.limits.consume('RATE_LIMIT_VERIFY_PER_IP', ip);
      return refuse(limited.allow ? { allow: false, reason: 'token_unknown' } : limited, fields);
    },
    tokenId: (token) => token && tokenIdOf(token.hash),
    about: (token) => ({ tokenId: tokenIdOf(token.hash), interactionUid: token.interactionUid, clientId: token.clientId, email: token.email }),
    async endSignIn(interactionUid) {
      await deps.signInStates.cancel(interactionUid);
      const now = deps.clock.now();
      // listPending answers ten at a time; what is spent drops out of the next answer.
      for (
        let batch = await deps.store.loginTokens.listPending(interactionUid, now);
        batch.length > 0;
        batch = await deps.store.loginTokens.listPending(interactionUid, now)
      ) {
        for (const pending of batch) await deps.store.loginTokens.consume(pending.hash, now);
      }
    },
    async explainSpent(refusal, token) {
      if (!token || (refusal.reason !== 'token_used' && refusal.reason !== 'token_expired')) return refusal;
      const state = await deps.signInStates.stateOf(token.interactionUid);
      if (state === 'cancelled') return { allow: false, reason: 'sign_in_cancelled' };
      return state === 'pending' ? refusal : { ...refusal, signInOver: true };
    },
  };
}
