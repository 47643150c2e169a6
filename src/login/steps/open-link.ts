// The emailed link opened (GET and HEAD). Rules:
// - opening never consumes anything: mail scanners follow links; only the per-IP look-up
//   budget is spent;
// - a used or expired link says which, and a cancelled sign-in says that instead.
import { decideLinkOpen } from '../policy.js';
import type { SignInDeps, StepKit, TokenOutcome } from './step-kit.js';

export function createOpenLink(deps: SignInDeps, kit: StepKit) {
  return async function openLink(rawToken: string, ip: string): Promise<TokenOutcome> {
    const limited = await deps.limits.consume('RATE_LIMIT_VERIFY_PER_IP', ip);
    if (!limited.allow) return kit.refuse(limited, { step: 'open' });
    const token = await kit.findToken(rawToken);
    const decision = decideLinkOpen(token, deps.clock.now());
    if (!decision.allow) return kit.refuse(await kit.explainSpent(decision, token), { step: 'open', tokenId: kit.tokenId(token) });
    if (!token) return kit.refuse({ allow: false, reason: 'token_unknown' }, { step: 'open' });
    return { allow: true, token };
  };
}
