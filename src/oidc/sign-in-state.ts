// Where a sign-in stands, read from the oidc-provider interaction it belongs to, and "This wasn't
// me" written into that interaction. The cancellation is stored as the interaction's result (an
// access_denied error), so the engine itself ends the authorization with access_denied when the
// browser resumes, and it lives exactly as long as the interaction: no renew, resend or code can
// revive it, on any instance, for as long as anything could still finish it.
import type Provider from 'oidc-provider';
import type { SignInStates } from '../kernel/ports.js';

/** Marks our cancellation among interaction results (oidc-provider keeps extra result members). */
const CANCELLED_MARK = 'sign_in_cancelled';

export const CANCELLED_RESULT = {
  error: 'access_denied',
  error_description: 'The sign-in was cancelled from the email ("This wasn\'t me")',
  linkid: CANCELLED_MARK,
} as const;

export const isCancelledResult = (result: unknown): boolean =>
  typeof result === 'object' && result !== null && (result as { linkid?: unknown }).linkid === CANCELLED_MARK;

export function createSignInStates(provider: Provider): SignInStates {
  return {
    async stateOf(uid) {
      const interaction = await provider.Interaction.find(uid);
      if (!interaction) return 'gone';
      if (isCancelledResult(interaction.result)) return 'cancelled';
      if (interaction.result) return 'finishing';
      return interaction.prompt.name === 'login' ? 'pending' : 'gone';
    },
    async cancel(uid) {
      const interaction = await provider.Interaction.find(uid);
      if (!interaction) return false;
      // A login result not yet taken up by the browser is overridden too: the address's owner said
      // it was not them, and that wins over a sign-in that has not reached the app.
      interaction.result = { ...CANCELLED_RESULT };
      await interaction.persist();
      return true;
    },
  };
}
