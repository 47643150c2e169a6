// What every step of changing an address shares: its dependencies, the paths and absolute URLs of
// its links (built from ISSUER, never from a request), finding a token by the raw value from a
// link, and saying why a token cannot be used. A change token lives as long as a sign-in link
// may (10 minutes); an undo token EMAIL_CHANGE_UNDO_DAYS.
import type { Clock } from '../../kernel/clock.js';
import { MAX_LOGIN_TOKEN_TTL_SECONDS } from '../../config/env.js';
import type { OffRequest } from '../../kernel/off-request.js';
import type { RateLimits } from '../../login/rate-limits.js';
import type { Reason } from '../../kernel/reasons.js';
import { LINK_TOKEN_PATTERN, sha256, tokenId } from '../../kernel/token-crypto.js';
import type { EmailChangeEmail } from '../../mail/email-change-email.js';
import type { MailQueue } from '../../kernel/ports.js';
import type { Audit } from '../../kernel/audit.js';
import type { EmailChangeRecord, Store } from '../../store/port.js';
import type { AccountSessions } from '../account-sessions.js';

/** Out-of-band secrets live at most 10 minutes, as sign-in links do. */
export const CHANGE_TTL_SECONDS = MAX_LOGIN_TOKEN_TTL_SECONDS;

export const EMAIL_CHANGE_ROUTES = {
  /** GET: the form for the new address; POST: ask for the change. */
  form: '/account/email',
  /** GET (`?token=`): the confirm page; POST: the change. */
  confirm: '/account/email/confirm',
  /** GET (`?token=`): the undo page; POST: the old address back. */
  undo: '/account/email/undo',
} as const;

export const changeUrl = (issuer: string, route: 'confirm' | 'undo', token: string): string => `${issuer}${EMAIL_CHANGE_ROUTES[route]}?token=${token}`;

export interface EmailChangeDeps {
  readonly store: Pick<Store, 'users' | 'emailChanges' | 'recoveryCodes'>;
  readonly clock: Clock;
  readonly audit: Audit;
  readonly limits: RateLimits;
  readonly offRequest: OffRequest;
  readonly sendQueue: MailQueue;
  readonly email: EmailChangeEmail;
  readonly issuer: string;
  readonly undoDays: number;
  readonly accountSessions: Pick<AccountSessions, 'endAll'>;
}

export interface ChangeRefusal {
  readonly allow: false;
  readonly reason: Reason;
  readonly retryAfterSeconds?: number;
}

export type TokenLookup = { readonly allow: true; readonly token: EmailChangeRecord } | ChangeRefusal;

const SPENT: Record<'token_unknown' | 'token_used' | 'token_expired', Reason> = {
  token_unknown: 'change_link_unknown',
  token_used: 'change_link_used',
  token_expired: 'change_link_expired',
};

/** The reason page for a store's consume outcome. */
export const spentReason = (reason: keyof typeof SPENT): Reason => SPENT[reason];

export function createChangeKit(deps: EmailChangeDeps) {
  const refuse = (refusal: ChangeRefusal, fields: Record<string, unknown>): ChangeRefusal => {
    deps.audit('login.refused', { reason: refusal.reason, ...fields });
    return refusal;
  };
  return {
    refuse,
    tokenId: (token: EmailChangeRecord) => tokenId(token.hash),
    /**
     * The live token of `kind` behind a raw link value, or why not. A value that names no such
     * token spends the IP's look-up budget (RATE_LIMIT_VERIFY_PER_IP), as sign-in links do.
     */
    async lookup(rawToken: string, kind: EmailChangeRecord['kind'], ip: string, step: string): Promise<TokenLookup> {
      const token = LINK_TOKEN_PATTERN.test(rawToken) ? await deps.store.emailChanges.findByHash(sha256(rawToken)) : undefined;
      if (!token || token.kind !== kind) {
        const limited = await deps.limits.consume('RATE_LIMIT_VERIFY_PER_IP', ip);
        return refuse(limited.allow ? { allow: false, reason: 'change_link_unknown' } : limited, { step });
      }
      const about = { step, accountId: token.accountId, tokenId: tokenId(token.hash) };
      if (token.usedAt !== null) return refuse({ allow: false, reason: 'change_link_used' }, about);
      if (token.expiresAt <= deps.clock.now()) return refuse({ allow: false, reason: 'change_link_expired' }, about);
      return { allow: true, token };
    },
    /** Whether `email` belongs to an account other than `accountId`. */
    async heldByAnother(email: string, accountId: string): Promise<boolean> {
      const holder = await deps.store.users.findByEmail(email);
      return holder !== undefined && holder.id !== accountId;
    },
  };
}

export type ChangeKit = ReturnType<typeof createChangeKit>;
