// The email form and the resend button. Rules:
// - the same answer, at the same speed, for every address: only rate limits are checked here,
//   everything that depends on the address happens after the response (deliver-link.ts);
// - the answer is a promise kept through a crash: before it, the email's request is stored (one
//   insert, the same for every address, its content sealed: login/link-requests.ts), so a process
//   killed between the answer and the queued email leaves it for another process to send;
// - the limits (per browser, IP, address, IP+address, and the resend cooldown of this sign-in)
//   are spent all or none, so a refused request spends nothing and the per-address budget
//   counts emails actually sent;
// - a cancelled sign-in cannot send again (its interaction refuses before this step runs);
// - a store that takes no writes (a full disk) refuses at once, before any limit is spent: the
//   token and the mail would be stored after the response, where a failure is seen by no one.
import type { Locale } from '../../kernel/locales.js';
import { addressHash } from '../../kernel/email-address.js';
import type { Decision } from '../../kernel/decisions.js';
import { sendLimits } from '../../kernel/rate-limits.js';
import { sha256 } from '../../kernel/token-crypto.js';
import type { LinkRequests } from '../link-requests.js';
import type { Delivery } from './deliver-link.js';
import type { SignInDeps } from './step-kit.js';

export interface LinkRequest {
  /** Canonical (normalizeEmail). */
  readonly email: string;
  readonly interactionUid: string;
  readonly clientId: string;
  readonly clientName: string;
  readonly bindingNonce: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly requestId: string;
  /** The language of the page the address was typed on; the email is written in it. */
  readonly locale: Locale;
}

export function createRequestLink(deps: SignInDeps, linkRequests: LinkRequests) {
  return async function requestLink(request: LinkRequest): Promise<Decision> {
    deps.offRequest.admit();
    const bindingHash = sha256(request.bindingNonce);
    const limited = await deps.limits.consumeAll([
      ['RATE_LIMIT_SEND_PER_BROWSER', bindingHash],
      ...sendLimits(request.email, request.ip),
      ['RESEND_COOLDOWN', `${request.interactionUid}|${addressHash(request.email)}`],
    ]);
    if (!limited.allow) {
      deps.audit('login.refused', {
        reason: limited.reason,
        limit: limited.limit,
        step: 'request',
        interactionUid: request.interactionUid,
        clientId: request.clientId,
        email: request.email,
      });
      return limited;
    }
    // Everything but the binding nonce: the cookie's value never reaches the store.
    const delivery: Delivery = {
      email: request.email,
      interactionUid: request.interactionUid,
      clientId: request.clientId,
      clientName: request.clientName,
      bindingHash,
      ip: request.ip,
      userAgent: request.userAgent,
      requestId: request.requestId,
      locale: request.locale,
    };
    const id = await linkRequests.record(delivery);
    deps.audit('login.requested', { interactionUid: request.interactionUid, clientId: request.clientId, email: request.email });
    deps.offRequest.run('send sign-in link', () => linkRequests.fulfil(id, delivery));
    return { allow: true };
  };
}
