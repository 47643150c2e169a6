// The confirm button behind the emailed link (POST). Rules:
// - limits and policy first, nothing consumed on refusal: a scanner without the binding cookie, a
//   foreign interaction or a used link burns nothing;
// - then one atomic consume: exactly one of any number of concurrent confirms wins;
// - reached without this browser's interaction, it is only a look-up (the page says why the link
//   cannot work here), limited per IP like every other look-up.
import { decideConfirm } from '../policy.js';
import type { LimitCheck } from '../rate-limits.js';
import { sha256 } from '../token-crypto.js';
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
  const decide = async (input: ConfirmInput, token: Awaited<ReturnType<StepKit['findToken']>>): Promise<TokenOutcome> => {
    const decision = decideConfirm({
      token,
      now: deps.clock.now(),
      interactionUid: input.interactionUid,
      bindingHash: input.bindingNonce ? sha256(input.bindingNonce) : undefined,
      sameOrigin: input.sameOrigin,
    });
    if (!decision.allow) return kit.refuse(await kit.explainSpent(decision, token), { step: 'confirm', tokenId: kit.tokenId(token) });
    if (!token) return kit.refuse({ allow: false, reason: 'token_unknown' }, { step: 'confirm' });
    return { allow: true, token };
  };

  return {
    async confirmLink(input: ConfirmInput): Promise<TokenOutcome> {
      const token = await kit.findToken(input.rawToken);
      const limited = await deps.limits.consumeAll([
        ['RATE_LIMIT_VERIFY_PER_IP', input.ip],
        ...(token ? ([['RATE_LIMIT_VERIFY_PER_TOKEN', token.hash]] satisfies LimitCheck[]) : []),
      ]);
      if (!limited.allow) return kit.refuse(limited, { step: 'confirm', limit: limited.limit, tokenId: kit.tokenId(token) });
      const checked = await decide(input, token);
      if (!checked.allow) return checked;
      const outcome = await deps.store.loginTokens.consume(checked.token.hash, deps.clock.now());
      if (!outcome.consumed) return kit.refuse({ allow: false, reason: outcome.reason }, { step: 'consume', tokenId: kit.tokenId(checked.token) });
      deps.audit('login.confirmed', { tokenId: kit.tokenId(outcome.token), clientId: outcome.token.clientId, interactionUid: input.interactionUid, via: 'link' });
      return { allow: true, token: outcome.token };
    },

    /** The confirm reached without this browser's interaction: why the link cannot work here. */
    async explainConfirm(input: ConfirmInput): Promise<TokenOutcome> {
      const limited = await deps.limits.consume('RATE_LIMIT_VERIFY_PER_IP', input.ip);
      if (!limited.allow) return kit.refuse(limited, { step: 'confirm' });
      return decide(input, await kit.findToken(input.rawToken));
    },
  };
}
