// A fresh link for the sign-in a used or expired link belonged to, bound to the same browser.
// Rules:
// - only for a link that is used or expired, of a sign-in that still waits for a login;
// - never for a cancelled sign-in;
// - no resend cooldown (the old link is proof enough of a real sign-in), but the per-address and
//   per-IP send limits apply, spent all or none;
// - a store that takes no writes refuses before any limit is spent, as the email form does.
import type { Locale } from '../../kernel/locales.js';
import type { DeliverLink } from './deliver-link.js';
import { sendLimits } from '../../kernel/rate-limits.js';
import type { SignInDeps, StepKit } from './step-kit.js';
import type { Refusal } from '../../kernel/decisions.js';

export interface RenewInput {
  readonly rawToken: string;
  readonly ip: string;
  readonly requestId: string;
  readonly clientName: (clientId: string) => Promise<string>;
  /** The language of the new email, for the sign-in of that interaction. */
  readonly locale: (interactionUid: string) => Promise<Locale>;
}

export function createRenewLink(deps: SignInDeps, kit: StepKit, deliverLink: DeliverLink) {
  return async function renewLink(input: RenewInput): Promise<{ readonly allow: true; readonly clientId: string } | Refusal> {
    const token = await kit.findToken(input.rawToken);
    if (!token) return kit.refuse({ allow: false, reason: 'token_unknown' }, { step: 'renew' });
    const fields = { step: 'renew', ...kit.about(token) };
    const state = await deps.signInStates.stateOf(token.interactionUid);
    if (state === 'cancelled') return kit.refuse({ allow: false, reason: 'sign_in_cancelled' }, fields);
    if (token.usedAt === null && token.expiresAt > deps.clock.now()) return kit.refuse({ allow: false, reason: 'invalid_request' }, fields);
    if (state !== 'pending') return kit.refuse({ allow: false, reason: 'interaction_expired' }, fields);
    deps.offRequest.admit();
    const limited = await deps.limits.consumeAll(sendLimits(token.email, input.ip));
    if (!limited.allow) return kit.refuse(limited, { ...fields, limit: limited.limit });
    const clientName = await input.clientName(token.clientId);
    const locale = await input.locale(token.interactionUid);
    deps.offRequest.run('renew sign-in link', () =>
      deliverLink({ ...token, clientName, locale, ip: input.ip, userAgent: token.userAgent, requestId: input.requestId }),
    );
    return { allow: true, clientId: token.clientId };
  };
}
