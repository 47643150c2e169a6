// Off the request path: the part of a sign-in that depends on the address. Rules:
// - the account and the sign-up policy (the app's own, if it has one) decide what the email says,
//   nothing else: an address that
//   may not sign in still gets a pending sign-in (a decoy whose code was never sent and whose
//   digest is random, so no guess can match) and an email through the same queue, saying it
//   cannot sign in there, so codes, delivery status and timing look alike for every address;
// - only sha256 of the link token and an HMAC of the code are stored;
// - the token is stored before its mail is queued, never the other way round; once stored, the
//   sign-in is checked again, and a sign-in cancelled meanwhile gets no token and no mail;
// - both kinds of email are composed every time, so the work on the event loop after the
//   response is the same for every address;
// - it runs from the email form's stored request (login/link-requests.ts): right after the answer
//   in the process that gave it, or later in another if that one died; it may run twice for one
//   request, and queues one email (the email's id is the request's); a token stored by a run that
//   died before queueing is never mailed, so nobody holds it;
// - every URL in the email is built from ISSUER;
// - the link lives as long as the app asks, never longer than the global cap.
import { randomBytes } from 'node:crypto';
import type { Locale } from '../../kernel/locales.js';
import { flowUrl } from '../flow-paths.js';
import { decideSignIn, linkTtlSeconds } from '../policy.js';
import { codeHmac, newCode, newLinkToken, sha256, tokenId } from '../../kernel/token-crypto.js';
import type { SignInDeps } from './step-kit.js';

const MAX_USER_AGENT_LENGTH = 512;

export interface Delivery {
  readonly email: string;
  readonly interactionUid: string;
  readonly clientId: string;
  readonly clientName: string;
  readonly bindingHash: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly requestId: string;
  /** The language of the page that asked: the email speaks it too. */
  readonly locale: Locale;
}

export function createDeliverLink(deps: SignInDeps) {
  /**
   * `mailId`: the id of the email, for work that may be done again (src/login/link-requests.ts):
   * once an email with that id is queued, a re-run queues nothing.
   */
  return async function deliverLink(request: Delivery, mailId?: string): Promise<void> {
    const account = await deps.store.users.findByEmail(request.email);
    const app = await deps.apps.find(request.clientId);
    const signup = decideSignIn(deps.signup, app.policy, request.email, account !== undefined);
    const ttlSeconds = linkTtlSeconds(deps.ttlSeconds, app.policy);
    const token = newLinkToken();
    const code = newCode();
    const hash = sha256(token);
    const now = deps.clock.now();
    const expiresAt = now + ttlSeconds * 1000;
    const digest = codeHmac(deps.serverSecret, hash, code);
    await deps.store.loginTokens.insert({
      hash,
      email: request.email,
      interactionUid: request.interactionUid,
      clientId: request.clientId,
      bindingHash: request.bindingHash,
      codeHmac: signup.allow ? digest : randomBytes(32).toString('hex'),
      ip: request.ip,
      userAgent: request.userAgent.slice(0, MAX_USER_AGENT_LENGTH),
      createdAt: now,
      expiresAt,
      usedAt: null,
      codeAttempts: 0,
      approvalRequestedAt: null,
      approvedAt: null,
      approvalFinishedAt: null,
    });
    const common = {
      to: request.email,
      cancelLink: flowUrl(deps.issuer, 'cancel', token),
      appName: request.clientName,
      expiresAt,
      ttlSeconds,
      branding: app.branding,
      notAllowedHere: account !== undefined && app.policy.signup?.policy === 'allowlist',
      ip: request.ip,
      userAgent: request.userAgent,
      locale: request.locale,
    };
    const signInMail = deps.email.render({ ...common, link: flowUrl(deps.issuer, 'openLink', token), code });
    const refusedMail = deps.email.renderRefused(common);
    if ((await deps.signInStates.stateOf(request.interactionUid)) === 'cancelled') {
      await deps.store.loginTokens.consume(hash, deps.clock.now());
      deps.audit('login.refused', {
        reason: 'sign_in_cancelled',
        step: 'send',
        tokenId: tokenId(hash),
        interactionUid: request.interactionUid,
        email: request.email,
      });
      return;
    }
    const queued = await deps.sendQueue.enqueue(signup.allow ? signInMail : refusedMail, {
      id: mailId,
      interactionUid: request.interactionUid,
      bindingHash: request.bindingHash,
      requestId: request.requestId,
      giveUpAt: expiresAt,
    });
    // Queued before, by a run that died before it could say so: that email stands. The token
    // stored above is never mailed, so nobody holds it; it expires unused.
    if (queued === null) return;
    const fields = { tokenId: tokenId(hash), clientId: request.clientId, interactionUid: request.interactionUid, email: request.email };
    if (signup.allow) deps.audit('login.link_sent', fields);
    else deps.audit('login.refused', { reason: signup.reason, step: 'send', ...fields });
  };
}

export type DeliverLink = ReturnType<typeof createDeliverLink>;
