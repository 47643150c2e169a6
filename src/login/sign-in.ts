// The sign-in, one step per file in src/login/steps/ (each opens with its rules), listed here in
// the order a person walks it, with the route that reaches it (flow-paths.ts) and what it may
// answer, as oidc-provider's lib/actions/authorization/index.js lists its own. Routes in src/http
// only translate HTTP to a step and back. Every way in (a link, its code, a recovery code) ends
// in finishSignIn with its method; a new way in is a step here and a row in
// kernel/sign-in-method.ts. test/unit/sign-in-map.test.ts keeps this table and the steps in step.
import type { Reason } from '../kernel/reasons.js';
import type { SignInMethod } from '../kernel/sign-in-method.js';
import type { FlowRoute } from './flow-paths.js';
import type { LinkRequests } from './link-requests.js';
import { createApproveElsewhere } from './steps/approve-elsewhere.js';
import { createCancelSignIn } from './steps/cancel-sign-in.js';
import { createConfirmLink } from './steps/confirm-link.js';
import { createDeliverLink } from './steps/deliver-link.js';
import { createDeliveryStatus } from './steps/delivery-status.js';
import { createFinishSignIn } from './steps/finish-sign-in.js';
import { createIssueQrLink } from './steps/issue-qr-link.js';
import { createOpenLink } from './steps/open-link.js';
import { createRedeemRecoveryCode } from './steps/redeem-recovery-code.js';
import { createRenewLink } from './steps/renew-link.js';
import { createRequestLink } from './steps/request-link.js';
import { createStepKit, type SignInDeps } from './steps/step-kit.js';
import { createVerifyCode } from './steps/verify-code.js';

export type { SignInDeps } from './steps/step-kit.js';

export interface StepEntry {
  /** The function createSignIn returns for it. */
  readonly step: string;
  /** src/login/steps/<file>.ts */
  readonly file: string;
  /**
   * How it is reached: a route of src/login/flow-paths.ts, `off-request` for work after a
   * response, or `way-in` for what a way in hands on to.
   */
  readonly route: FlowRoute | 'off-request' | 'way-in';
  /** What it answers when it lets the sign-in on. */
  readonly onward: string;
  /** The reasons it may refuse with (src/kernel/reasons.ts). */
  readonly refusals: readonly Reason[];
  /** The way in this step proves, handing on to finishSignIn. */
  readonly wayIn?: SignInMethod;
}

/** What a confirm may refuse with, whether it consumes (confirmLink) or only explains (explainConfirm). */
const CONFIRM_REFUSALS: readonly Reason[] = [
  'token_unknown',
  'token_used',
  'token_expired',
  'sign_in_cancelled',
  'origin_mismatch',
  'interaction_mismatch',
  'browser_mismatch',
  'rate_limited',
];

/** What a link that can no longer be approved or turned into a QR link says. */
const LINK_CLOSED_REFUSALS: readonly Reason[] = ['token_unknown', 'token_used', 'token_expired', 'sign_in_cancelled'];

