// Recovery codes: the way back in for someone who lost their inbox, without an administrator.
// No HTTP here (src/http/routes/recovery.ts is the form). Rules:
// - a set is 10 fresh single-use codes of 60 random bits (src/kernel/recovery-code-format.ts), shown once and
//   stored only as HMACs with the server secret, bound to the account; a new set voids the old one;
// - the address reaches redeem canonical (normalizeEmail, at the edge). A code not shaped like one
//   is refused before anything else, spending no limit;
// - every well-formed attempt spends one point per IP and one per address (by its hash), all or
//   none, before the account is looked up, so an address with an account and one without are
//   limited alike;
// - an unknown address does the same work as a known one (the look-up, the HMAC, the conditional
//   write, against an account id no account can have) and gets the same refusal, recovery_invalid,
//   so the form tells nobody whether an address has an account, or codes;
// - consume is one conditional write: a code works once, and of concurrent uses exactly one wins;
// - a disabled account is refused (account_disabled) only after a right pair, as a link is;
// - the sign-up policy of the app being signed in to is checked after that, as for a link;
// - a new set mails the account's address a notice (when, from which browser, what to do if it
//   was not them), queued after the set is stored and before its codes are shown: whoever got
//   hold of a signed-in browser cannot hold a way back in that the inbox never hears of, and a
//   void that lands while a set is being made is followed by that set's notice, never preceded
//   by it (queued first, the notice could come before a void that the set then outlived). If the
//   notice cannot be queued, the new set is deleted (the old one is already replaced) and no
//   code is shown. The notice is composed before the codes exist, so it cannot hold one;
// - making a set spends one point of RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT (keyed by account id)
//   before the notice is composed, so a signed-in browser cannot mail the inbox a notice per
//   POST. A refused request (rate_limited) makes no set, queues no notice and, all or none,
//   spends nothing; the old set keeps working;
// - voiding the set (the owner, told by a notice that someone else made one) is one deletion in
//   the store, and nothing else: no limit is checked or spent, so someone who spent the account's
//   generation budget cannot keep the owner from it, and the budget is not given back, so void
//   and make again cannot mail the inbox past the limit. It mails nothing: it only takes a way in
//   away. Voiding an account without a set voids nothing and is not an error;
// - audited: recovery.codes_generated, recovery.codes_voided, recovery.redeemed, login.refused
//   with its reason, and login.completed (via recovery); never a code, nor a digest of one. The
//   notice is mail.queued (tag security-notice), as every email is.
import type { Clock } from '../kernel/clock.js';
import type { Locale } from '../kernel/locales.js';
import type { AppDirectory } from '../login/app-policy.js';
import { addressHash } from '../kernel/email-address.js';
import { decideAccount, decideSignIn, type SignupPolicy } from '../login/policy.js';
import type { RateLimits } from '../login/rate-limits.js';
import type { Login, Refusal } from '../kernel/decisions.js';
import { recoveryCodeHmac } from '../kernel/token-crypto.js';
import type { SecurityNoticeEmail } from '../mail/security-notice-email.js';
import type { MailQueue } from '../kernel/ports.js';
import type { Audit } from '../kernel/audit.js';
import { RECOVERY_CODE_ACR, RECOVERY_CODE_AMR } from '../kernel/sign-in-method.js';
import type { Store, User } from '../store/port.js';
import { formatRecoveryCode, newRecoveryCode, normalizeRecoveryCode } from '../kernel/recovery-code-format.js';

export const RECOVERY_CODES_PER_SET = 10;

/** What an unknown address's attempt is checked against: no account id has a colon (they are base64url). */
const NO_ACCOUNT = 'no-account:';

export interface RecoveryCodeDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: Audit;
  readonly limits: RateLimits;
  readonly serverSecret: Buffer;
  readonly signup: SignupPolicy;
  readonly apps: AppDirectory;
  readonly sendQueue: MailQueue;
  readonly notices: Pick<SecurityNoticeEmail, 'renderRecoveryCodesMade'>;
  readonly issuer: string;
}

/** Who made a set: what the notice to the account's inbox says about it. */
export interface MadeBy {
  /** The language of the page the set was made on: the notice speaks it too. */
  readonly locale: Locale;
  readonly ip: string;
  readonly userAgent: string;
  readonly requestId?: string;
}

/** How long the notice is retried: the set it tells of works until replaced, so a late notice is still worth reading. */
const NOTICE_GIVE_UP_MS = 7 * 86_400_000;

export interface RedeemRequest {
  /** The canonical address (normalizeEmail). */
  readonly email: string;
  /** The code as the person typed it. */
  readonly code: string;
  readonly ip: string;
  /** The sign-in this attempt belongs to, for the audit trail. */
  readonly interactionUid?: string;
  readonly clientId?: string;
}

export type RedeemOutcome = { readonly allow: true; readonly user: User } | Refusal;

/** A new set, as shown to the person once, or why none was made (rate_limited). */
export type GenerateOutcome = { readonly allow: true; readonly codes: readonly string[] } | Refusal;

