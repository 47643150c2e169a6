// The link opened in a browser that did not start the sign-in (the mail read on a phone, the
// sign-in begun on a laptop): approve it from there, with number matching. Rules:
// - opening the link changes nothing (open-link.ts); asking to approve is a POST, and marks the
//   token as asked (once): only then does the starting window show its number;
// - the number is typed where the link opened, not picked among buttons: a blind guess is right
//   one time in 90, not one in 3, and a mail scanner that presses buttons cannot answer at all
//   (picking among three is what Microsoft Authenticator moved away from for the same reason);
// - the number is derived from the token's hash with the server secret: the same on every reload,
//   and nothing about it is stored;
// - the answer needs the page's own form value (an HMAC of the token's hash and when approval was
//   asked: a value no one can make without having asked), a same-origin POST, the link's per-token
//   budget, and passes the limits a code does: the address's failure lock (checked first, so a
//   locked address spends nothing more), and per IP;
// - an answer that is not two digits changes nothing; a wrong number or "This wasn't me" ends the
//   sign-in, as cancel does (one attempt), and a wrong number counts as a failed code for the address;
// - the right number consumes the token atomically (of any number of racing approvals exactly one
//   wins) and marks it approved; only the browser that holds the binding cookie finishes it
//   (finishApproval), once, and not after the owner cancelled the sign-in.
import { createHmac } from 'node:crypto';
import { addressHash } from '../../kernel/email-address.js';
import type { Refusal } from '../../kernel/decisions.js';
import { equalDigests, sha256 } from '../../kernel/token-crypto.js';
import type { LoginTokenRecord } from '../../store/port.js';
import { decideLinkOpen } from '../policy.js';
import type { SignInDeps, StepKit, TokenOutcome } from './step-kit.js';

/** What the approving browser is shown: the form value its answer carries. */
export type AskOutcome = { readonly allow: true; readonly token: LoginTokenRecord; readonly formValue: string } | Refusal;

export interface ApprovalAnswer {
  readonly rawToken: string;
  readonly formValue: string;
  /** The number as typed, two digits (spaces allowed around them). */
  readonly number: string;
  /** `deny` for "This wasn't me"; anything else is an approval with `number`. */
  readonly choice: string;
  readonly sameOrigin: boolean;
  readonly ip: string;
}

/** What the starting window sees when it asks (it polls): nothing asked, its number, or approved. */
export type ApprovalStatus =
  { readonly state: 'none' } | { readonly state: 'asked'; readonly number: number } | { readonly state: 'approved' } | { readonly state: 'ended' };

export const DENY_CHOICE = 'deny';
/** Why a sign-in no longer waiting for a login cannot take an approval or a QR link. */
export const CLOSED_BECAUSE = { finishing: 'token_used', cancelled: 'sign_in_cancelled', gone: 'interaction_expired' } as const;
const NUMBER_PATTERN = /^\d{2}$/;
const FORM_VALUE_PATTERN = /^[a-f0-9]{64}$/;

/** The number the starting window shows for a token, 10 to 99: the same every time for the same token. */
export function approvalNumber(serverSecret: Buffer, tokenHash: string): number {
  const digest = createHmac('sha256', serverSecret).update(`approval-number\0${tokenHash}`).digest();
  return 10 + (digest.readUInt32BE(0) % 90);
}

const formValueOf = (serverSecret: Buffer, token: LoginTokenRecord): string | undefined =>
  token.approvalRequestedAt === null
    ? undefined
    : createHmac('sha256', serverSecret).update(`approval-form\0${token.hash}\0${token.approvalRequestedAt}`).digest('hex');

