// "Started on your phone? Scan this to finish there", on the page a link opened in another
// browser: a fresh one-time link for the same sign-in, shown as a QR code. Rules:
// - only a same-origin POST from that page makes one: GET and HEAD change nothing (scanners);
// - it is a login token of its own, stored only as its hash, for the same sign-in, address and
//   browser binding (it works only in the browser that started), with the first link's creation
//   time and expiry: it never outlives the first link, and whatever ended that one (sign out
//   everywhere, a change of address) ends it too;
// - its code is random and shown to no one: a QR link is confirmed, never typed;
// - each one spends the sign-in's budget (RATE_LIMIT_VERIFY_PER_TOKEN, keyed by the sign-in, not
//   by the link posted): a QR link made from a QR link draws on the same budget, so holding one
//   link buys a bounded number of them, not a chain.
import { codeHmac, newCode, newLinkToken, sha256 } from '../../kernel/token-crypto.js';
import type { Refusal } from '../../kernel/decisions.js';
import type { LoginTokenRecord } from '../../store/port.js';
import { decideLinkOpen } from '../policy.js';
import { CLOSED_BECAUSE } from './approve-elsewhere.js';
import type { SignInDeps, StepKit } from './step-kit.js';

export type QrLinkOutcome = { readonly allow: true; readonly token: LoginTokenRecord; readonly rawToken: string } | Refusal;

export function createIssueQrLink(deps: SignInDeps, kit: StepKit) {
  return async function issueQrLink(rawToken: string, sameOrigin: boolean, ip: string): Promise<QrLinkOutcome> {
    const token = await kit.findToken(rawToken);
    if (!token) return kit.unknownToken(ip, { step: 'qr' });
    const fields = { step: 'qr', ...kit.about(token) };
    if (!sameOrigin) return kit.refuse({ allow: false, reason: 'origin_mismatch' }, fields);
    const limited = await deps.limits.consume('RATE_LIMIT_VERIFY_PER_TOKEN', `qr:${token.interactionUid}`);
    if (!limited.allow) return kit.refuse(limited, { ...fields, limit: 'RATE_LIMIT_VERIFY_PER_TOKEN' });
    const link = decideLinkOpen(token, deps.clock.now());
    if (!link.allow) return kit.refuse(await kit.explainSpent(link, token), fields);
    const state = await deps.signInStates.stateOf(token.interactionUid);
    if (state !== 'pending') return kit.refuse({ allow: false, reason: CLOSED_BECAUSE[state], signInOver: true }, fields);

    const fresh = newLinkToken();
    const hash = sha256(fresh);
    await deps.store.loginTokens.insert({
      ...token,
      hash,
      codeHmac: codeHmac(deps.serverSecret, hash, newCode()),
      usedAt: null,
      codeAttempts: 0,
      approvalRequestedAt: null,
      approvedAt: null,
      approvalFinishedAt: null,
    });
    // Cancelled in the meantime: the cancel spent the pending tokens it saw, perhaps not this one.
    if ((await deps.signInStates.stateOf(token.interactionUid)) === 'cancelled') {
      await deps.store.loginTokens.consume(hash, deps.clock.now());
      return kit.refuse({ allow: false, reason: 'sign_in_cancelled' }, fields);
    }
    deps.audit('sign_in.qr_issued', { ...kit.about(token), qrTokenId: kit.tokenId({ ...token, hash }), ip });
    return { allow: true, token, rawToken: fresh };
  };
}
