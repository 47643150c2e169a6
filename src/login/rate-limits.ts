// The rate limits of the sign-in flow, counted in the active store (so every instance counts
// together) through the store's RateLimiter port. Email addresses are hashed into their keys: the
// counters table needs no personal data.
import type { LimitCheck, LimitName, RateLimitName, RateRule } from '../kernel/rate-limits.js';
import type { RateLimiter, RateLimitOutcome, Store } from '../store/port.js';
import type { Decision } from '../kernel/decisions.js';

export interface RateLimits {
  /** Spends one point of `name` for `key`; a refusal carries the seconds until it may be retried. */
  consume(name: LimitName, key: string): Promise<Decision>;
  /**
   * Spends one point of every limit, or of none: at the first refusal every point this call took
   * (the refused one included) is given back, so a refused request costs nobody anything. Without
   * this, a later limit refusing would leave earlier limits charged, and a handful of refused posts
   * from one IP could exhaust an address's budget for everyone.
   */
  consumeAll(checks: readonly LimitCheck[]): Promise<Decision & { readonly limit?: LimitName }>;
  /** Whether `key` still has points left, without spending one. */
  peek(name: LimitName, key: string): Promise<Decision>;
}

const decisionOf = (outcome: RateLimitOutcome): Decision =>
  outcome.allowed ? { allow: true } : { allow: false, reason: 'rate_limited', retryAfterSeconds: Math.max(1, Math.ceil(outcome.retryAfterMs / 1000)) };

export function createRateLimits(store: Store, rules: Readonly<Record<RateLimitName, RateRule>>, resendCooldownSeconds: number): RateLimits {
  const all: Record<LimitName, RateRule> = { ...rules, RESEND_COOLDOWN: { points: 1, durationSeconds: resendCooldownSeconds } };
  const limiters = Object.fromEntries(
    Object.entries(all).map(([name, rule]) => [
      name,
      store.createRateLimiter({ keyPrefix: `rl_${name.toLowerCase()}`, points: rule.points, durationSeconds: rule.durationSeconds }),
    ]),
  ) as Record<LimitName, RateLimiter>;

  const consume = async (name: LimitName, key: string) => decisionOf(await limiters[name].consume(key));
  const giveBack = (taken: readonly LimitCheck[]) => Promise.all(taken.map(([name, key]) => limiters[name].reward(key)));

  return {
    consume,
    async consumeAll(checks) {
      const taken: LimitCheck[] = [];
      for (const check of checks) {
        const [name, key] = check;
        let decision: Decision;
        try {
          decision = await consume(name, key);
        } catch (error) {
          await giveBack(taken).catch(() => undefined);
          throw error;
        }
        taken.push(check);
        if (!decision.allow) {
          await giveBack(taken);
          return { ...decision, limit: name };
        }
      }
      return { allow: true };
    },
    peek: async (name, key) => decisionOf(await limiters[name].peek(key)),
  };
}
