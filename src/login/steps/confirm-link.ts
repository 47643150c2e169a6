// The confirm button behind the emailed link (POST). Rules:
// - limits and policy first, nothing consumed on refusal: a scanner without the binding cookie, a
//   foreign interaction or a used link burns nothing;
// - then one atomic consume: exactly one of any number of concurrent confirms wins;
// - a value that names no token spends the IP's look-up budget; a real link spends its own
//   per-token budget instead, so no other page can lock a person out of their link;
// - reached without this browser's interaction, it is only a look-up (the page says why the link
//   cannot work here).
import type { LoginTokenRecord } from '../../store/port.js';
import { decideConfirm } from '../policy.js';
import { sha256 } from '../../kernel/token-crypto.js';
import type { SignInDeps, StepKit, TokenOutcome } from './step-kit.js';

export interface ConfirmInput {
  readonly rawToken: string;
  /** The interaction the confirm form was posted to. */
  readonly interactionUid: string;
  readonly bindingNonce: string | undefined;
  readonly sameOrigin: boolean;
  readonly ip: string;
}

export function createConfirmLink(deps: SignInDeps, kit: StepKit) {
  const decide = async (input: ConfirmInput, token: LoginTokenRecord): Promise<TokenOutcome> => {
    const decision = decideConfirm({
      token,
      now: deps.clock.now(),
      interactionUid: input.interactionUid,
      bindingHash: input.bindingNonce ? sha256(input.bindingNonce) : undefined,
      sameOrigin: input.sameOrigin,
    });
    if (!decision.allow) return kit.refuse(await kit.explainSpent(decision, token), { step: 'confirm', ...kit.about(token) });
    return { allow: true, token };
  };

  return {
    confirmLink: async (input: ConfirmInput): Promise<TokenOutcome> => {
      const token = await kit.findToken(input.rawToken);
      if (!token) return kit.unknownToken(input.ip, { step: 'confirm' });
      const limited = await deps.limits.consume('RATE_LIMIT_VERIFY_PER_TOKEN', token.hash);
      if (!limited.allow) return kit.refuse(limited, { step: 'confirm', limit: 'RATE_LIMIT_VERIFY_PER_TOKEN', ...kit.about(token) });
      const checked = await decide(input, token);
      if (!checked.allow) return checked;
      const outcome = await deps.store.loginTokens.consume(checked.token.hash, deps.clock.now());
      if (!outcome.consumed) return kit.refuse({ allow: false, reason: outcome.reason }, { step: 'consume', ...kit.about(checked.token) });
      deps.audit('login.confirmed', {
        ...kit.about(outcome.token),
        interactionUid: input.interactionUid,
        via: 'link',
        // The token is stored just before its email is queued: this is click-to-verify.
        sinceQueuedMs: deps.clock.now() - outcome.token.createdAt,
      });
      return { allow: true, token: outcome.token };
    },

    /** The confirm reached without this browser's interaction: why the link cannot work here. */
    explainConfirm: async (input: ConfirmInput): Promise<TokenOutcome> => {
      const token = await kit.findToken(input.rawToken);
      return token ? decide(input, token) : kit.unknownToken(input.ip, { step: 'confirm' });
    },
  };
}