/** The walk, in order. Steps that stand beside it (renew, cancel, the status poll) follow it. */
export const SIGN_IN_MAP: readonly StepEntry[] = [
  // 1. The email form, and the resend button: the same answer for every address.
  { step: 'requestLink', file: 'request-link', route: 'requestLink', onward: 'the check-your-email page', refusals: ['rate_limited'] },
  // 2. After the response: the account and policy decide which email goes (a link, or "you cannot sign in here").
  {
    step: 'deliverLink',
    file: 'deliver-link',
    route: 'off-request',
    onward: 'a stored token and a queued email',
    refusals: ['signup_closed', 'sign_in_cancelled'],
  },
  // 3a. The emailed link opened: a confirm page, never a consume (mail scanners follow links).
  {
    step: 'openLink',
    file: 'open-link',
    route: 'openLink',
    onward: 'the confirm page',
    refusals: ['token_unknown', 'token_used', 'token_expired', 'sign_in_cancelled', 'rate_limited'],
  },
  // 3b. The confirm button: one atomic consume, in the browser that asked.
  {
    step: 'confirmLink',
    file: 'confirm-link',
    route: 'confirmLink',
    onward: 'finishSignIn',
    refusals: CONFIRM_REFUSALS,
    wayIn: 'link',
  },
  // 3c. Or the 6-digit code from the same email, typed in the window that started the sign-in.
  {
    step: 'verifyCode',
    file: 'verify-code',
    route: 'code',
    onward: 'finishSignIn',
    refusals: ['browser_mismatch', 'code_invalid', 'code_expired', 'code_locked', 'token_used', 'rate_limited'],
    wayIn: 'code',
  },
  // 3d. Or, opened in a browser that did not start the sign-in: "approve from here" shows three numbers,
  {
    step: 'askApproval',
    file: 'approve-elsewhere',
    route: 'askApproval',
    onward: "three numbers, one of them the starting window's",
    refusals: [...LINK_CLOSED_REFUSALS, 'origin_mismatch', 'interaction_expired', 'rate_limited'],
  },
  // and the number pressed there consumes the link; "This wasn't me" or a wrong one ends the sign-in,
  {
    step: 'answerApproval',
    file: 'approve-elsewhere',
    route: 'answerApproval',
    onward: 'the approved page; the starting window finishes',
    refusals: [...LINK_CLOSED_REFUSALS, 'origin_mismatch', 'interaction_expired', 'approval_invalid', 'approval_mismatch', 'code_locked', 'rate_limited'],
  },
  // then the starting window, which polls approvalStatus, finishes it with "Continue".
  {
    step: 'finishApproval',
    file: 'approve-elsewhere',
    route: 'finishApproval',
    onward: 'finishSignIn',
    refusals: ['browser_mismatch', 'sign_in_cancelled', 'token_used', 'token_expired'],
    wayIn: 'approval',
  },
  // 3e. Or, for someone who lost their inbox, the address and one recovery code.
  {
    step: 'redeemRecoveryCode',
    file: 'redeem-recovery-code',
    route: 'recover',
    onward: 'finishSignIn',
    refusals: ['recovery_malformed', 'recovery_invalid', 'account_disabled', 'rate_limited'],
    wayIn: 'recovery',
  },
  // 4. Every way in ends here: policy again, the account found or made, the login for oidc-provider.
  {
    step: 'finishSignIn',
    file: 'finish-sign-in',
    route: 'way-in',
    onward: 'a login: 303 to resume the authorization',
    refusals: ['signup_closed', 'account_disabled'],
  },
  // Beside the walk: what the check-your-email page polls,
  { step: 'deliveryStatus', file: 'delivery-status', route: 'delivery', onward: 'queued, sent, delivered, bounced or failed', refusals: [] },
  { step: 'approvalStatus', file: 'approve-elsewhere', route: 'approvalStatus', onward: 'none, the number to show, approved or ended', refusals: [] },
  // a fresh one-time link, as a QR code, for the browser that started (a link opened elsewhere),
  {
    step: 'issueQrLink',
    file: 'issue-qr-link',
    route: 'qrLink',
    onward: 'the QR code and its link',
    refusals: [...LINK_CLOSED_REFUSALS, 'origin_mismatch', 'interaction_expired', 'rate_limited'],
  },
  // why a confirm reached without this browser's interaction cannot work here,
  {
    step: 'explainConfirm',
    file: 'confirm-link',
    route: 'confirmLink',
    onward: 'the other-browser page',
    refusals: CONFIRM_REFUSALS,
  },
  // a fresh link for a used or expired one,
  {
    step: 'renewLink',
    file: 'renew-link',
    route: 'renewLink',
    onward: 'a new email, bound to the same browser',
    refusals: ['token_unknown', 'invalid_request', 'sign_in_cancelled', 'interaction_expired', 'rate_limited'],
  },
  // and "This wasn't me" from the email: GET shows, POST ends the sign-in for good.
  {
    step: 'openCancel',
    file: 'cancel-sign-in',
    route: 'cancel',
    onward: 'the cancel page',
    refusals: ['token_unknown', 'sign_in_cancelled', 'interaction_expired', 'token_used', 'token_expired', 'rate_limited'],
  },
  {
    step: 'cancelSignIn',
    file: 'cancel-sign-in',
    route: 'cancel',
    onward: 'the sign-in ended',
    refusals: ['token_unknown', 'sign_in_cancelled', 'interaction_expired', 'token_used', 'token_expired', 'rate_limited'],
  },
];

/** `linkRequests`: where the email form keeps its promise (src/login/link-requests.ts; the server sweeps it). */
export function createSignIn(deps: SignInDeps, linkRequests: LinkRequests) {
  const kit = createStepKit(deps);
  const deliverLink = createDeliverLink(deps);
  const { confirmLink, explainConfirm } = createConfirmLink(deps, kit);
  const { openCancel, cancelSignIn } = createCancelSignIn(deps, kit);
  const { askApproval, answerApproval, approvalStatus, finishApproval } = createApproveElsewhere(deps, kit);
  return {
    requestLink: createRequestLink(deps, linkRequests),
    deliverLink,
    openLink: createOpenLink(deps, kit),
    confirmLink,
    verifyCode: createVerifyCode(deps, kit),
    askApproval,
    answerApproval,
    finishApproval,
    redeemRecoveryCode: createRedeemRecoveryCode(deps),
    finishSignIn: createFinishSignIn(deps),
    deliveryStatus: createDeliveryStatus(deps),
    approvalStatus,
    issueQrLink: createIssueQrLink(deps, kit),
    explainConfirm,
    renewLink: createRenewLink(deps, kit, deliverLink),
    openCancel,
    cancelSignIn,
  };
}

export type SignIn = ReturnType<typeof createSignIn>;
