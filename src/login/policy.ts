// The one place that decides whether a step of the magic-link flow may go ahead. Each decision
// is data ({ allow, reason }); routes turn reasons into pages through src/kernel/reasons.ts.
import type { LoginTokenRecord, User } from '../store/port.js';
import type { Reason } from '../kernel/reasons.js';
import { equalDigests } from '../kernel/token-crypto.js';
import type { Decision } from '../kernel/decisions.js';

/**
 * The version of these rules, reported by /version and recorded with audit events: bump it by
 * hand in any change that makes a decision come out differently.
 */
export const POLICY_VERSION = '5';

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
  const { token } = request;
  const opened = decideLinkOpen(token, request.now);
  if (!opened.allow || !token) return opened.allow ? deny('token_unknown') : opened;
  if (token.interactionUid !== request.interactionUid) return deny('interaction_mismatch');
  if (!request.bindingHash || !equalDigests(request.bindingHash, token.bindingHash)) return deny('browser_mismatch');
  return allow;
}

export interface SignupPolicy {
  readonly policy: 'open' | 'allowlist' | 'closed';
  readonly allowedDomains: readonly string[];
  /** Canonical addresses that may make an account whatever the policy (the admins, at linkid's own account client). */
  readonly allowedAddresses?: readonly string[];
}

/** What one app asks of its sign-ins (src/login/app-policy.ts reads it from the client). */
export interface AppPolicy {
  /** Absent: the global SIGNUP policy. */
  readonly signup?: SignupPolicy;
  /** Absent: the global LOGIN_TOKEN_TTL_SECONDS. */
  readonly linkTtlSeconds?: number;
  readonly consent: 'required' | 'skip';
}

const inDomains = (email: string, domains: readonly string[]) => {
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return domains.some((allowed) => domain === allowed || domain.endsWith(`.${allowed}`));
};

/**
 * Whether an address may receive a sign-in link. Existing accounts always may; new ones as the
 * sign-up policy says. A refusal here is never shown as such: the page looks the same either way.
 */
export function decideSignup(policy: SignupPolicy, email: string, hasAccount: boolean): Decision {
  if (hasAccount || policy.policy === 'open' || policy.allowedAddresses?.includes(email)) return allow;
  if (policy.policy === 'allowlist' && inDomains(email, policy.allowedDomains)) return allow;
  return deny('signup_closed');
}

/**
 * Whether an account may sign in: not once an administrator disabled it. Decided only after the
 * link or code was accepted, so every page and email before looks as it does for any address.
 */
export function decideAccount(user: { readonly disabledAt: number | null } | undefined): Decision {
  return user !== undefined && user.disabledAt !== null ? deny('account_disabled') : allow;
}

/**
 * Whether a browser's session (or a finished sign-in about to become one) still stands for its
 * account: not once the account is gone or disabled, nor when everything the account had was
 * ended after that sign-in (User.signInsEndedAt). `loginTs` is the sign-in's time in epoch seconds,
 * as oidc-provider keeps it; the mark is compared at that precision, so a sign-in made in the
 * second the mark was set stands (the same browser signing in again at once is not turned away).
 * A sign-in held at its last redirect while the owner ended everything is what this refuses.
 */
export function sessionStands(user: Pick<User, 'disabledAt' | 'signInsEndedAt'> | undefined, loginTs: number): boolean {
  if (!user || user.disabledAt !== null) return false;
  return user.signInsEndedAt === null || loginTs >= Math.floor(user.signInsEndedAt / 1000);
}

/**
 * Whether an address may sign in to one app. The app's own sign-up policy replaces the global
 * one; an app's allowlist decides who may use that app at all, existing accounts included (an
 * internal app stays internal even for an account made through a public one), as an app's
 * domain restriction does at Google Workspace (internal OAuth apps), Okta (app assignment) and
 * Cloudflare Access. The global allowlist and an app's `closed` only stop new accounts.
 */
export function decideSignIn(global: SignupPolicy, app: AppPolicy, email: string, hasAccount: boolean): Decision {
  if (app.signup?.policy === 'allowlist') return inDomains(email, app.signup.allowedDomains) ? allow : deny('signup_closed');
  return decideSignup(app.signup ?? global, email, hasAccount);
}

/** The lifetime of a link for this app: its own, never above the global cap (which may have been lowered since). */
export const linkTtlSeconds = (globalCap: number, app: AppPolicy): number => Math.min(app.linkTtlSeconds ?? globalCap, globalCap);

/** Whether the person is asked before the app gets what it requested. */
export const consentNeeded = (app: AppPolicy): boolean => app.consent !== 'skip';
