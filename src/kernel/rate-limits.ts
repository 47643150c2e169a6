// The names of the rate limits, and the checks one sign-in email spends. Each limit is configured
// by the variable of its name (src/config/env.ts) and counted in the store
// (src/login/rate-limits.ts); the sign-in, the change of address and recovery all name them.
import { addressHash } from './email-address.js';

export const RATE_LIMIT_NAMES = [
  'RATE_LIMIT_SEND_PER_EMAIL',
  'RATE_LIMIT_SEND_PER_IP',
  'RATE_LIMIT_SEND_PER_IP_EMAIL',
  'RATE_LIMIT_SEND_PER_BROWSER',
  'RATE_LIMIT_VERIFY_PER_IP',
  'RATE_LIMIT_VERIFY_PER_TOKEN',
  'RATE_LIMIT_CODE_PER_IP',
  'RATE_LIMIT_CODE_FAILURES_PER_EMAIL',
  'RATE_LIMIT_EMAIL_CHANGE_PER_ACCOUNT',
  'RATE_LIMIT_RECOVERY_PER_EMAIL',
  'RATE_LIMIT_RECOVERY_PER_IP',
  'RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT',
  'RATE_LIMIT_DEVICE_CODE_PER_IP',
] as const;

export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];

/** Every limit, the resend cooldown of one sign-in (RESEND_COOLDOWN_SECONDS) included. */
export type LimitName = RateLimitName | 'RESEND_COOLDOWN';

/** A rate-limit rule as configured: `points` actions per `durationSeconds`. */
export interface RateRule {
  readonly points: number;
  readonly durationSeconds: number;
}

/** One point of a limit, for one key. */
export type LimitCheck = readonly [LimitName, string];

/** The limits every email to `email` asked from `ip` spends (a sign-in link, or a change of address). */
export const sendLimits = (email: string, ip: string): LimitCheck[] => [
  ['RATE_LIMIT_SEND_PER_IP', ip],
  ['RATE_LIMIT_SEND_PER_EMAIL', addressHash(email)],
  ['RATE_LIMIT_SEND_PER_IP_EMAIL', `${ip}|${addressHash(email)}`],
];
