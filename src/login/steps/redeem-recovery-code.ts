// "Lost access to your email?": an address and one of its recovery codes, typed inside a sign-in.
// A way in of its own, ended by finishSignIn like a link or a code (the codes themselves are made
// and voided on the account page: src/account/recovery-codes.ts). Rules:
// - the address arrives canonical (normalizeEmail, at the edge). A code not shaped like one is
//   refused before anything else, spending no limit;
// - every well-formed attempt spends one point per IP and one per address (by its hash), all or
//   none, before the account is looked up, so an address with an account and one without are
//   limited alike;
// - an unknown address does the same work as a known one (the look-up, the HMAC, the conditional
//   write, against an account id no account can have) and gets the same refusal, recovery_invalid,
//   so the form tells nobody whether an address has an account, or codes;
// - consume is one conditional write: a code works once, and of concurrent uses exactly one wins;
// - a disabled account is refused (account_disabled) only after a right pair, as a link is; the
//   app's sign-up policy is checked after that, in finishSignIn;
// - audited: recovery.redeemed with the codes left, or login.refused with its reason; never a
//   code, nor a digest of one.
import type { Refusal } from '../../kernel/decisions.js';
import { addressHash } from '../../kernel/email-address.js';
import { normalizeRecoveryCode } from '../../kernel/recovery-code-format.js';
import { recoveryCodeHmac } from '../../kernel/token-crypto.js';
import type { User } from '../../store/port.js';
import { decideAccount } from '../policy.js';
import type { SignInDeps } from './step-kit.js';

/** What an unknown address's attempt is checked against: no account id has a colon (they are base64url). */
const NO_ACCOUNT = 'no-account:';

export interface RedeemRequest {
  /** The canonical address (normalizeEmail). */
  readonly email: string;
  /** The code as the person typed it. */
  readonly code: string;
  readonly ip: string;
  /** The sign-in this attempt belongs to. */
  readonly interactionUid: string;
  readonly clientId: string;
}

export type RedeemOutcome = { readonly allow: true; readonly user: User } | Refusal;

export function createRedeemRecoveryCode(deps: Pick<SignInDeps, 'store' | 'clock' | 'audit' | 'limits' | 'serverSecret'>) {
  const { store, audit } = deps;

  const refuse = (refusal: Refusal, request: RedeemRequest, fields: Record<string, unknown> = {}): Refusal => {
    audit('login.refused', {
      reason: refusal.reason,
      step: 'recovery',
      email: request.email,
      interactionUid: request.interactionUid,
      clientId: request.clientId,
      ...fields,
    });
    return { ...refusal, clientId: request.clientId };
  };

  /** An address and one of its codes: the account, if the pair is right and the account may sign in. */
  return async function redeemRecoveryCode(request: RedeemRequest): Promise<RedeemOutcome> {
    const code = normalizeRecoveryCode(request.code);
    if (!code) return refuse({ allow: false, reason: 'recovery_malformed' }, request);
    const limited = await deps.limits.consumeAll([
      ['RATE_LIMIT_RECOVERY_PER_IP', request.ip],
      ['RATE_LIMIT_RECOVERY_PER_EMAIL', addressHash(request.email)],
    ]);
    if (!limited.allow) return refuse(limited, request, { limit: limited.limit });
    const user = await store.users.findByEmail(request.email);
    const accountId = user?.id ?? NO_ACCOUNT;
    const used = await store.recoveryCodes.consume(accountId, recoveryCodeHmac(deps.serverSecret, accountId, code), deps.clock.now());
    if (!user || !used) return refuse({ allow: false, reason: 'recovery_invalid' }, request, { accountId: user?.id });
    const account = decideAccount(user);
    if (!account.allow) return refuse(account, request, { accountId: user.id });
    const remaining = await store.recoveryCodes.countUnused(user.id);
    audit('recovery.redeemed', { accountId: user.id, email: user.email, interactionUid: request.interactionUid, clientId: request.clientId, remaining });
    return { allow: true, user };
  };
}
