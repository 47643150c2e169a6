// "This wasn't me" from the email. Rules:
// - GET only shows what would be cancelled (scanners follow links); POST ends it;
// - it needs no binding cookie: the person who got the email may open it anywhere;
// - it works for a link that is used or expired too, as long as its sign-in could still be
//   finished or renewed, including one whose link or code was accepted but whose browser has not
//   yet gone back to the app; a sign-in already cancelled says so;
// - cancelling writes the cancellation into the interaction itself first, then spends every
//   pending token of the sign-in (kit.endSignIn), so no renew, resend or code can revive it, on
//   any instance (a resend being prepared at that moment sees the cancellation after storing its
//   token, and withdraws it: deliver-link.ts).
import { decideLinkOpen } from '../policy.js';
import type { SignInDeps, StepKit, TokenOutcome } from './step-kit.js';

export function createCancelSignIn(deps: SignInDeps, kit: StepKit) {
  const openCancel = async (rawToken: string, ip: string): Promise<TokenOutcome> => {
    const token = await kit.findToken(rawToken);
    if (!token) return kit.unknownToken(ip, { step: 'cancel' });
    const fields = { step: 'cancel', ...kit.about(token) };
    const state = await deps.signInStates.stateOf(token.interactionUid);
    if (state === 'cancelled') return kit.refuse({ allow: false, reason: 'sign_in_cancelled' }, fields);
    if (state === 'gone') {
      // Nothing left to end: say what happened to the link (most likely it signed someone in).
      const link = decideLinkOpen(token, deps.clock.now());
      return kit.refuse(link.allow ? { allow: false, reason: 'interaction_expired' } : { ...link, signInOver: true }, fields);
    }
    return { allow: true, token };
  };

  return {
    openCancel,
    cancelSignIn: async (rawToken: string, ip: string): Promise<TokenOutcome> => {
      const opened = await openCancel(rawToken, ip);
      if (!opened.allow) return opened;
      const { token } = opened;
      await kit.endSignIn(token.interactionUid);
      deps.audit('login.cancelled', { ...kit.about(token), ip });
      return { allow: true, token };
    },
  };
}
