// Recovery codes on the account page: making a set and voiding it. Redeeming one is a way into a
// sign-in, so it is a step of the sign-in (src/login/steps/redeem-recovery-code.ts). Rules:
// - a set is 10 fresh single-use codes of 60 random bits (src/kernel/recovery-code-format.ts),
//   shown once and stored only as HMACs with the server secret, bound to the account; a new set
//   voids the old one, and the page and the notice say so only when the old one still had unused
//   codes (a first set, or one used up or voided, replaces nothing that worked);
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
//   the store, then the end of everything the account had (endAll: sessions, this browser's
//   included, grants, tokens and sign-ins held at their last redirect), since whoever made the
//   codes may have used one already. No limit is checked or spent, so someone who spent the
//   account's generation budget cannot keep the owner from it, and the budget is not given back,
//   so void and make again cannot mail the inbox past the limit. It mails nothing: it only takes
//   ways in away. Voiding an account without a set voids nothing and is not an error;
// - audited: recovery.codes_generated and recovery.codes_voided; never a code, nor a digest of
//   one. The notice is mail.queued (tag security-notice), as every email is.
import type { Audit } from '../kernel/audit.js';
import type { Clock } from '../kernel/clock.js';
import type { Refusal } from '../kernel/decisions.js';
import type { Locale } from '../kernel/locales.js';
import type { MailQueue } from '../kernel/ports.js';
import { formatRecoveryCode, newRecoveryCode } from '../kernel/recovery-code-format.js';
import { recoveryCodeHmac } from '../kernel/token-crypto.js';
import type { RateLimits } from '../login/rate-limits.js';
import type { SecurityNoticeEmail } from '../mail/security-notice-email.js';
import type { AccountSessions } from './account-sessions.js';
import type { Store } from '../store/port.js';

export const RECOVERY_CODES_PER_SET = 10;

export interface RecoveryCodeDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: Audit;
  readonly limits: RateLimits;
  readonly serverSecret: Buffer;
  readonly sendQueue: MailQueue;
  readonly notices: Pick<SecurityNoticeEmail, 'renderRecoveryCodesMade'>;
  readonly issuer: string;
  /** Voiding the set ends everything the account had (src/account/account-sessions.ts). */
  readonly accountSessions: Pick<AccountSessions, 'endAll'>;
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

/**
 * A new set, as shown to the person once, and how many unused codes of the set before it stopped
 * working (0 for a first set); or why none was made (rate_limited).
 */
export type GenerateOutcome = { readonly allow: true; readonly codes: readonly string[]; readonly replaced: number } | Refusal;

export function createRecoveryCodes(deps: RecoveryCodeDeps) {
  const { store, audit } = deps;
  const digestOf = (accountId: string, code: string) => recoveryCodeHmac(deps.serverSecret, accountId, code);

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
      // For the words only ("your earlier codes no longer work"): the replacement below is what voids them.
      const replaced = await store.recoveryCodes.countUnused(accountId);
      const notice = deps.notices.renderRecoveryCodesMade({
        to: user.email,
        locale: by.locale,
        ip: by.ip,
        userAgent: by.userAgent,
        madeAt: now,
        replacesEarlier: replaced > 0,
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
      return { allow: true, codes: codes.map(formatRecoveryCode), replaced };
    },

    /**
     * Voids the account's set (used codes included) in one deletion: none of its codes signs in
     * from then on. Limited by nothing, spending nothing (the generation budget stays as spent)
     * and mailing nothing; an account without a set is no error. Returns how many codes went.
     */
    async voidSet(accountId: string): Promise<number> {
      const voided = await store.recoveryCodes.deleteForAccount(accountId);
      // Whoever made codes may have used one already: what it let in ends too, as with "Sign out
      // everywhere" (this browser included).
      const revoked = await deps.accountSessions.endAll(accountId, 'revoked');
      audit('recovery.codes_voided', { accountId, voided, ...revoked });
      return voided;
    },

    /** How many codes of the account's set are still unused (for the account page). */
    remaining: (accountId: string): Promise<number> => store.recoveryCodes.countUnused(accountId),
  };
}

export type RecoveryCodes = ReturnType<typeof createRecoveryCodes>;
