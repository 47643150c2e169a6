// "Change my address" on the account page (POST, after a fresh sign-in). Rules:
// - the same answer, at the same speed, whether or not the new address belongs to an account:
//   only rate limits are checked here; looking the address up, storing the token and the mail
//   happen after the response (deliver-change.ts);
// - the limits (per account, and the sign-in email limits of the new address: per IP, address,
//   IP+address, browser) are spent all or none, so a refused request spends nothing;
// - the new address reaches this step canonical (normalizeEmail at the edge) and differs from
//   the account's own;
// - a store that takes no writes refuses before any limit is spent (the token is stored after the response).
import type { Locale } from '../../kernel/locales.js';
import { addressHash } from '../../kernel/email-address.js';
import type { Decision } from '../../kernel/decisions.js';
import { sendLimits } from '../../kernel/rate-limits.js';
import { sha256 } from '../../kernel/token-crypto.js';
import type { User } from '../../store/port.js';
import type { ChangeKit, EmailChangeDeps } from './change-kit.js';
import type { DeliverChange } from './deliver-change.js';

export interface ChangeRequest {
  readonly user: User;
  /** Canonical (normalizeEmail), not the account's own. */
  readonly newEmail: string;
  readonly bindingNonce: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly requestId: string;
  readonly locale: Locale;
}

export function createRequestChange(deps: EmailChangeDeps, kit: ChangeKit, deliverChange: DeliverChange) {
  return async function requestChange(request: ChangeRequest): Promise<Decision> {
    deps.offRequest.admit();
    const bindingHash = sha256(request.bindingNonce);
    const limited = await deps.limits.consumeAll([
      ['RATE_LIMIT_EMAIL_CHANGE_PER_ACCOUNT', request.user.id],
      ['RATE_LIMIT_SEND_PER_BROWSER', bindingHash],
      ...sendLimits(request.newEmail, request.ip),
    ]);
    if (!limited.allow) return kit.refuse(limited, { step: 'email-change-request', limit: limited.limit, accountId: request.user.id });
    deps.audit('account.email_change_requested', { accountId: request.user.id, emailHash: addressHash(request.newEmail) });
    deps.offRequest.run('send email change link', () =>
      deliverChange({
        accountId: request.user.id,
        currentEmail: request.user.email,
        newEmail: request.newEmail,
        bindingHash,
        ip: request.ip,
        userAgent: request.userAgent,
        requestId: request.requestId,
        locale: request.locale,
      }),
    );
    return { allow: true };
  };
}
