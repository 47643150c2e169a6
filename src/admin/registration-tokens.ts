// Initial access tokens for dynamic client registration (DYNAMIC_REGISTRATION=initial-token):
// create, list, revoke. Used by the admin CLI (`linkid-admin registration-token ...`) and open to
// the admin console; no HTTP here. A token is shown once, when it is made: the store keeps an
// HMAC of it (src/oidc/registration.ts registrationTokenDigest) with its expiry and its uses, so
// a copy of the database registers nothing. Spending a use is the registration's (registration.ts).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Audit } from '../kernel/audit.js';
import type { Clock } from '../kernel/clock.js';
import { registrationTokenDigest } from '../oidc/registration.js';
import type { RegistrationTokenRecord, Store } from '../store/port.js';
import { ADMIN_CLI, type AdminActor } from './admin-actor.js';
import { AdminError } from './admin-error.js';

const DAY_SECONDS = 86_400;
/** A token no one used in this long is more likely forgotten in a pipeline's settings than still needed. */
const MAX_EXPIRES_IN_SECONDS = 90 * DAY_SECONDS;
const MAX_USES = 1000;
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: DAY_SECONDS };

/** `90s`, `30m`, `12h`, `1d` (or a plain number of seconds) in seconds. */
const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const match = typeof value === 'number' ? [String(value), String(value), 's'] : /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1) : Number.NaN;
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > MAX_EXPIRES_IN_SECONDS) {
    ctx.addIssue({ code: 'custom', message: '--expires-in must be a duration from 60s to 90d, such as 30m, 12h or 1d' });
    return z.NEVER;
  }
  return seconds;
});

export const createRegistrationTokenInput = z.object({
  /** Default one day: long enough to hand to someone, short enough not to linger. */
  expiresIn: duration.default(DAY_SECONDS),
  /**
   * Default 1: a token is usually handed to one developer or one pipeline to register one app; a
   * single use is spent by that registration, so a copy of it that leaked is worth nothing after,
   * and a registration refused for a used-up token says someone else was first.
   */
  uses: z
    .union(
      [
        z.number(),
        z
          .string()
          .regex(/^\d{1,9}$/)
          .transform(Number),
      ],
      { error: `--uses must be a whole number from 1 to ${MAX_USES}` },
    )
    .pipe(
      z
        .number()
        .int()
        .min(1, { error: `--uses must be a whole number from 1 to ${MAX_USES}` })
        .max(MAX_USES, { error: `--uses must be at most ${MAX_USES}` }),
    )
    .default(1),
});

export type CreateRegistrationTokenInput = z.input<typeof createRegistrationTokenInput>;

export interface RegistrationTokenView {
  id: string;
  created_at: string;
  expires_at: string;
  uses: number;
  used: number;
  uses_left: number;
  /** live: admits registrations; expired, used_up, revoked: admits none. */
  state: 'live' | 'expired' | 'used_up' | 'revoked';
  revoked_at?: string;
}

/** What create answers: the view, and the token itself, shown this once. */
export type NewRegistrationToken = RegistrationTokenView & { token: string };

export interface RegistrationTokenAdminDeps {
  readonly store: Pick<Store, 'registrationTokens'>;
  readonly clock: Clock;
  readonly serverSecret: Buffer;
  readonly audit?: Audit;
}

export function createRegistrationTokenAdmin({ store, clock, serverSecret, audit = () => undefined }: RegistrationTokenAdminDeps) {
  const digest = registrationTokenDigest(serverSecret);
  const iso = (at: number) => new Date(at).toISOString();
  const view = (token: RegistrationTokenRecord, now: number): RegistrationTokenView => ({
    id: token.id,
    created_at: iso(token.createdAt),
    expires_at: iso(token.expiresAt),
    uses: token.uses,
    used: token.used,
    uses_left: Math.max(0, token.uses - token.used),
    state: token.revokedAt !== null ? 'revoked' : token.expiresAt <= now ? 'expired' : token.used >= token.uses ? 'used_up' : 'live',
    ...(token.revokedAt === null ? {} : { revoked_at: iso(token.revokedAt) }),
  });

  return {
    /** `actor`: who made it, for the audit event (the CLI unless the console says otherwise). */
    async create(raw: CreateRegistrationTokenInput = {}, actor: AdminActor = ADMIN_CLI): Promise<NewRegistrationToken> {
      const parsed = createRegistrationTokenInput.safeParse(raw);
      if (!parsed.success) throw new AdminError('invalid_argument', parsed.error.issues.map((issue) => issue.message).join('; '));
      const now = clock.now();
      const token = randomBytes(32).toString('base64url');
      const record: RegistrationTokenRecord = {
        id: randomBytes(9).toString('base64url').replace(/^-/, 'x'),
        digest: digest(token),
        createdAt: now,
        expiresAt: now + parsed.data.expiresIn * 1000,
        uses: parsed.data.uses,
        used: 0,
        revokedAt: null,
      };
      await store.registrationTokens.insert(record);
      audit('registration_token.created', { tokenId: record.id, uses: record.uses, expiresAt: iso(record.expiresAt), ...actor });
      return { ...view(record, now), token };
    },

    async list(): Promise<RegistrationTokenView[]> {
      const now = clock.now();
      return (await store.registrationTokens.list()).map((token) => view(token, now));
    },

    async revoke(id: string, actor: AdminActor = ADMIN_CLI): Promise<{ revoked: string }> {
      if (!(await store.registrationTokens.revoke(id, clock.now()))) throw new AdminError('not_found', `no live registration token with id ${id}`);
      audit('registration_token.revoked', { tokenId: id, ...actor });
      return { revoked: id };
    },
  };
}

export type RegistrationTokenAdmin = ReturnType<typeof createRegistrationTokenAdmin>;
