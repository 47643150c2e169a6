// Parses the environment once into a frozen, typed Config. The only module that reads
// process.env; everything else receives Config explicitly. A bad value stops the start with one
// line that names the variable. Every variable is also described here, once: docs/configuration.md's table
// and config/linkid.env.example are generated from CONFIG_VARIABLES (`npm run docs:config`).
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { LOCALES, type Locale } from '../kernel/locales.js';
import { isLoopbackHost } from '../kernel/loopback.js';
import { canonicalDomain, normalizeEmail } from '../kernel/email-address.js';
import { RATE_LIMIT_NAMES, type RateLimitName, type RateRule } from '../kernel/rate-limits.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** DYNAMIC_REGISTRATION: how RFC 7591 registration is admitted (src/oidc/registration.ts). */
export const DYNAMIC_REGISTRATION_MODES = ['off', 'initial-token', 'open'] as const;
export type DynamicRegistrationMode = (typeof DYNAMIC_REGISTRATION_MODES)[number];

/** Out-of-band secrets may live at most 10 minutes (ASVS 6.5.5, NIST SP 800-63B). */
export const MAX_LOGIN_TOKEN_TTL_SECONDS = 600;

export const SIGNUP_POLICIES = ['open', 'allowlist', 'closed'] as const;

export const MAIL_TRANSPORTS = ['postmark', 'smtp', 'outbox'] as const;

export type MailTransportName = (typeof MAIL_TRANSPORTS)[number];

/**
 * How the connection to the SMTP relay is protected: `implicit` (smtps://, TLS from the first
 * byte), `starttls` (smtp://, upgraded with STARTTLS before anything is sent, and refused if the
 * relay does not offer it) or `none` (smtp:// with `?tls=none`: plain text, said in the URL on purpose).
 */
export const SMTP_TLS_MODES = ['implicit', 'starttls', 'none'] as const;

/** An SMTP relay, read from SMTP_URL and SMTP_FROM. */
export interface SmtpSettings {
  /** A host name or IP address (an IPv6 address without its brackets). */
  readonly host: string;
  readonly port: number;
  readonly tls: (typeof SMTP_TLS_MODES)[number];
  /** Both set, or neither (no AUTH). */
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** The envelope sender (MAIL FROM, where bounces go): SMTP_FROM, or the address of MAIL_FROM. */
  readonly envelopeFrom: string;
  /** Where mail goes and how, never the user name or password: `smtp://smtp.example.com:587 (STARTTLS)`. */
  readonly describe: string;
}

