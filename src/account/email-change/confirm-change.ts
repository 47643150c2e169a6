// The confirm link mailed to the new address: GET shows a page (mail scanners follow links), the
// button's POST changes the address. Rules:
// - nothing is consumed unless this browser holds the binding cookie the change was asked from:
//   another browser, device or scanner gets change_browser_mismatch and the link keeps working;
// - an address another account took meanwhile is refused (email_taken) and nothing changes; the
//   store's unique key decides a race, after the token's one atomic consume;
// - on success the old address gets a notice with an undo link (EMAIL_CHANGE_UNDO_DAYS, single
//   use, only sha256 stored) and the trail records account.email_changed with the new address
//   and the hashes of both, before the undo is stored: a failure there leaves no change unrecorded.
import type { Locale } from '../../kernel/locales.js';
import { addressHash } from '../../kernel/email-address.js';
import { equalDigests, newLinkToken, sha256, tokenId } from '../../kernel/token-crypto.js';
import type { EmailChangeRecord, User } from '../../store/port.js';
import { changeUrl, spentReason, type ChangeKit, type ChangeRefusal, type EmailChangeDeps, type TokenLookup } from './change-kit.js';

const DAY_MS = 86_400_000;

export interface ConfirmChangeInput {
  readonly rawToken: string;
  readonly bindingNonce: string | undefined;
  readonly ip: string;
  readonly userAgent: string;
  readonly requestId: string;
  /** The language of the page the button was pressed on: the notice speaks it too. */
  readonly locale: Locale;
}

export type ChangeOutcome = { readonly allow: true; readonly email: string } | ChangeRefusal;

export function createConfirmChange(deps: EmailChangeDeps, kit: ChangeKit) {
  const boundHere = (token: EmailChangeRecord, bindingNonce: string | undefined) =>
    bindingNonce !== undefined && token.bindingHash !== null && equalDigests(sha256(bindingNonce), token.bindingHash);

  /** The token, if this browser may use it and its address is still free. */
  const check = async (rawToken: string, bindingNonce: string | undefined, ip: string, step: string): Promise<TokenLookup> => {
    const found = await kit.lookup(rawToken, 'confirm', ip, step);
    if (!found.allow) return found;
    const about = { step, accountId: found.token.accountId, tokenId: kit.tokenId(found.token) };
    if (!boundHere(found.token, bindingNonce)) return kit.refuse({ allow: false, reason: 'change_browser_mismatch' }, about);
    if (await kit.heldByAnother(found.token.email, found.token.accountId)) return kit.refuse({ allow: false, reason: 'email_taken' }, about);
    return found;
  };

  const mailUndo = async (user: User, token: EmailChangeRecord, input: ConfirmChangeInput, undo: string, hash: string) => {
    const now = deps.clock.now();
    const expiresAt = now + deps.undoDays * DAY_MS;
    await deps.store.emailChanges.insert({
      hash,
      kind: 'undo',
      accountId: user.id,
      email: user.email,
      otherEmail: token.email,
      bindingHash: null,
      createdAt: now,
      expiresAt,
      usedAt: null,
    });
    const notice = deps.email.renderChanged({
      to: user.email,
      locale: input.locale,
      ip: input.ip,
      userAgent: input.userAgent,
      undoLink: changeUrl(deps.issuer, 'undo', undo),
      oldEmail: user.email,
      newEmail: token.email,
      changedAt: now,
      undoExpiresAt: expiresAt,
      undoDays: deps.undoDays,
    });
    await deps.sendQueue.enqueue(notice, { requestId: input.requestId, giveUpAt: expiresAt });
  };

  return {
    /** GET: what the confirm page shows (nothing is consumed). */
    openConfirm: (rawToken: string, bindingNonce: string | undefined, ip: string) => check(rawToken, bindingNonce, ip, 'email-change-open'),

    async confirmChange(input: ConfirmChangeInput): Promise<ChangeOutcome> {
      const step = 'email-change-confirm';
      const checked = await check(input.rawToken, input.bindingNonce, input.ip, step);
      if (!checked.allow) return checked;
      const about = { step, accountId: checked.token.accountId, tokenId: kit.tokenId(checked.token) };
      const user = await deps.store.users.findById(checked.token.accountId);
      if (!user) return kit.refuse({ allow: false, reason: 'change_link_unknown' }, about);
      if (user.disabledAt !== null) return kit.refuse({ allow: false, reason: 'account_disabled' }, about);
      const consumed = await deps.store.emailChanges.consume(checked.token.hash, deps.clock.now());
      if (!consumed.consumed) return kit.refuse({ allow: false, reason: spentReason(consumed.reason) }, about);
      const changed = await deps.store.users.changeEmail(user.id, consumed.token.email);
      if (changed === 'taken') return kit.refuse({ allow: false, reason: 'email_taken' }, about);
      if (changed === 'unknown') return kit.refuse({ allow: false, reason: 'change_link_unknown' }, about);
      const undo = newLinkToken();
      const undoHash = sha256(undo);
      // Recorded as soon as the address has changed, before the undo is stored and mailed: a
      // store that fails there must not leave a change the trail does not know of. The new
      // address is in clear too, as an event of the account: deleting it later finds by this
      // event every address the account held (src/store/address-hashes.ts).
      deps.audit('account.email_changed', {
        accountId: user.id,
        email: consumed.token.email,
        emailHash: addressHash(consumed.token.email),
        previousEmailHash: addressHash(user.email),
        tokenId: about.tokenId,
        undoTokenId: tokenId(undoHash),
      });
      await mailUndo(user, consumed.token, input, undo, undoHash);
      // Everything started under the old address ends, this browser's session included: whoever
      // else held a session, a token or a finished sign-in of the account keeps none of it, and no
      // link mailed to the old address before now signs in. The person signs in again with the
      // new address.
      await deps.accountSessions.endAll(user.id, 'revoked', { addresses: [user.email] });
      return { allow: true, email: consumed.token.email };
    },
  };
}
