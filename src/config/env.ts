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
  return Object.freeze({
    port: values.PORT,
    issuer,
    dataDir: path.resolve(values.DATA_DIR),
    logLevel: values.LOG_LEVEL,
    loginTokenTtlSeconds: values.LOGIN_TOKEN_TTL_SECONDS,
    mailFrom: values.MAIL_FROM ?? `${values.PRODUCT_NAME} <no-reply@${new URL(issuer).hostname}>`,
    productName: values.PRODUCT_NAME,
    trustProxy: values.TRUST_PROXY,
    purgeIntervalSeconds: values.PURGE_INTERVAL_SECONDS,
  });
}
