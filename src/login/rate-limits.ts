// The rate limits of the sign-in flow, counted in the active store (so every instance counts
// together) with rate-limiter-flexible. Email addresses are hashed into their keys: the counters
// table needs no personal data.
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitName, RateRule } from '../config/env.js';
import type { Store } from '../store/port.js';
import type { Decision } from './policy.js';
import { sha256 } from './token-crypto.js';

export type LimitName = RateLimitName | 'RESEND_COOLDOWN';

export type LimitCheck = readonly [LimitName, string];

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

const isRefusal = (value: unknown): value is RateLimiterRes =>
  typeof value === 'object' && value !== null && 'msBeforeNext' in value && !(value instanceof Error);

const refused = (res: RateLimiterRes): Decision => ({
  allow: false,
  reason: 'rate_limited',
  retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
});

/**
 * Hashes exactly the canonical address (normalizeEmail) and nothing more: folding it again here
 * could make one budget of two addresses that the account store keeps apart.
 */
export const emailKey = (email: string) => sha256(email).slice(0, 32);

export function createRateLimits(store: Store, rules: Readonly<Record<RateLimitName, RateRule>>, resendCooldownSeconds: number): RateLimits {
  const all: Record<LimitName, RateRule> = { ...rules, RESEND_COOLDOWN: { points: 1, durationSeconds: resendCooldownSeconds } };
  const limiters = new Map<LimitName, RateLimiterAbstract>(
    Object.entries(all).map(([name, rule]) => [
      name as LimitName,
      store.createRateLimiter({ keyPrefix: `rl_${name.toLowerCase()}`, points: rule.points, durationSeconds: rule.durationSeconds }),
    ]),
  );
  const limiter = (name: LimitName) => limiters.get(name)!;

  const consume = async (name: LimitName, key: string): Promise<Decision> => {
    try {
      await limiter(name).consume(key);
      return { allow: true };
    } catch (error) {
      if (isRefusal(error)) return refused(error);
      throw error;
    }
  };

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
          await Promise.allSettled(taken.map(([n, k]) => limiter(n).reward(k, 1)));
          throw error;
        }
        taken.push(check);
        if (!decision.allow) {
          await Promise.all(taken.map(([n, k]) => limiter(n).reward(k, 1)));
          return { ...decision, limit: name };
        }
      }
      return { allow: true };
    },
    async peek(name, key) {
      const res = await limiter(name).get(key);
      if (res && res.consumedPoints >= all[name].points) return refused(res);
      return { allow: true };
    },
  };
}