export function createRecoveryCodes(deps: RecoveryCodeDeps) {
  const { store, audit } = deps;
  const digestOf = (accountId: string, code: string) => recoveryCodeHmac(deps.serverSecret, accountId, code);

  const refuse = (refusal: Refusal, request: RedeemRequest, fields: Record<string, unknown> = {}): Refusal => {
    audit('login.refused', {
      reason: refusal.reason,
      step: 'recovery',
      email: request.email,
      interactionUid: request.interactionUid,
      clientId: request.clientId,
      ...fields,
    });
    return request.clientId === undefined ? refusal : { ...refusal, clientId: request.clientId };
  };

  return {
    /**
     * A new set for the account, replacing any old one, with a notice to its address: the codes as
     * shown to the person, once. Refused (rate_limited, nothing made, nothing spent) once the
     * account's RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT is spent.
     */
    async generate(accountId: string, by: MadeBy): Promise<GenerateOutcome> {
      const user = await store.users.findById(accountId);
      if (!user) throw new Error('recovery codes for an account that does not exist');
      const limited = await deps.limits.consumeAll([['RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT', accountId]]);
      if (!limited.allow) {
        audit('login.refused', { reason: limited.reason, limit: limited.limit, step: 'recovery-codes', accountId });
        return { allow: false, reason: limited.reason, retryAfterSeconds: limited.retryAfterSeconds };
      }
      const now = deps.clock.now();
      const notice = deps.notices.renderRecoveryCodesMade({
        to: user.email,
        locale: by.locale,
        ip: by.ip,
        userAgent: by.userAgent,
        madeAt: now,
        accountUrl: `${deps.issuer}/account`,
      });
      const codes = Array.from({ length: RECOVERY_CODES_PER_SET }, newRecoveryCode);
      await store.recoveryCodes.replaceSet(
        accountId,
        codes.map((code) => digestOf(accountId, code)),
        now,
      );
      try {
        await deps.sendQueue.enqueue(notice, { requestId: by.requestId, giveUpAt: now + NOTICE_GIVE_UP_MS });
      } catch (error) {
        // Nobody has seen these codes; without its notice the set must not stay.
        await store.recoveryCodes.deleteForAccount(accountId);
        throw error;
      }
      audit('recovery.codes_generated', { accountId, count: codes.length });
      return { allow: true, codes: codes.map(formatRecoveryCode) };
    },

    /**
     * Voids the account's set (used codes included) in one deletion: none of its codes signs in
     * from then on. Limited by nothing, spending nothing (the generation budget stays as spent)
     * and mailing nothing; an account without a set is no error. Returns how many codes went.
     */
    async voidSet(accountId: string): Promise<number> {
      const voided = await store.recoveryCodes.deleteForAccount(accountId);
      audit('recovery.codes_voided', { accountId, voided });
      return voided;
    },

    /** How many codes of the account's set are still unused (for the account page). */
    remaining: (accountId: string): Promise<number> => store.recoveryCodes.countUnused(accountId),

    /** An address and one of its codes: the account, if the pair is right and the account may sign in. */
    async redeem(request: RedeemRequest): Promise<RedeemOutcome> {
      const code = normalizeRecoveryCode(request.code);
      if (!code) return refuse({ allow: false, reason: 'recovery_malformed' }, request);
      const limited = await deps.limits.consumeAll([
        ['RATE_LIMIT_RECOVERY_PER_IP', request.ip],
        ['RATE_LIMIT_RECOVERY_PER_EMAIL', addressHash(request.email)],
      ]);
      if (!limited.allow) return refuse(limited, request, { limit: limited.limit });
      const user = await store.users.findByEmail(request.email);
      const accountId = user?.id ?? NO_ACCOUNT;
      const used = await store.recoveryCodes.consume(accountId, digestOf(accountId, code), deps.clock.now());
      if (!user || !used) return refuse({ allow: false, reason: 'recovery_invalid' }, request, { accountId: user?.id });
      const account = decideAccount(user);
      if (!account.allow) return refuse(account, request, { accountId: user.id });
      const remaining = await store.recoveryCodes.countUnused(user.id);
      audit('recovery.redeemed', { accountId: user.id, email: user.email, interactionUid: request.interactionUid, clientId: request.clientId, remaining });
      return { allow: true, user };
    },

    /**
     * The login for an account a recovery code let in, signing in to `clientId`: refused if that
     * app's sign-up policy keeps the address out (checked again here, after the right pair, as
     * for a link).
     */
    async loginFor(
      user: User,
      sign: { readonly clientId: string; readonly interactionUid: string },
    ): Promise<{ readonly allow: true; readonly login: Login } | Refusal> {
      const app = await deps.apps.find(sign.clientId);
      const decision = decideSignIn(deps.signup, app.policy, user.email, true);
      const about = { accountId: user.id, email: user.email, clientId: sign.clientId, interactionUid: sign.interactionUid };
      if (!decision.allow) {
        audit('login.refused', { reason: decision.reason, step: 'recovery', ...about });
        return { ...decision, clientId: sign.clientId };
      }
      const now = deps.clock.now();
      await store.users.recordLogin(user.id, now);
      audit('login.completed', { ...about, via: 'recovery' });
      return { allow: true, login: { accountId: user.id, acr: RECOVERY_CODE_ACR, amr: RECOVERY_CODE_AMR, remember: true, ts: Math.floor(now / 1000) } };
    },
  };
}

export type RecoveryCodes = ReturnType<typeof createRecoveryCodes>;
