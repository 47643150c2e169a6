// The RateLimiter port over rate-limiter-flexible, which the MongoDB store uses (RateLimiterMongo;
// SQLite counts with statements of its own in the same table layout, sqlite/rate-limiter.ts). Its refusals are thrown RateLimiterRes objects and its types are its own;
// here they become linkid's small outcome type, so nothing above the store depends on them.
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiter, RateLimitOutcome } from './port.js';

const isRefusal = (value: unknown): value is RateLimiterRes =>
  typeof value === 'object' && value !== null && 'msBeforeNext' in value && !(value instanceof Error);

const refused = (res: RateLimiterRes): RateLimitOutcome => ({ allowed: false, retryAfterMs: res.msBeforeNext });

export function flexibleRateLimiter(limiter: RateLimiterAbstract): RateLimiter {
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return { allowed: true };
      } catch (error) {
        if (isRefusal(error)) return refused(error);
        throw error;
      }
    },
    async reward(key) {
      await limiter.reward(key, 1);
    },
    async peek(key) {
      const res = await limiter.get(key);
      return res && res.consumedPoints >= limiter.points ? refused(res) : { allowed: true };
    },
  };
}