export function createApproveElsewhere(deps: SignInDeps, kit: StepKit) {
  const { limits, store } = deps;
  const numberOf = (token: LoginTokenRecord) => approvalNumber(deps.serverSecret, token.hash);

  /** The approvals of one sign-in this browser started (the binding cookie), newest first. */
  const ownApprovals = async (interactionUid: string, bindingNonce: string | undefined) => {
    if (!bindingNonce) return [];
    const bindingHash = sha256(bindingNonce);
    return (await store.loginTokens.listApprovals(interactionUid)).filter((token) => equalDigests(token.bindingHash, bindingHash));
  };

  /** A link that is used, expired, or whose sign-in was ended or is gone, cannot be approved. */
  const stillOpen = async (token: LoginTokenRecord, step: string): Promise<Refusal | undefined> => {
    const fields = { step, ...kit.about(token) };
    const link = decideLinkOpen(token, deps.clock.now());
    if (!link.allow) return kit.refuse(await kit.explainSpent(link, token), fields);
    const state = await deps.signInStates.stateOf(token.interactionUid);
    return state === 'pending' ? undefined : kit.refuse({ allow: false, reason: CLOSED_BECAUSE[state], signInOver: true }, fields);
  };

  const refuseApproval = (refusal: Refusal, token: LoginTokenRecord, reason: string = refusal.reason): Refusal => {
    deps.audit('sign_in.approval_refused', { ...kit.about(token), reason });
    return refusal;
  };

  return {
    /** "Approve the sign-in from here" (POST, from the page the link opened): the form to type the number in. */
    askApproval: async (rawToken: string, sameOrigin: boolean, ip: string): Promise<AskOutcome> => {
      const token = await kit.findToken(rawToken);
      if (!token) return kit.unknownToken(ip, { step: 'approval' });
      if (!sameOrigin) return kit.refuse({ allow: false, reason: 'origin_mismatch' }, { step: 'approval', ...kit.about(token) });
      const limited = await limits.consume('RATE_LIMIT_VERIFY_PER_TOKEN', token.hash);
      if (!limited.allow) return kit.refuse(limited, { step: 'approval', limit: 'RATE_LIMIT_VERIFY_PER_TOKEN', ...kit.about(token) });
      const closed = await stillOpen(token, 'approval');
      if (closed) return closed;
      const now = deps.clock.now();
      const asked = await store.loginTokens.requestApproval(token.hash, now);
      const formValue = asked && formValueOf(deps.serverSecret, asked);
      // Used or expired between the look-up and the mark.
      if (!asked || !formValue)
        return kit.refuse(await kit.explainSpent({ allow: false, reason: 'token_used' }, token), { step: 'approval', ...kit.about(token) });
      // The store keeps the first ask's time: when it is this one's, this ask marked it.
      if (asked.approvalRequestedAt === now) deps.audit('sign_in.approval_requested', { ...kit.about(asked), ip });
      return { allow: true, token: asked, formValue };
    },

    /** The number typed, or "This wasn't me": one attempt. */
    answerApproval: async (answer: ApprovalAnswer): Promise<TokenOutcome> => {
      const token = await kit.findToken(answer.rawToken);
      if (!token) return kit.unknownToken(answer.ip, { step: 'approval' });
      const fields = { step: 'approval', ...kit.about(token) };
      // Every refusal of an answer to a real link is an approval refused, counted as one.
      const refuse = (refusal: Refusal, extra: Record<string, unknown> = {}) => refuseApproval(kit.refuse(refusal, { ...fields, ...extra }), token);
      if (!answer.sameOrigin) return refuse({ allow: false, reason: 'origin_mismatch' });
      const limited = await limits.consume('RATE_LIMIT_VERIFY_PER_TOKEN', token.hash);
      if (!limited.allow) return refuse(limited, { limit: 'RATE_LIMIT_VERIFY_PER_TOKEN' });
      const closed = await stillOpen(token, 'approval');
      if (closed) return refuseApproval(closed, token);
      const expected = formValueOf(deps.serverSecret, token);
      const typed = answer.number.trim();
      const pressed = answer.choice === DENY_CHOICE ? DENY_CHOICE : NUMBER_PATTERN.test(typed) ? Number(typed) : undefined;
      const formOk = expected !== undefined && FORM_VALUE_PATTERN.test(answer.formValue) && equalDigests(answer.formValue, expected);
      if (!formOk || pressed === undefined) return refuse({ allow: false, reason: 'approval_invalid' });
      if (pressed === DENY_CHOICE) {
        await kit.endSignIn(token.interactionUid);
        deps.audit('login.cancelled', { ...kit.about(token), ip: answer.ip, via: 'approval' });
        return refuseApproval({ allow: false, reason: 'sign_in_cancelled' }, token, 'approval_denied');
      }
      if (!(await limits.peek('RATE_LIMIT_CODE_FAILURES_PER_EMAIL', addressHash(token.email))).allow) return refuse({ allow: false, reason: 'code_locked' });
      const perIp = await limits.consume('RATE_LIMIT_CODE_PER_IP', answer.ip);
      if (!perIp.allow) return refuse(perIp, { limit: 'RATE_LIMIT_CODE_PER_IP' });
      if (pressed !== numberOf(token)) {
        await limits.consume('RATE_LIMIT_CODE_FAILURES_PER_EMAIL', addressHash(token.email));
        // A wrong number spends the link as a right one would, in the same one conditional write:
        // of a right and a wrong answer racing, the first to land decides, and the other is told
        // the link is used (on a networked store, a wrong one read before a right one landed must
        // not end a sign-in the right one already approved).
        const spent = await store.loginTokens.consume(token.hash, deps.clock.now());
        if (!spent.consumed) return refuseApproval(kit.refuse(await kit.explainSpent({ allow: false, reason: spent.reason }, token), fields), token);
        await kit.endSignIn(token.interactionUid);
        return refuse({ allow: false, reason: 'approval_mismatch' });
      }
      const outcome = await store.loginTokens.approve(token.hash, deps.clock.now());
      if (!outcome.consumed) return refuseApproval(kit.refuse(await kit.explainSpent({ allow: false, reason: outcome.reason }, token), fields), token);
      deps.audit('sign_in.approved', { ...kit.about(outcome.token), ip: answer.ip });
      deps.audit('login.confirmed', { ...kit.about(outcome.token), via: 'approval', sinceQueuedMs: deps.clock.now() - outcome.token.createdAt });
      return { allow: true, token: outcome.token };
    },

    /** What the starting window shows: read only, and only for the browser that started the sign-in. */
    approvalStatus: async (interactionUid: string, bindingNonce: string | undefined): Promise<ApprovalStatus> => {
      const [latest] = await ownApprovals(interactionUid, bindingNonce);
      if (!latest) return { state: 'none' };
      if ((await deps.signInStates.stateOf(interactionUid)) === 'cancelled') return { state: 'ended' };
      if (latest.approvedAt !== null) return latest.approvalFinishedAt === null ? { state: 'approved' } : { state: 'none' };
      if (decideLinkOpen(latest, deps.clock.now()).allow) return { state: 'asked', number: numberOf(latest) };
      return { state: 'none' };
    },

    /**
     * "Continue" in the starting window (pressed by its script once approved, or by hand): the
     * approved token, once, for finishSignIn; or where the approval stands.
     */
    finishApproval: async (interactionUid: string, bindingNonce: string | undefined): Promise<TokenOutcome | ApprovalStatus> => {
      const step = { step: 'approval_finish', interactionUid };
      if (!bindingNonce) return kit.refuse({ allow: false, reason: 'browser_mismatch' }, step);
      const own = await ownApprovals(interactionUid, bindingNonce);
      const approved = own.find((token) => token.approvedAt !== null && token.approvalFinishedAt === null);
      if (!approved) {
        const pending = own.find((token) => token.approvedAt === null && decideLinkOpen(token, deps.clock.now()).allow);
        return pending ? { state: 'asked', number: numberOf(pending) } : { state: 'none' };
      }
      if ((await deps.signInStates.stateOf(interactionUid)) === 'cancelled')
        return kit.refuse({ allow: false, reason: 'sign_in_cancelled' }, { ...step, ...kit.about(approved) });
      if (!(await store.loginTokens.claimApproval(approved.hash, deps.clock.now()))) {
        const reason = approved.expiresAt <= deps.clock.now() ? 'token_expired' : 'token_used';
        return kit.refuse({ allow: false, reason }, { ...step, ...kit.about(approved) });
      }
      // Ended while it was being claimed ("This wasn't me" from the email): the end wins.
      if ((await deps.signInStates.stateOf(interactionUid)) === 'cancelled')
        return kit.refuse({ allow: false, reason: 'sign_in_cancelled' }, { ...step, ...kit.about(approved) });
      return { allow: true, token: approved };
    },
  };
}
