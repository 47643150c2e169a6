// Off the request path: the part of a change of address that depends on the new address. Rules:
// - a free address gets a confirm link: 32 random bytes, only sha256 stored, bound to the asking
//   browser's binding cookie, the account and the address, for 10 minutes, single use;
// - an address that belongs to another account gets no token at all; its owner is told by mail
//   that someone tried and nothing changed. The requester saw the same page either way;
// - both emails are composed every time, so the work after the response looks alike;
// - the token is stored before its mail is queued; every URL is built from ISSUER.
import type { Locale } from '../../kernel/locales.js';
import { addressHash } from '../../kernel/email-address.js';
import { newLinkToken, sha256 } from '../../kernel/token-crypto.js';
import { CHANGE_TTL_SECONDS, changeUrl, type ChangeKit, type EmailChangeDeps } from './change-kit.js';

export interface ChangeDelivery {
  readonly accountId: string;
  readonly currentEmail: string;
  readonly newEmail: string;
  readonly bindingHash: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly requestId: string;
  readonly locale: Locale;
}

export function createDeliverChange(deps: EmailChangeDeps, kit: ChangeKit) {
  return async function deliverChange(request: ChangeDelivery): Promise<void> {
    const taken = await kit.heldByAnother(request.newEmail, request.accountId);
    const token = newLinkToken();
    const hash = sha256(token);
    const now = deps.clock.now();
    const expiresAt = now + CHANGE_TTL_SECONDS * 1000;
    const common = { to: request.newEmail, locale: request.locale, ip: request.ip, userAgent: request.userAgent };
    const confirmMail = deps.email.renderConfirm({
      ...common,
      link: changeUrl(deps.issuer, 'confirm', token),
      currentEmail: request.currentEmail,
      expiresAt,
      ttlSeconds: CHANGE_TTL_SECONDS,
    });
    const inUseMail = deps.email.renderInUse(common);
    const fields = { accountId: request.accountId, emailHash: addressHash(request.newEmail) };
    if (taken) {
      await deps.sendQueue.enqueue(inUseMail, { requestId: request.requestId, giveUpAt: expiresAt });
      kit.refuse({ allow: false, reason: 'email_taken' }, { step: 'email-change-send', ...fields });
      return;
    }
    await deps.store.emailChanges.insert({
      hash,
      kind: 'confirm',
      accountId: request.accountId,
      email: request.newEmail,
      otherEmail: request.currentEmail,
      bindingHash: request.bindingHash,
      createdAt: now,
      expiresAt,
      usedAt: null,
    });
    await deps.sendQueue.enqueue(confirmMail, { requestId: request.requestId, giveUpAt: expiresAt });
  };
}

export type DeliverChange = ReturnType<typeof createDeliverChange>;