export interface Config {
  readonly port: number;
  /** Processes serving requests (WORKERS): 1 is a single process; more run a node:cluster (src/cluster/). */
  readonly workers: number;
  /** Requests to the mail provider one process has in flight at once (MAIL_CONCURRENCY). */
  readonly mailConcurrency: number;
  /** The most emails one request to the provider carries when several are ready (MAIL_BATCH_SIZE). */
  readonly mailBatchSize: number;
  /** How long a sender holds a claimed email before another may take it (MAIL_LEASE_SECONDS). */
  readonly mailLeaseSeconds: number;
  /** How long the process that answered the email form has to queue its email before another does (LINK_REQUEST_GRACE_SECONDS). */
  readonly linkRequestGraceSeconds: number;
  /** SIGTERM to exit: requests in hand finish, held mail claims go back to the queue (SHUTDOWN_GRACE_SECONDS). */
  readonly shutdownGraceSeconds: number;
  /** The issuer identifier, without a trailing slash. Every URL we email is built from it. */
  readonly issuer: string;
  readonly dataDir: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly loginTokenTtlSeconds: number;
  readonly mailFrom: string;
  readonly productName: string;
  /** The language of pages and emails when neither ui_locales nor Accept-Language names a shipped one. */
  readonly defaultLocale: Locale;
  readonly trustProxy: boolean;
  /** oidc-provider's outgoing requests (jwks_uri, back-channel logout) may reach loopback (tests, local development). */
  readonly outboundAllowLoopback: boolean;
  /** RFC 7591/7592 dynamic client registration: off, with an initial access token, or open (loopback ISSUER only). */
  readonly dynamicRegistration: DynamicRegistrationMode;
  /** The ID token carries email and email_verified when the email scope is granted (false: OpenID Connect §5.4 strictly). */
  readonly idTokenIncludeEmail: boolean;
  /** Every app must start its sign-ins with a pushed authorization request (RFC 9126; REQUIRE_PAR). */
  readonly requirePar: boolean;
  readonly purgeIntervalSeconds: number;
  /** Free space (bytes) DATA_DIR's file system keeps: below it, SQLite's linkid refuses requests that write (503). */
  readonly dataDirMinFreeBytes: number;
  /** Days an audit event is kept before it is purged. */
  readonly auditRetentionDays: number;
  /** Days the old address's undo link works after the account's address was changed. */
  readonly emailChangeUndoDays: number;
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
  /** Lifetime of an admin API access token (client credentials), in seconds. */
  readonly adminApiTokenTtlSeconds: number;
  /** Where mail goes: exactly one transport, chosen at start (MAIL_TRANSPORT, or the one configured). */
  readonly mailTransport: MailTransportName;
  /** Set exactly when mailTransport is smtp. */
  readonly smtp: SmtpSettings | undefined;
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
  /** /metrics: the bearer token it requires, if any; the port it has to itself, if any. */
  readonly metrics: { readonly token: string | undefined; readonly port: number | undefined };
  /** The addresses that may use the admin console at /admin (ADMIN_EMAILS), canonical as sign-in addresses are. */
  readonly adminEmails: readonly string[];
  /**
   * Every variable as the admin console's About page shows it: the value in force, given or its
   * documented default (a secret one masked, by the variable's `secret` rule), or undefined when
   * it is unset and has no fixed default.
   */
  readonly inForce: Readonly<Record<string, string | undefined>>;
  /** Keys given directly in the environment take precedence over files in keysDir. */
  readonly keys: {
    readonly signingKeys: string | undefined;
    readonly cookieKeys: string[] | undefined;
    readonly serverSecret: string | undefined;
    readonly pairwiseSalt: string | undefined;
  };
  /** How managed signing keys change (src/oidc/signing-keys.ts). */
  readonly signingKeyRotation: {
    /** KEY_PUBLISH_AHEAD_SECONDS: a new key is published this long before it signs. */
    readonly publishAheadSeconds: number;
    /** SIGNING_KEY_ROTATION_DAYS: rotate when the newest key is this old; undefined: never by itself. */
    readonly everyDays: number | undefined;
  };
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
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
    .pipe(
      z
        .number()
        .min(min, { error: `must be at least ${min}` })
        .max(max, { error: `must be at most ${max}` }),
    );

/** WORKERS: a count, or `auto` for as many as the cores this process may run on. */
const workerCount = z
  .string()
  .regex(/^(auto|\d+)$/, { error: 'must be a whole number or auto' })
  .transform((value) => (value === 'auto' ? os.availableParallelism() : Number(value)))
  .pipe(z.number().min(1, { error: 'must be at least 1' }).max(1024, { error: 'must be at most 1024' }));

const issuerUrl = z.string().transform((value, ctx) => {
  const url = URL.parse(value);
  const problem = !url
    ? 'must be an absolute URL such as https://id.example.com'
    : url.protocol !== 'https:' && url.protocol !== 'http:'
      ? 'must use https'
      : url.protocol === 'http:' && !isLoopbackHost(url.hostname)
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
    keys.every((key: unknown) => {
      const jwk = key as { kty?: unknown; d?: unknown; kid?: unknown } | null;
      return typeof jwk === 'object' && jwk !== null && typeof jwk.kty === 'string' && typeof jwk.d === 'string' && typeof jwk.kid === 'string';
    });
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

// In the canonical form of the domain of an address (punycode, lower-case), so the sign-up policy
// compares like with like: bücher.example here allows anna@BÜCHER.example typed on the form.
const domainList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((domain) => domain.trim())
      .filter(Boolean)
      .map((domain) => canonicalDomain(domain)),
  )
  .refine((domains): domains is string[] => domains.every((domain) => domain !== undefined), {
    error: 'must be comma-separated domains such as example.com,example.org',
  });

// ADMIN_EMAILS: canonical as on the sign-in form, so Ada@Example.COM here is the account
// ada@example.com signs in as.
const addressList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((address) => address.trim())
      .filter(Boolean)
      .map((address) => normalizeEmail(address)),
  )
  .refine((addresses): addresses is string[] => addresses.every((address) => address !== undefined), {
    error: 'must be comma-separated email addresses such as ada@example.com,grace@example.com',
  });

const SMTP_URL_EXAMPLE = 'smtp://user:password@smtp.example.com:587';

/** The user name and password, percent-decoded; undefined when the URL has neither, a problem when it is malformed. */
function smtpCredentials(url: URL): { user?: string; password?: string } | string {
  if (!url.username && !url.password) return {};
  if (!url.username) return 'has a password but no user name';
  try {
    return { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  } catch {
    return 'has a user name or password that is not percent-encoded correctly (write %40 for @, %3A for :, %2F for /)';
  }
}

/** Why an SMTP_URL cannot be used, in words that never repeat the URL (it may carry a password). */
function smtpUrlProblem(url: URL | null, value: string): string | undefined {
  if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')) return `must be an smtp:// or smtps:// URL such as ${SMTP_URL_EXAMPLE}`;
  if (!url.hostname) return 'must name a host';
  if ((url.pathname !== '' && url.pathname !== '/') || url.hash || value.includes('#')) return 'must not have a path or fragment';
  const keys = [...url.searchParams.keys()];
  if (keys.some((key) => key !== 'tls') || keys.length > 1) return 'accepts only the query parameter tls (tls=none on smtp://)';
  const tls = url.searchParams.get('tls');
  if (tls !== null && url.protocol === 'smtps:') return 'is smtps://, which is always TLS: tls= applies to smtp:// only';
  if (tls !== null && tls !== 'starttls' && tls !== 'none') return 'has tls= with a value other than starttls (the default) or none';
  return undefined;
}

// SMTP_URL: where the relay is, how the connection is protected, and the credentials. Every
// problem is said without the value, since the value may carry a password.
const smtpUrl = z.string().transform((value, ctx) => {
  const url = URL.parse(value);
  const problem = smtpUrlProblem(url, value);
  const credentials = url && !problem ? smtpCredentials(url) : undefined;
  if (problem || !url || typeof credentials !== 'object') {
    ctx.addIssue({ code: 'custom', message: problem ?? (typeof credentials === 'string' ? credentials : 'is invalid') });
    return z.NEVER;
  }
  const implicit = url.protocol === 'smtps:';
  const tls: SmtpSettings['tls'] = implicit ? 'implicit' : url.searchParams.get('tls') === 'none' ? 'none' : 'starttls';
  const port = url.port ? Number(url.port) : implicit ? 465 : 587;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const how = { implicit: 'TLS', starttls: 'STARTTLS required', none: 'no TLS' }[tls];
  return { host, port, tls, ...credentials, describe: `${url.protocol}//${url.hostname}:${port} (${how})` };
});

/** A part of the documentation; docs/configuration.md's table and the example file list variables by section. */
export interface ConfigSection {
  readonly title: string;
  /** Markdown said once for the whole section: below the configuration table, above the section in the example file. */
  readonly note?: string;
}

const SECTIONS = {
  listen: { title: 'Listen and data' },
  signIn: { title: 'Sign-in' },
  signUp: { title: 'Sign-up' },
  sessions: { title: 'Sessions' },
  account: { title: 'Account page' },
  admin: { title: 'Admin console' },
  rateLimits: {
    title: 'Rate limits',
    note:
      'Rate limits are `POINTS/DURATION` with `s`, `m`, `h` or `d`. They are counted in the store (SQLite or MongoDB), ' +
      'so every instance of a cluster counts together. A refusal is a 429 page with `Retry-After` and the reason `rate_limited`.',
  },
  mail: {
    title: 'Mail: Postmark or SMTP',
    note:
      'Exactly one transport sends mail, chosen at start and named in the `linkid listening` log line (`mail`, and `mailVia` for SMTP): ' +
      '`POSTMARK_SERVER_TOKEN` and `SMTP_URL` together are a configuration error. Either way mail goes through the same durable queue, ' +
      'with the same retries and delivery states (see "Sending mail through SMTP" in the README for what SMTP does and does not tell).',
  },
  branding: { title: 'Branding' },
  mongodb: { title: 'MongoDB' },
  keys: { title: 'Keys' },
} satisfies Record<string, ConfigSection>;

export type SectionName = keyof typeof SECTIONS;

/** The sections in the order the documentation lists them. */
export const CONFIG_SECTIONS: Readonly<Record<SectionName, ConfigSection>> = SECTIONS;

/** What people read about a variable. A variable cannot be declared without it (see `variable`). */
export interface VariableDoc {
  readonly section: SectionName;
  /** What it does, in one line of Markdown written as a table cell (lower-case, no final full stop). */
  readonly meaning: string;
  /**
   * The value that means the default, as a person types it. It is parsed to become the default, so
   * the documented default is the real one. Omitted: no fixed default, and the variable is optional.
   */
  readonly default?: string;
  /** Markdown: the default in words when it is computed, or a gloss after the value such as "(14 days)". */
  readonly defaultText?: string;
  /** A typical value, shown in the example file only (the configuration table's cells stay short). */
  readonly example?: string;
  /**
   * How much of the value is secret, so nothing that shows the configuration in force (the admin
   * console's About page) shows it: `value` (a token, key or password: all of it) or
   * `url-credentials` (a URL whose user name and password are secret, the rest not).
   */
  readonly secret?: SecretRule;
}

export type SecretRule = 'value' | 'url-credentials';

const MASK = '••••••';

/** A variable's value with its secret part masked, by the variable's own rule. */
export function maskSecret(rule: SecretRule | undefined, value: string): string {
  if (rule === 'value') return MASK;
  // Up to the last @: a user name or password written without percent-encoding (an address as the
  // user name, an @ in the password) holds @ itself, and URL parsers split at the last one. Masking
  // too much (an @ further on, in a query) hides only the host.
  if (rule === 'url-credentials') return value.replace(/^([a-z][a-z0-9+.-]*:\/\/).*@/is, `$1${MASK}@`);
  return value;
}

interface Variable<S extends z.ZodType> extends VariableDoc {
  readonly schema: S;
}

type Documentation = Omit<VariableDoc, 'section'>;

/**
 * Declares a variable together with what people read about it. The documented default is parsed into
 * the schema's default, so the two cannot disagree; without one the variable is optional.
 */
function variable<S extends z.ZodType>(section: SectionName, schema: S, doc: Documentation & { readonly default: string }): Variable<z.ZodDefault<S>>;
function variable<S extends z.ZodType>(section: SectionName, schema: S, doc: Documentation & { readonly default?: never }): Variable<z.ZodOptional<S>>;
function variable(section: SectionName, schema: z.ZodType, doc: Documentation): Variable<z.ZodType> {
  // Parsing the documented default here fails the start (and every test) if the doc is not a valid value.
  const withDefault = doc.default === undefined ? schema.optional() : schema.default(schema.parse(doc.default) as never);
  return { section, ...doc, schema: withDefault };
}

const rateLimit = (fallback: string, meaning: string) => variable('rateLimits', rateRule, { default: fallback, meaning });

const VARIABLES = {
  PORT: variable('listen', integer(1, 65535), { default: '3000', meaning: 'port to listen on' }),
  ISSUER: variable('listen', issuerUrl, {
    defaultText: '`http://localhost:$PORT`',
    meaning:
      'public base URL and issuer identifier; `https` required except on localhost/loopback. Every URL in an email is built from it, ' +
      'never from request headers; a request for another host:port is refused (421 `host_mismatch`; `/healthz`, `/readyz` and `/metrics` answer any host)',
  }),
  TRUST_PROXY: variable('listen', booleanFlag, {
    default: 'false',
    meaning:
      'trust `X-Forwarded-For`/`X-Forwarded-Proto`/`X-Forwarded-Host` from a reverse proxy (set it when linkid runs behind one, and only then); ' +
      'the proxy must overwrite them and pass the host the browser used, port included (see `config/nginx.conf`)',
  }),
  OUTBOUND_ALLOW_LOOPBACK: variable('listen', booleanFlag, {
    default: 'false',
    meaning:
      "let linkid's own outgoing requests (a client's `jwks_uri`, back-channel logout tokens) reach loopback addresses, for tests and local development only; " +
      'start refuses it unless `ISSUER` is itself on loopback. Other special-use addresses stay refused',
  }),
  DYNAMIC_REGISTRATION: variable('listen', z.enum(DYNAMIC_REGISTRATION_MODES, { error: `must be one of ${DYNAMIC_REGISTRATION_MODES.join(', ')}` }), {
    default: 'off',
    meaning:
      'RFC 7591 dynamic client registration at `/reg` (and RFC 7592 management of a registration with its registration access token): ' +
      '`off` (no endpoint), `initial-token` (a registration needs an initial access token from `linkid-admin registration-token create`), ' +
      '`open` (anyone may register; for tests and local development only: start refuses it unless `ISSUER` is on loopback). See docs/registration.md',
  }),
  DATA_DIR: variable('listen', z.string().min(1, { error: 'must not be empty' }), {
    default: './data',
    meaning: 'SQLite file, generated keys (`keys/`), mail outbox (`outbox/`); created on first start',
  }),
  DATA_DIR_MIN_FREE_MB: variable('listen', integer(0, 1_048_576), {
    default: '16',
    meaning:
      "with SQLite: when `DATA_DIR`'s file system has less free space than this (MiB), requests that would write answer 503 `store_unavailable` " +
      'and `/readyz` says `full`, before SQLite fails half-way through a sign-in; work already accepted (queued mail, audit events) still has room. ' +
      '0: only a disk that is completely full. See docs/operations.md, "When the disk fills"',
  }),
  PURGE_INTERVAL_SECONDS: variable('listen', integer(5, 86_400), {
    default: '60',
    meaning: 'how often expired rows are deleted (in small batches)',
  }),
  AUDIT_RETENTION_DAYS: variable('listen', integer(1, 3650), {
    default: '90',
    meaning: 'days an audit event (with the address, IP and user agent it names) is kept before it is purged (1-3650)',
  }),
  LOG_LEVEL: variable('listen', z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }), {
    default: 'info',
    meaning: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`; logs are JSON lines on stdout',
  }),
  METRICS_TOKEN: variable('listen', z.string().regex(/^[\x21-\x7e]{16,}$/, { error: 'must be at least 16 printable characters without spaces' }), {
    secret: 'value',
    meaning: 'set: `/metrics` answers only `Authorization: Bearer <token>` (401 otherwise); unset: anyone who reaches it may scrape it',
  }),
  METRICS_PORT: variable('listen', integer(1, 65535), {
    meaning:
      'set: `/metrics` is served on this port only (every path but `/metrics` is 404 there) and `PORT` no longer answers it; ' +
      'unset: `/metrics` is on `PORT`, answering any host like `/healthz`',
  }),
  WORKERS: variable('listen', workerCount, {
    default: '1',
    meaning:
      'processes serving requests on `PORT` (node:cluster), sharing the store, keys and rate limits; `auto`: one per core ' +
      '(`os.availableParallelism()`, which does not see a container\'s CPU quota: give a number there). See "Use every core"',
  }),
  SHUTDOWN_GRACE_SECONDS: variable('listen', integer(1, 600), {
    default: '10',
    meaning:
      'after SIGTERM or SIGINT, linkid stops accepting, finishes the requests in hand and sends the emails already accepted, and exits 0 within this many seconds: ' +
      'a second before it, emails still waiting for the provider go back to the queue (sent at once by the next process), and a request still running then makes it exit 1',
  }),

  LOGIN_TOKEN_TTL_SECONDS: variable('signIn', integer(60, MAX_LOGIN_TOKEN_TTL_SECONDS), {
    default: String(MAX_LOGIN_TOKEN_TTL_SECONDS),
    meaning: `lifetime of a sign-in link, 60 to ${MAX_LOGIN_TOKEN_TTL_SECONDS} (out-of-band secrets may live at most 10 minutes: ASVS 6.5.5, NIST SP 800-63B)`,
  }),
  CODE_MAX_ATTEMPTS: variable('signIn', integer(1, 10), {
    default: '5',
    meaning: "wrong codes one email's code accepts before it stops working (1-10)",
  }),
  ID_TOKEN_INCLUDE_EMAIL: variable('signIn', booleanFlag, {
    default: 'true',
    meaning:
      'when an app is granted the `email` scope, its ID token carries `email` and `email_verified` (as Google, Auth0 and Keycloak do); ' +
      '`false`: only userinfo answers them when an access token is issued too (OpenID Connect §5.4)',
  }),
  REQUIRE_PAR: variable('signIn', booleanFlag, {
    default: 'false',
    meaning:
      'every app must push its authorization request first (RFC 9126 PAR, `/request`); a plain `/auth` request is refused with `invalid_request` at its redirect URI. ' +
      '`false`: only apps made with `--require-par` must. See docs/high-security.md',
  }),
  RESEND_COOLDOWN_SECONDS: variable('signIn', integer(10, 3600), {
    default: '60',
    meaning: 'wait before another email for the same sign-in and address (10-3600); shown as a countdown on the resend button',
  }),

  SIGNUP: variable('signUp', z.enum(SIGNUP_POLICIES, { error: `must be one of ${SIGNUP_POLICIES.join(', ')}` }), {
    default: 'open',
    meaning:
      'who may get an account: `open` (anyone), `allowlist` (addresses in `SIGNUP_ALLOWED_DOMAINS` and their subdomains), `closed` (existing accounts only). ' +
      'A refused address sees the same pages and states as any other; its email says it cannot sign in there (no link, no code)',
  }),
  SIGNUP_ALLOWED_DOMAINS: variable('signUp', domainList, {
    meaning: 'comma-separated domains (an IDN as `bücher.example` or `xn--bcher-kva.example`), required with `SIGNUP=allowlist`',
  }),

  SESSION_IDLE_TTL_SECONDS: variable('sessions', integer(300, 365 * 86_400), {
    default: String(14 * 86_400),
    defaultText: '(14 days)',
    meaning: 'the SSO session ends after this long without signing in to any app',
  }),
  SESSION_ABSOLUTE_TTL_SECONDS: variable('sessions', integer(300, 365 * 86_400), {
    default: String(30 * 86_400),
    defaultText: '(30 days)',
    meaning: 'the SSO session ends at the latest this long after the login; also the lifetime of grants and refresh tokens',
  }),
  ADMIN_API_TOKEN_TTL_SECONDS: variable('sessions', integer(60, 3600), {
    default: '600',
    defaultText: '(10 minutes)',
    meaning:
      'lifetime of an admin API access token (client credentials, scope `linkid:admin`; 60-3600). Short on purpose: a script gets a fresh one per run ' +
      'in one request, and a token that leaks (a log, a shell history) is soon worthless; deleting the service client ends its tokens at once',
  }),

  EMAIL_CHANGE_UNDO_DAYS: variable('account', integer(1, 30), {
    default: '7',
    meaning:
      'days the undo link works that the old address gets when an account changes its address (1-30); it restores the old address and signs out every browser',
  }),

  ADMIN_EMAILS: variable('admin', addressList, {
    example: 'ada@example.com,grace@example.com',
    meaning:
      'comma-separated addresses that may use the admin console at `/admin` (see "Admin console"), signed in by the usual magic link; ' +
      'unset: nobody. Removing an address takes effect on its next request. A listed address may make its account by signing in to `/admin`',
  }),

  RATE_LIMIT_SEND_PER_EMAIL: rateLimit('5/1h', 'sign-in emails to one address'),
  RATE_LIMIT_SEND_PER_IP: rateLimit('30/1h', 'sign-in emails requested from one IP address'),
  RATE_LIMIT_SEND_PER_IP_EMAIL: rateLimit('3/10m', 'sign-in emails to one address from one IP address'),
  RATE_LIMIT_SEND_PER_BROWSER: rateLimit('10/1h', 'sign-in emails requested by one browser'),
  RATE_LIMIT_VERIFY_PER_IP: rateLimit(
    '60/10m',
    'look-ups of link values that name no link (opens, confirms, cancels) from one IP address; a real link is not counted, so no other page can spend it away',
  ),
  RATE_LIMIT_VERIFY_PER_TOKEN: rateLimit('10/10m', 'confirms of one link'),
  RATE_LIMIT_CODE_PER_IP: rateLimit(
    '20/10m',
    'code attempts from one IP address (a malformed code, or one from a browser without the binding cookie, is refused without counting)',
  ),
  RATE_LIMIT_CODE_FAILURES_PER_EMAIL: rateLimit(
    '10/1h',
    'comparisons of wrong codes with the codes of one address, across all its emails and sign-ins (a new email does not reset it)',
  ),
  RATE_LIMIT_EMAIL_CHANGE_PER_ACCOUNT: rateLimit(
    '5/1d',
    'requests to change the address of one account (each also spends the sign-in email limits of the new address)',
  ),
  RATE_LIMIT_RECOVERY_PER_EMAIL: rateLimit(
    '5/1h',
    'recovery-code attempts for one address, whether it has an account or not (a malformed code is refused without counting)',
  ),
  RATE_LIMIT_RECOVERY_PER_IP: rateLimit('20/1h', 'recovery-code attempts from one IP address (a malformed code is refused without counting)'),
  RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT: rateLimit(
    '3/1h',
    "new sets of recovery codes made for one account on the account page (each mails the account's address a notice; a refused request makes no set and counts nothing; voiding a set is never limited)",
  ),
  RATE_LIMIT_DEVICE_CODE_PER_IP: rateLimit(
    '10/10m',
    'device user codes typed on `/device` from one IP address that name no device (RFC 8628 guesses; a malformed, expired or used code is refused without counting, and once the budget is spent every code from that IP is refused)',
  ),

  MAIL_TRANSPORT: variable('mail', z.enum(MAIL_TRANSPORTS, { error: `must be one of ${MAIL_TRANSPORTS.join(', ')}` }), {
    defaultText: '`postmark` if `POSTMARK_SERVER_TOKEN` is set, `smtp` if `SMTP_URL` is set, else `outbox`',
    meaning:
      'where sign-in mail goes: `postmark`, `smtp`, or `outbox` (one JSON file per message in `DATA_DIR/outbox/`, live links included). ' +
      'With an `https` `ISSUER` and neither `POSTMARK_SERVER_TOKEN` nor `SMTP_URL`, start refuses unless `MAIL_TRANSPORT=outbox` is set on purpose',
  }),
  POSTMARK_SERVER_TOKEN: variable('mail', z.string().regex(/^[A-Za-z0-9-]{8,}$/, { error: 'must be a Postmark server API token' }), {
    secret: 'value',
    meaning: 'set: send mail through Postmark (see "Run with Postmark"); not together with `SMTP_URL`',
  }),
  POSTMARK_MESSAGE_STREAM: variable('mail', z.string().regex(/^[a-z0-9-]{1,30}$/, { error: 'must be a message stream id such as outbound' }), {
    default: 'outbound',
    meaning: 'Postmark message stream for sign-in mail',
  }),
  POSTMARK_API_URL: variable(
    'mail',
    z.string().refine((value) => /^https?:$/.test(URL.parse(value)?.protocol ?? ''), { error: 'must be an http(s) URL' }),
    // A proxy may take its credentials in the URL.
    { defaultText: "Postmark's", secret: 'url-credentials', meaning: 'another base URL for the Postmark API (tests, proxies)' },
  ),
  POSTMARK_WEBHOOK_AUTH: variable('mail', z.string().regex(/^[^:\s]+:\S{16,}$/, { error: 'must be user:password with a password of at least 16 characters' }), {
    secret: 'value',
    meaning: "`user:password` (password 16+ characters) that Postmark's webhooks must send as basic auth; unset disables `/webhooks/postmark`",
  }),
  SMTP_URL: variable('mail', smtpUrl, {
    example: 'smtp://linkid:app-password@smtp.example.com:587',
    secret: 'url-credentials',
    meaning:
      'set: send mail through this SMTP relay, over pooled connections (at most 5 per process). `smtp://` (port 587 by default) must be upgraded with STARTTLS ' +
      'before anything is sent; `smtps://` (port 465 by default) is TLS from the first byte; `smtp://...?tls=none` sends in plain text, only for a relay on the same host ' +
      'or a network you trust. The certificate is verified (a private CA: `NODE_EXTRA_CA_CERTS`). User name and password are percent-encoded in the URL ' +
      'and never logged. A 4xx answer is retried, a 5xx fails the message',
  }),
  SMTP_FROM: variable('mail', z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, { error: 'must be an email address such as bounces@example.com' }), {
    defaultText: 'the address of `MAIL_FROM`',
    meaning:
      'envelope sender (`MAIL FROM`) of mail sent through `SMTP_URL`: where a bounce that comes after the relay took the message goes. linkid never reads that mailbox',
  }),
  MAIL_CONCURRENCY: variable('mail', integer(1, 256), {
    default: '16',
    meaning:
      'requests to the mail provider one process has in flight at once (each email claimed from the durable queue, so no instance or worker sends one twice); with `WORKERS`, per worker. A provider answering in 150 ms takes about 6 requests/s per concurrent send, each one email or a batch of up to `MAIL_BATCH_SIZE`',
  }),
  MAIL_BATCH_SIZE: variable('mail', integer(1, 500), {
    default: '50',
    meaning:
      "most emails one send takes from the queue when several are ready, sent as one Postmark batch request (Postmark's limit is 500); 1 sends each email alone. SMTP has no batch: each email is its own message on a pooled connection",
  }),
  MAIL_LEASE_SECONDS: variable('mail', integer(1, 3600), {
    default: '60',
    meaning:
      'how long a sender holds an email it took from the durable queue; an email held by a process that died (SIGKILL, a crash) is sent by another once this runs out. ' +
      "Keep it above the provider's request timeout (10 s), or a slow answer lets a second sender send the same email",
  }),
  LINK_REQUEST_GRACE_SECONDS: variable('mail', integer(1, 600), {
    default: '15',
    meaning:
      'how long the process that answered the email form has to queue the sign-in email; the form stores its request before it answers, and a request whose process died (SIGKILL, a crash) is sent by another serving process once this runs out. ' +
      'Keep it well above the time a sign-in takes to store: one that outlasts it is done twice, which stores a second, never-mailed token but queues one email',
  }),
  MAIL_FROM: variable('mail', z.string().regex(/^[^\r\n]+@[^\r\n]+$/, { error: 'must be an address such as "linkid <no-reply@example.com>"' }), {
    defaultText: '`$PRODUCT_NAME <no-reply@ISSUER host>`',
    meaning: 'sender of sign-in emails',
  }),

  PRODUCT_NAME: variable('branding', z.string().min(1).max(60), { default: 'linkid', meaning: 'name shown on pages and in emails' }),
  DEFAULT_LOCALE: variable('branding', z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` }), {
    default: 'en',
    meaning: 'language of pages and emails when neither `ui_locales` nor `Accept-Language` names a shipped one (see "Languages")',
  }),
  LOGO_URL: variable(
    'branding',
    z.string().refine((value) => URL.parse(value)?.protocol === 'https:', { error: 'must be an https URL' }),
    {
      meaning: 'logo shown at the top of the email, as an https URL',
    },
  ),
  SUPPORT_EMAIL: variable('branding', z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, { error: 'must be an email address' }), {
    meaning: 'support address named at the bottom of the email',
  }),

  MONGODB_URI: variable(
    'mongodb',
    z.string().regex(/^mongodb(\+srv)?:\/\/[^\s]+$/, { error: 'must be a MongoDB connection string (mongodb:// or mongodb+srv://)' }),
    {
      example: 'mongodb://db-1,db-2,db-3/linkid?replicaSet=rs0',
      secret: 'url-credentials',
      meaning: 'set: store everything in MongoDB, required to run several instances (see "Run with MongoDB"); unset: SQLite in `DATA_DIR`',
    },
  ),

  KEYS_DIR: variable('keys', z.string().min(1), {
    defaultText: '`$DATA_DIR/keys`',
    meaning: 'where key files are read, or created on first start; mount the same one in every instance of a cluster',
  }),
  SIGNING_KEYS: variable('keys', signingKeysJson, {
    secret: 'value',
    meaning:
      'private JWKS (`{"keys":[...]}`) to sign with, instead of the key ring in `KEYS_DIR`; the first key of each algorithm signs. ' +
      'Keys given here are managed outside linkid: `linkid-admin keys` refuses to change them',
  }),
  COOKIE_KEYS: variable(
    'keys',
    z
      .string()
      .transform((value) => value.split(',').map((key) => key.trim()))
      .refine((keys) => keys.every((key) => key.length >= 32), { error: 'must be comma-separated keys of at least 32 characters each, newest first' }),
    { secret: 'value', meaning: 'comma-separated cookie keys, newest first, 32+ characters each, instead of `KEYS_DIR/cookie-keys.json`' },
  ),
  SERVER_SECRET: variable('keys', z.string().regex(/^[A-Za-z0-9_-]{43,}$/, { error: 'must be at least 32 random bytes, base64url-encoded (43+ characters)' }), {
    secret: 'value',
    meaning: '32+ random bytes, base64url, instead of `KEYS_DIR/server-secret`',
  }),
  PAIRWISE_SALT: variable('keys', z.string().regex(/^[A-Za-z0-9_-]{43,}$/, { error: 'must be at least 32 random bytes, base64url-encoded (43+ characters)' }), {
    secret: 'value',
    meaning:
      '32+ random bytes, base64url, instead of `KEYS_DIR/pairwise-salt`: the key of the `sub` apps made with `--subject-type pairwise` see. ' +
      'The same in every instance; never change or lose it: a new salt gives every person a new `sub` in those apps',
  }),
  KEY_PUBLISH_AHEAD_SECONDS: variable('keys', integer(0, 30 * 86_400), {
    default: '3600',
    defaultText: '(1 hour)',
    meaning:
      'a signing key made by `linkid-admin keys rotate` (or the schedule) is in `/jwks` this long before it signs, so apps that cache the JWKS ' +
      'have it before the first token signed with it; the key it replaces signs until then',
  }),
  SIGNING_KEY_ROTATION_DAYS: variable(
    'keys',
    z.union([z.literal('off').transform(() => undefined), integer(1, 3650)], { error: 'must be off or a whole number of days (1-3650)' }),
    {
      default: 'off',
      meaning:
        'rotate the signing keys by themselves when the newest key of an algorithm is this many days old (1-3650), with the same publish-ahead delay, ' +
        'exactly once across every worker and instance sharing `KEYS_DIR`; `off`: only `linkid-admin keys rotate` rotates. Not with `SIGNING_KEYS`',
    },
  ),
} satisfies Record<string, Variable<z.ZodType>>;

export type VariableName = keyof typeof VARIABLES;

/** Every variable linkid reads, with its documentation, in declaration order. */
export const CONFIG_VARIABLES: Readonly<Record<VariableName, VariableDoc>> = VARIABLES;

/** The kernel's list of limits and the RATE_LIMIT_ variables above are the same names (checked by the compiler). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const limitsAreVariables: Same<RateLimitName, Extract<VariableName, `RATE_LIMIT_${string}`>> = true;
void limitsAreVariables;

const schema = z.object(
  Object.fromEntries(Object.entries(VARIABLES).map(([name, { schema }]) => [name, schema])) as {
    [Name in VariableName]: (typeof VARIABLES)[Name]['schema'];
  },
);

/** The variables the schema reads, taken from the schema itself (the docs test holds them to CONFIG_VARIABLES). */
export const CONFIG_VARIABLE_NAMES: readonly string[] = Object.freeze(Object.keys(schema.shape));

/**
 * The outbox writes live sign-in links to plain files: fine on a developer's machine, a leak on a
 * server. An https issuer is a server, so there the outbox must be asked for by name.
 */
function chooseMailTransport(chosen: MailTransportName | undefined, has: { postmark: boolean; smtp: boolean }, issuer: string): MailTransportName {
  // Exactly one transport: two configured is a mistake to say, not a precedence to guess.
  if (has.postmark && has.smtp) throw new ConfigError('SMTP_URL', 'is set and so is POSTMARK_SERVER_TOKEN: mail goes through one transport, unset one of them');
  if (chosen === 'postmark' && !has.postmark) throw new ConfigError('POSTMARK_SERVER_TOKEN', 'is required when MAIL_TRANSPORT=postmark');
  if (chosen === 'smtp' && !has.smtp) throw new ConfigError('SMTP_URL', 'is required when MAIL_TRANSPORT=smtp');
  if (chosen === 'outbox' && has.postmark) throw new ConfigError('MAIL_TRANSPORT', 'is outbox but POSTMARK_SERVER_TOKEN is set: unset one of them');
  if (chosen === 'outbox' && has.smtp) throw new ConfigError('MAIL_TRANSPORT', 'is outbox but SMTP_URL is set: unset one of them');
  if (!chosen && !has.postmark && !has.smtp && issuer.startsWith('https:')) {
    throw new ConfigError(
      'MAIL_TRANSPORT',
      'ISSUER is https but no mail provider is configured: set POSTMARK_SERVER_TOKEN or SMTP_URL, or MAIL_TRANSPORT=outbox to write live sign-in links to DATA_DIR/outbox on purpose',
    );
  }
  return chosen ?? (has.postmark ? 'postmark' : has.smtp ? 'smtp' : 'outbox');
}

/** The address in a From value: `anna@example.com` in `Anna <anna@example.com>`, or the value itself. */
const addressOf = (from: string): string => /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(from)?.[1] ?? from.trim();

/** Reads the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(CONFIG_VARIABLE_NAMES.flatMap((key) => (env[key] === undefined || env[key] === '' ? [] : [[key, env[key]]])));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new ConfigError(String(issue?.path[0] ?? 'environment'), issue?.message ?? 'is invalid');
  }
  const values = parsed.data;
  if (values.SIGNUP === 'allowlist' && !values.SIGNUP_ALLOWED_DOMAINS?.length) {
    throw new ConfigError('SIGNUP_ALLOWED_DOMAINS', 'must list at least one domain when SIGNUP=allowlist');
  }
  if (values.SIGNING_KEY_ROTATION_DAYS !== undefined && values.SIGNING_KEYS !== undefined) {
    throw new ConfigError('SIGNING_KEY_ROTATION_DAYS', 'cannot rotate keys given by SIGNING_KEYS: they are managed outside linkid (unset one of them)');
  }
  if (values.SIGNING_KEY_ROTATION_DAYS !== undefined && values.SIGNING_KEY_ROTATION_DAYS * 86_400 <= values.KEY_PUBLISH_AHEAD_SECONDS) {
    throw new ConfigError('SIGNING_KEY_ROTATION_DAYS', 'must be longer than KEY_PUBLISH_AHEAD_SECONDS, or every key would be replaced before it signs');
  }
  if (values.SESSION_IDLE_TTL_SECONDS > values.SESSION_ABSOLUTE_TTL_SECONDS) {
    throw new ConfigError('SESSION_IDLE_TTL_SECONDS', 'must not be longer than SESSION_ABSOLUTE_TTL_SECONDS');
  }
  if (values.METRICS_PORT === values.PORT) throw new ConfigError('METRICS_PORT', 'must differ from PORT (unset it to serve /metrics on PORT)');
  const issuer = values.ISSUER ?? `http://localhost:${values.PORT}`;
  if (values.OUTBOUND_ALLOW_LOOPBACK && !isLoopbackHost(new URL(issuer).hostname)) {
    throw new ConfigError('OUTBOUND_ALLOW_LOOPBACK', 'is for tests and local development only: it needs an ISSUER on localhost or a loopback address');
  }
  if (values.DYNAMIC_REGISTRATION === 'open' && !isLoopbackHost(new URL(issuer).hostname)) {
    throw new ConfigError(
      'DYNAMIC_REGISTRATION',
      'open lets anyone register an app and is for tests and local development only: it needs an ISSUER on localhost or a loopback address (use initial-token)',
    );
  }
  const mailTransport = chooseMailTransport(values.MAIL_TRANSPORT, { postmark: Boolean(values.POSTMARK_SERVER_TOKEN), smtp: Boolean(values.SMTP_URL) }, issuer);
  if (values.SMTP_FROM && !values.SMTP_URL)
    throw new ConfigError('SMTP_FROM', 'is set but SMTP_URL is not: it is the envelope sender of mail sent through SMTP');
  const mailFrom = values.MAIL_FROM ?? `${values.PRODUCT_NAME} <no-reply@${new URL(issuer).hostname}>`;
  const dataDir = path.resolve(values.DATA_DIR);
  return Object.freeze({
    port: values.PORT,
    workers: values.WORKERS,
    issuer,
    dataDir,
    logLevel: values.LOG_LEVEL,
    loginTokenTtlSeconds: values.LOGIN_TOKEN_TTL_SECONDS,
    mailConcurrency: values.MAIL_CONCURRENCY,
    mailBatchSize: values.MAIL_BATCH_SIZE,
    mailLeaseSeconds: values.MAIL_LEASE_SECONDS,
    linkRequestGraceSeconds: values.LINK_REQUEST_GRACE_SECONDS,
    shutdownGraceSeconds: values.SHUTDOWN_GRACE_SECONDS,
    mailFrom,
    productName: values.PRODUCT_NAME,
    defaultLocale: values.DEFAULT_LOCALE,
    trustProxy: values.TRUST_PROXY,
    outboundAllowLoopback: values.OUTBOUND_ALLOW_LOOPBACK,
    dynamicRegistration: values.DYNAMIC_REGISTRATION,
    idTokenIncludeEmail: values.ID_TOKEN_INCLUDE_EMAIL,
    requirePar: values.REQUIRE_PAR,
    purgeIntervalSeconds: values.PURGE_INTERVAL_SECONDS,
    dataDirMinFreeBytes: values.DATA_DIR_MIN_FREE_MB * 1024 * 1024,
    auditRetentionDays: values.AUDIT_RETENTION_DAYS,
    emailChangeUndoDays: values.EMAIL_CHANGE_UNDO_DAYS,
    rateLimits: Object.freeze(Object.fromEntries(RATE_LIMIT_NAMES.map((name) => [name, values[name]])) as Record<RateLimitName, RateRule>),
    resendCooldownSeconds: values.RESEND_COOLDOWN_SECONDS,
    codeMaxAttempts: values.CODE_MAX_ATTEMPTS,
    signup: Object.freeze({ policy: values.SIGNUP, allowedDomains: Object.freeze(values.SIGNUP_ALLOWED_DOMAINS ?? []) }),
    sessionIdleSeconds: values.SESSION_IDLE_TTL_SECONDS,
    sessionAbsoluteSeconds: values.SESSION_ABSOLUTE_TTL_SECONDS,
    adminApiTokenTtlSeconds: values.ADMIN_API_TOKEN_TTL_SECONDS,
    mailTransport,
    smtp: values.SMTP_URL
      ? Object.freeze({
          host: values.SMTP_URL.host,
          port: values.SMTP_URL.port,
          tls: values.SMTP_URL.tls,
          user: values.SMTP_URL.user,
          password: values.SMTP_URL.password,
          envelopeFrom: values.SMTP_FROM ?? addressOf(mailFrom),
          describe: values.SMTP_URL.describe,
        })
      : undefined,
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
    metrics: Object.freeze({ token: values.METRICS_TOKEN, port: values.METRICS_PORT }),
    adminEmails: Object.freeze(values.ADMIN_EMAILS ?? []),
    inForce: Object.freeze(
      Object.fromEntries(
        (Object.entries(VARIABLES) as [string, VariableDoc][]).map(([name, doc]) => {
          const value = present[name] ?? doc.default;
          return [name, value === undefined ? undefined : maskSecret(doc.secret, String(value))];
        }),
      ),
    ),
    keys: Object.freeze({
      signingKeys: values.SIGNING_KEYS,
      cookieKeys: values.COOKIE_KEYS,
      serverSecret: values.SERVER_SECRET,
      pairwiseSalt: values.PAIRWISE_SALT,
    }),
    signingKeyRotation: Object.freeze({
      publishAheadSeconds: values.KEY_PUBLISH_AHEAD_SECONDS,
      everyDays: values.SIGNING_KEY_ROTATION_DAYS,
    }),
  });
}
