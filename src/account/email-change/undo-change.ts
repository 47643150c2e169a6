// The undo link mailed to the old address after a change: GET shows a page, the button's POST
// gives the account its old address back. It needs no session (the old owner may have none) and
// no binding cookie (the old inbox is the proof). Rules:
// - an old address another account holds by now is refused (email_taken), nothing consumed;
// - one atomic consume: an undo works once;
// - first every pending change of the account and the undos of later changes are voided (never
//   the undo of an earlier change, so undoing a later change cannot take that away), then the
//   address is restored, then every session, grant and token of the account ends: whoever
//   changed it is signed out everywhere, and every app has to ask again.
import { addressHash } from '../../kernel/email-address.js';
import { spentReason, type ChangeKit, type EmailChangeDeps, type TokenLookup } from './change-kit.js';
import type { ChangeOutcome } from './confirm-change.js';

export function createUndoChange(deps: EmailChangeDeps, kit: ChangeKit) {
  const check = async (rawToken: string, ip: string, step: string): Promise<TokenLookup> => {
    const found = await kit.lookup(rawToken, 'undo', ip, step);
    if (!found.allow) return found;
    if (await kit.heldByAnother(found.token.email, found.token.accountId)) {
      return kit.refuse({ allow: false, reason: 'email_taken' }, { step, accountId: found.token.accountId, tokenId: kit.tokenId(found.token) });
    }
    return found;
  };

  return {
    /** GET: what the undo page shows (nothing changes). */
    openUndo: (rawToken: string, ip: string) => check(rawToken, ip, 'email-change-undo-open'),

    async undoChange(rawToken: string, ip: string): Promise<ChangeOutcome> {
      const step = 'email-change-undo';
      const checked = await check(rawToken, ip, step);
      if (!checked.allow) return checked;
      const about = { step, accountId: checked.token.accountId, tokenId: kit.tokenId(checked.token) };
      const consumed = await deps.store.emailChanges.consume(checked.token.hash, deps.clock.now());
      if (!consumed.consumed) return kit.refuse({ allow: false, reason: spentReason(consumed.reason) }, about);
      const { token } = consumed;
      const voided = await deps.store.emailChanges.voidAfterUndo(token.accountId, token.createdAt, deps.clock.now());
      const restored = await deps.store.users.changeEmail(token.accountId, token.email);
      if (restored === 'taken') return kit.refuse({ allow: false, reason: 'email_taken' }, about);
      if (restored === 'unknown') return kit.refuse({ allow: false, reason: 'change_link_unknown' }, about);
      const revoked = await deps.accountSessions.endAll(token.accountId, 'revoked', { addresses: [token.email, token.otherEmail] });
      // Recovery codes made meanwhile would let whoever changed the address straight back in
      // without the inbox; the owner makes a new set once signed in again.
      const recoveryCodesVoided = await deps.store.recoveryCodes.deleteForAccount(token.accountId);
      deps.audit('account.email_change_undone', {
        accountId: token.accountId,
        email: token.email,
        emailHash: addressHash(token.email),
        undoneEmailHash: addressHash(token.otherEmail),
        tokenId: about.tokenId,
        voided,
        recoveryCodesVoided,
        ...revoked,
      });
      return { allow: true, email: token.email };
    },
  };
}
