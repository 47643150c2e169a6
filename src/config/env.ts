// Parses the environment once into a frozen, typed Config. The only module that reads
// process.env; everything else receives Config explicitly. A bad value stops the start with one
// line that names the variable.
import path from 'node:path';
import { z } from 'zod';
import { canonicalDomain } from '../login/email-address.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Out-of-band secrets may live at most 10 minutes (ASVS 6.5.5, NIST SP 800-63B). */
export const MAX_LOGIN_TOKEN_TTL_SECONDS = 600;

/** A rate-limit rule as configured: `points` actions per `durationSeconds`. */
export interface RateRule {
  readonly points: number;
  readonly durationSeconds: number;
}

export const RATE_LIMIT_DEFAULTS = {
  /** Sign-in emails to one address. */
  RATE_LIMIT_SEND_PER_EMAIL: '5/1h',
  /** Sign-in emails requested from one IP address. */
  RATE_LIMIT_SEND_PER_IP: '30/1h',
  /** Sign-in emails to one address from one IP address. */
  RATE_LIMIT_SEND_PER_IP_EMAIL: '3/10m',
  /** Sign-in emails requested by one browser (binding cookie). */
  RATE_LIMIT_SEND_PER_BROWSER: '10/1h',
  /** Link opens and confirms from one IP address. */
  RATE_LIMIT_VERIFY_PER_IP: '60/10m',
  /** Confirms of one link. */
  RATE_LIMIT_VERIFY_PER_TOKEN: '10/10m',
  /** Code attempts from one IP address. */
  RATE_LIMIT_CODE_PER_IP: '20/10m',
  /** Failed code attempts for one address, across all its links: a new link does not reset it. */
  RATE_LIMIT_CODE_FAILURES_PER_EMAIL: '10/1h',
} as const;

export type RateLimitName = keyof typeof RATE_LIMIT_DEFAULTS;

export const SIGNUP_POLICIES = ['open', 'allowlist', 'closed'] as const;

export const MAIL_TRANSPORTS = ['postmark', 'outbox'] as const;

export interface Config {
  readonly port: number;
  /** The issuer identifier, without a trailing slash. Every URL we email is built from it. */
  readonly issuer: string;
  readonly dataDir: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly loginTokenTtlSeconds: number;
  readonly mailFrom: string;
  readonly productName: string;
  readonly trustProxy: boolean;
  readonly purgeIntervalSeconds: number;
  readonly rateLimits: Readonly<Record<RateLimitName, RateRule>>;
  /** Seconds before the check-your-email page offers to send another link. */
  readonly resendCooldownSeconds: number;
  /** Wrong codes one link accepts before its code dies. */
  readonly codeMaxAttempts: number;
  /** Who may create an account: anyone, addresses in allowed domains, or nobody new. */
  readonly signup: { readonly policy: (typeof SIGNUP_POLICIES)[number]; readonly allowedDomains: readonly string[] };
  /** SSO session lifetimes in seconds: since the last sign-in activity, and at most since login. */
  readonly sessionIdleSeconds: number;
  readonly sessionAbsoluteSeconds: number;
  /** Set: mail goes through Postmark; unset: to the outbox in dataDir. */
  readonly postmark:
    | {
        readonly serverToken: string;
        readonly apiUrl: string | undefined;
        readonly messageStream: string;
        /** "user:password" for the delivery webhook's basic auth; unset disables the webhook. */
        readonly webhookAuth: string | undefined;
      }
    | undefined;
  readonly supportEmail: string | undefined;
  readonly logoUrl: string | undefined;
  /** Set: the MongoDB store; unset: SQLite in dataDir. */
  readonly mongodbUri: string | undefined;
  /** Where key files are read or created (default DATA_DIR/keys); share it across instances. */
  readonly keysDir: string;
  /** Keys given directly in the environment take precedence over files in keysDir. */
  readonly keys: {
    readonly signingKeys: string | undefined;
    readonly cookieKeys: string[] | undefined;
    readonly serverSecret: string | undefined;
  };
}

