// What a step of the sign-in decides, in the shapes every layer reads: a decision is data
// ({ allow, reason }), a refusal names its reason code (src/kernel/reasons.ts), and a sign-in that
// succeeded ends in a Login, whichever way it came in.
import type { Reason } from './reasons.js';

export type Decision = { readonly allow: true } | { readonly allow: false; readonly reason: Reason; readonly retryAfterSeconds?: number };

export interface Refusal {
  readonly allow: false;
  readonly reason: Reason;
  readonly retryAfterSeconds?: number;
  /** The app whose sign-in was refused, when the refusal knows it (its reason page wears that app's brand). */
  readonly clientId?: string;
  /**
   * A used or expired link whose sign-in has finished or ended (its interaction is gone or has a
   * result): no new link can help, so its page offers the way back to the app instead.
   */
  readonly signInOver?: boolean;
}

/** The login oidc-provider records in the session (its interaction result's `login`). */
export interface Login {
  readonly [key: string]: unknown;
  readonly accountId: string;
  readonly acr: string;
  readonly amr: string[];
  readonly remember: boolean;
  /**
   * When the person authenticated (epoch seconds), from linkid's clock: oidc-provider records it
   * as the session's loginTs (auth_time), and the account page judges a sign-in's freshness by it
   * with the same clock.
   */
  readonly ts: number;
}
