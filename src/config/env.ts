// Parses the environment once into a frozen, typed Config. The only module that reads
// process.env; everything else receives Config explicitly. A bad value stops the start with one
// line that names the variable.
import path from 'node:path';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Out-of-band secrets may live at most 10 minutes (ASVS 6.5.5, NIST SP 800-63B). */
export const MAX_LOGIN_TOKEN_TTL_SECONDS = 600;

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

const schema = z.object({
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
  const issuer = values.ISSUER ?? `http://localhost:${values.PORT}`;
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
    mongodbUri: values.MONGODB_URI,
    keysDir: values.KEYS_DIR ? path.resolve(values.KEYS_DIR) : path.join(dataDir, 'keys'),
    keys: Object.freeze({
      signingKeys: values.SIGNING_KEYS,
      cookieKeys: values.COOKIE_KEYS,
      serverSecret: values.SERVER_SECRET,
    }),
  });
}