export class ConfigError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`Invalid configuration: ${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }));

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const issuerUrl = z.string().transform((value, ctx) => {
  const url = URL.parse(value);
  const problem = !url
    ? 'must be an absolute URL such as https://id.example.com'
    : url.protocol !== 'https:' && url.protocol !== 'http:'
      ? 'must use https'
      : url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)
        ? 'must use https unless the host is localhost or a loopback address'
        : url.search || url.hash || value.includes('?') || value.includes('#')
          ? 'must not have a query or fragment'
          : url.username || url.password
            ? 'must not contain credentials'
            : undefined;
  if (problem || !url) {
    ctx.addIssue({ code: 'custom', message: problem ?? 'is invalid' });
    return z.NEVER;
  }
  return url.href.replace(/\/+$/, '');
});

const signingKeysJson = z.string().superRefine((value, ctx) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON Web Key Set ({"keys": [...]})' });
    return;
  }
  const keys = (parsed as { keys?: unknown }).keys;
  const valid =
    Array.isArray(keys) &&
    keys.length > 0 &&
    keys.every((key) => typeof key === 'object' && key !== null && typeof key.kty === 'string' && typeof key.d === 'string' && typeof key.kid === 'string');
  if (!valid) ctx.addIssue({ code: 'custom', message: 'must be a JWKS whose keys are private keys with kty, kid and d' });
});

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

const rateRule = z
  .string()
  .regex(/^\d+\/\d+[smhd]$/, { error: 'must look like 5/1h (points per duration, with s, m, h or d)' })
  .transform((value) => {
    const [points, duration] = value.split('/') as [string, string];
    return { points: Number(points), durationSeconds: Number(duration.slice(0, -1)) * UNIT_SECONDS[duration.at(-1) as keyof typeof UNIT_SECONDS] };
  })
  .refine((rule) => rule.points >= 1 && rule.durationSeconds >= 1, { error: 'needs at least 1 point and 1 second' });

const rateLimitSchema = Object.fromEntries(
  Object.entries(RATE_LIMIT_DEFAULTS).map(([name, fallback]) => [name, rateRule.default(rateRule.parse(fallback))]),
) as Record<RateLimitName, z.ZodDefault<typeof rateRule>>;

// In the canonical form of the domain of an address (punycode, lower-case), so the sign-up policy
// compares like with like: bücher.example here allows anna@BÜCHER.example typed on the form.
const domainList = z
  .string()
  .transform((value) => value.split(',').map((domain) => domain.trim()).filter(Boolean).map((domain) => canonicalDomain(domain)))
  .refine((domains): domains is string[] => domains.every((domain) => domain !== undefined), {
    error: 'must be comma-separated domains such as example.com,example.org',
  });

const schema = z.object({
  ...rateLimitSchema,
  RESEND_COOLDOWN_SECONDS: integer(10, 3600).default(60),
  CODE_MAX_ATTEMPTS: integer(1, 10).default(5),
  SIGNUP: z.enum(SIGNUP_POLICIES, { error: `must be one of ${SIGNUP_POLICIES.join(', ')}` }).default('open'),
  SIGNUP_ALLOWED_DOMAINS: domainList.optional(),
  SESSION_IDLE_TTL_SECONDS: integer(300, 365 * 86_400).default(14 * 86_400),
  SESSION_ABSOLUTE_TTL_SECONDS: integer(300, 365 * 86_400).default(30 * 86_400),
  PORT: integer(1, 65535).default(3000),
  ISSUER: issuerUrl.optional(),
  DATA_DIR: z.string().min(1, { error: 'must not be empty' }).default('./data'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  LOGIN_TOKEN_TTL_SECONDS: integer(60, MAX_LOGIN_TOKEN_TTL_SECONDS).default(MAX_LOGIN_TOKEN_TTL_SECONDS),
  MAIL_FROM: z
    .string()
    .regex(/^[^\r\n]+@[^\r\n]+$/, { error: 'must be an address such as "linkid <no-reply@example.com>"' })
    .optional(),
  PRODUCT_NAME: z.string().min(1).max(60).default('linkid'),
  TRUST_PROXY: booleanFlag.default(false),
  PURGE_INTERVAL_SECONDS: integer(5, 86_400).default(60),
  MAIL_TRANSPORT: z.enum(MAIL_TRANSPORTS, { error: `must be one of ${MAIL_TRANSPORTS.join(', ')}` }).optional(),
  POSTMARK_SERVER_TOKEN: z.string().regex(/^[A-Za-z0-9-]{8,}$/, { error: 'must be a Postmark server API token' }).optional(),
  POSTMARK_API_URL: z
    .string()
    .refine((value) => /^https?:$/.test(URL.parse(value)?.protocol ?? ''), { error: 'must be an http(s) URL' })
    .optional(),
  POSTMARK_MESSAGE_STREAM: z.string().regex(/^[a-z0-9-]{1,30}$/, { error: 'must be a message stream id such as outbound' }).default('outbound'),
  POSTMARK_WEBHOOK_AUTH: z.string().regex(/^[^:\s]+:\S{16,}$/, { error: 'must be user:password with a password of at least 16 characters' }).optional(),
  SUPPORT_EMAIL: z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, { error: 'must be an email address' }).optional(),
  LOGO_URL: z
    .string()
    .refine((value) => URL.parse(value)?.protocol === 'https:', { error: 'must be an https URL' })
    .optional(),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/[^\s]+$/, { error: 'must be a MongoDB connection string (mongodb:// or mongodb+srv://)' })
    .optional(),
  KEYS_DIR: z.string().min(1).optional(),
  SIGNING_KEYS: signingKeysJson.optional(),
  COOKIE_KEYS: z
    .string()
    .transform((value) => value.split(',').map((key) => key.trim()))
    .refine((keys) => keys.every((key) => key.length >= 32), { error: 'must be comma-separated keys of at least 32 characters each, newest first' })
    .optional(),
  SERVER_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43,}$/, { error: 'must be at least 32 random bytes, base64url-encoded (43+ characters)' })
    .optional(),
});

/**
 * The outbox writes live sign-in links to plain files: fine on a developer's machine, a leak on a
 * server. An https issuer is a server, so there the outbox must be asked for by name.
 */
function checkMailTransport(chosen: (typeof MAIL_TRANSPORTS)[number] | undefined, hasToken: boolean, issuer: string): void {
  if (chosen === 'postmark' && !hasToken) throw new ConfigError('POSTMARK_SERVER_TOKEN', 'is required when MAIL_TRANSPORT=postmark');
  if (chosen === 'outbox' && hasToken) throw new ConfigError('MAIL_TRANSPORT', 'is outbox but POSTMARK_SERVER_TOKEN is set: unset one of them');
  if (!chosen && !hasToken && issuer.startsWith('https:')) {
    throw new ConfigError(
      'MAIL_TRANSPORT',
      'ISSUER is https but no mail provider is configured: set POSTMARK_SERVER_TOKEN, or MAIL_TRANSPORT=outbox to write live sign-in links to DATA_DIR/outbox on purpose',
    );
  }
}

/** Reads the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(schema.shape).flatMap((key) => (env[key] === undefined || env[key] === '' ? [] : [[key, env[key]]])),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  const values = parsed.data;
  if (values.SIGNUP === 'allowlist' && !values.SIGNUP_ALLOWED_DOMAINS?.length) {
    throw new ConfigError('SIGNUP_ALLOWED_DOMAINS', 'must list at least one domain when SIGNUP=allowlist');
  }
  if (values.SESSION_IDLE_TTL_SECONDS > values.SESSION_ABSOLUTE_TTL_SECONDS) {
    throw new ConfigError('SESSION_IDLE_TTL_SECONDS', 'must not be longer than SESSION_ABSOLUTE_TTL_SECONDS');
  }
  const issuer = values.ISSUER ?? `http://localhost:${values.PORT}`;
  checkMailTransport(values.MAIL_TRANSPORT, Boolean(values.POSTMARK_SERVER_TOKEN), issuer);
  const dataDir = path.resolve(values.DATA_DIR);
  return Object.freeze({
    port: values.PORT,
    issuer,
    dataDir,
    logLevel: values.LOG_LEVEL,
    loginTokenTtlSeconds: values.LOGIN_TOKEN_TTL_SECONDS,
    mailFrom: values.MAIL_FROM ?? `${values.PRODUCT_NAME} <no-reply@${new URL(issuer).hostname}>`,
    productName: values.PRODUCT_NAME,
    trustProxy: values.TRUST_PROXY,
    purgeIntervalSeconds: values.PURGE_INTERVAL_SECONDS,
    rateLimits: Object.freeze(
      Object.fromEntries(Object.keys(RATE_LIMIT_DEFAULTS).map((name) => [name, values[name as RateLimitName]])) as Record<RateLimitName, RateRule>,
    ),
    resendCooldownSeconds: values.RESEND_COOLDOWN_SECONDS,
    codeMaxAttempts: values.CODE_MAX_ATTEMPTS,
    signup: Object.freeze({ policy: values.SIGNUP, allowedDomains: Object.freeze(values.SIGNUP_ALLOWED_DOMAINS ?? []) }),
    sessionIdleSeconds: values.SESSION_IDLE_TTL_SECONDS,
    sessionAbsoluteSeconds: values.SESSION_ABSOLUTE_TTL_SECONDS,
    postmark: values.POSTMARK_SERVER_TOKEN
      ? Object.freeze({
          serverToken: values.POSTMARK_SERVER_TOKEN,
          apiUrl: values.POSTMARK_API_URL,
          messageStream: values.POSTMARK_MESSAGE_STREAM,
          webhookAuth: values.POSTMARK_WEBHOOK_AUTH,
        })
      : undefined,
    supportEmail: values.SUPPORT_EMAIL,
    logoUrl: values.LOGO_URL,
    mongodbUri: values.MONGODB_URI,
    keysDir: values.KEYS_DIR ? path.resolve(values.KEYS_DIR) : path.join(dataDir, 'keys'),
    keys: Object.freeze({
      signingKeys: values.SIGNING_KEYS,
      cookieKeys: values.COOKIE_KEYS,
      serverSecret: values.SERVER_SECRET,
    }),
  });
}
