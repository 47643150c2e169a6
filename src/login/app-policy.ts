// What an app (a registered client) asks of its sign-ins and how its pages and emails look,
// read from the client record in one place. `settings` is linkid's own JSON object stored with the
// client: this file owns its schema, for writing (linkid-admin checks every change against it)
// and for reading (every step, page and email reads it through readApp). Standard metadata holds
// the rest: `logo_uri`, `policy_uri`, `tos_uri` and `scope` (the scopes the app may request, which
// oidc-provider enforces itself); `firstParty` is whether consent is skipped.
//
// A stored value that does not parse (edited by hand, written by a newer version) must never turn
// a sign-in into a 500, nor open an app wider than meant: each bad key is dropped and logged, and a
// bad sign-up policy becomes "nobody may sign in to this app" until an operator fixes it.
import { z } from 'zod';
import type { AppEmailBranding, Logger } from '../kernel/ports.js';
import type { ClientRecord, ClientStore } from '../store/port.js';
import { accentProblem, buttonTextFor, HEX_COLOUR } from './accent-colour.js';
import { canonicalDomain } from '../kernel/email-address.js';
import type { AppPolicy, SignupPolicy } from './policy.js';

export const APP_SIGNUP_POLICIES = ['open', 'allowlist', 'closed'] as const;
export const MIN_LINK_TTL_SECONDS = 60;
/** The scopes an app may be limited to (src/oidc/configuration/claims.ts offers exactly these). */
export const APP_SCOPES = ['openid', 'email', 'offline_access'] as const;

const email = z
  .string()
  .regex(/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/, { error: 'must be an email address' })
  .max(254);

/** The stored settings, each key optional (absent: the global behaviour). */
export function appSettingsSchema(maxLinkTtlSeconds: number) {
  return z
    .object({
      signup: z.enum(APP_SIGNUP_POLICIES, { error: `--signup must be one of open, allowlist, closed, inherit` }).optional(),
      signup_domains: z
        .array(z.string().refine((domain) => canonicalDomain(domain) === domain, { error: 'signup domains must be canonical domains such as example.com' }))
        .min(1)
        .optional(),
      link_ttl_seconds: z
        .number({ error: '--link-ttl must be a number of seconds' })
        .int({ error: '--link-ttl must be a whole number of seconds' })
        .min(MIN_LINK_TTL_SECONDS, { error: `--link-ttl must be at least ${MIN_LINK_TTL_SECONDS} seconds` })
        .max(maxLinkTtlSeconds, { error: `--link-ttl must be at most ${maxLinkTtlSeconds} seconds (LOGIN_TOKEN_TTL_SECONDS)` })
        .optional(),
      accent_color: z
        .string()
        .superRefine((value, ctx) => {
          const problem = accentProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: `--accent-color ${value} ${problem}` });
        })
        .optional(),
      support_email: email.optional(),
    })
    .superRefine((settings, ctx) => {
      if (settings.signup === 'allowlist' && !settings.signup_domains) {
        ctx.addIssue({ code: 'custom', message: '--signup allowlist needs --signup-domains' });
      }
      if (settings.signup !== 'allowlist' && settings.signup_domains) {
        ctx.addIssue({ code: 'custom', message: '--signup-domains applies only with --signup allowlist' });
      }
    });
}

/** Domains as typed on the CLI (comma-separated, IDN allowed), canonical as SIGNUP_ALLOWED_DOMAINS; undefined if one is not a domain. */
export function canonicalDomains(typed: string): string[] | undefined {
  const domains = typed
    .split(',')
    .map((domain) => domain.trim())
    .filter(Boolean)
    .map((domain) => canonicalDomain(domain));
  return domains.length > 0 && domains.every((domain) => domain !== undefined) ? [...new Set(domains)] : undefined;
}

/** An app's look: its name, and the parts its emails carry too (accent and its derived button text come together). */
export interface AppBranding extends AppEmailBranding {
  readonly name: string;
}

export interface App {
  readonly clientId: string;
  readonly policy: AppPolicy;
  readonly branding: AppBranding;
  /** Where "Back to {app}" leads on its reason pages (appHomeOf); none for an app without a web address. */
  readonly homeUri?: string;
}

const httpsUrl = (value: unknown): string | undefined => (typeof value === 'string' && URL.parse(value)?.protocol === 'https:' ? value : undefined);

const webUrl = (value: unknown): URL | undefined => {
  const url = typeof value === 'string' ? URL.parse(value) : null;
  return url && (url.protocol === 'https:' || url.protocol === 'http:') ? url : undefined;
};

/**
 * The app's own address, for "Back to {app}": its `client_uri` (standard metadata) if it has a web
 * one, else the origin of its first web redirect URI. A native app (a reverse-domain scheme) or a
 * device-flow app has neither.
 */
export function appHomeOf(client: Pick<ClientRecord, 'metadata' | 'redirectUris'> | undefined): string | undefined {
  const clientUri = webUrl(client?.metadata.client_uri);
  if (clientUri) return clientUri.href;
  const redirect = client?.redirectUris.map(webUrl).find((url) => url !== undefined);
  return redirect ? `${redirect.origin}/` : undefined;
}

/** Reading never trusts the store: any value may be missing, of another type, or out of range. */
const readSchema = appSettingsSchema(Number.MAX_SAFE_INTEGER).shape;
/** An app whose stored sign-up policy cannot be read lets nobody in (an allowlist of no domains). */
const NOBODY: SignupPolicy = { policy: 'allowlist', allowedDomains: [] };

function readSignup(settings: Readonly<Record<string, unknown>>, problems: string[]): SignupPolicy | undefined {
  if (settings.signup === undefined && settings.signup_domains === undefined) return undefined;
  const policy = readSchema.signup.safeParse(settings.signup);
  const domains = readSchema.signup_domains.safeParse(settings.signup_domains);
  if (!policy.success || policy.data === undefined || !domains.success || (policy.data === 'allowlist') !== (domains.data !== undefined)) {
    problems.push('signup');
    return NOBODY;
  }
  return { policy: policy.data, allowedDomains: domains.data ?? [] };
}

function readKey<T>(schema: z.ZodType<T>, value: unknown, key: string, problems: string[]): T | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  problems.push(key);
  return undefined;
}

/** The app as the sign-in sees it; `problems` names the stored keys that were ignored. */
export function readApp(clientId: string, client: ClientRecord | undefined): { app: App; problems: string[] } {
  const settings = client?.settings ?? {};
  const problems: string[] = [];
  const signup = readSignup(settings, problems);
  const linkTtlSeconds = readKey(readSchema.link_ttl_seconds, settings.link_ttl_seconds, 'link_ttl_seconds', problems);
  const accent = readKey(readSchema.accent_color, settings.accent_color, 'accent_color', problems);
  const supportEmail = readKey(readSchema.support_email, settings.support_email, 'support_email', problems);
  const metadata = client?.metadata ?? {};
  const app: App = {
    clientId,
    policy: {
      ...(signup ? { signup } : {}),
      ...(linkTtlSeconds === undefined ? {} : { linkTtlSeconds }),
      consent: client?.firstParty ? 'skip' : 'required',
    },
    branding: {
      name: client?.name ?? clientId,
      logoUri: httpsUrl(metadata.logo_uri),
      ...(accent && HEX_COLOUR.test(accent) ? { accentColor: accent, accentText: buttonTextFor(accent) } : {}),
      supportEmail,
      policyUri: httpsUrl(metadata.policy_uri),
      tosUri: httpsUrl(metadata.tos_uri),
    },
    homeUri: appHomeOf(client),
  };
  return { app, problems };
}

export interface AppDirectory {
  /** The app behind a client id; an unknown one (deleted since) gets the global behaviour. */
  find(clientId: string): Promise<App>;
}

/** `builtIn`: apps linkid itself is (the account page), known by id and never read from the store. */
export function createAppDirectory(clients: Pick<ClientStore, 'find'>, logger: Pick<Logger, 'error'>, builtIn: readonly App[] = []): AppDirectory {
  const own = new Map(builtIn.map((app) => [app.clientId, app]));
  return {
    async find(clientId) {
      const ownApp = own.get(clientId);
      if (ownApp) return ownApp;
      const { app, problems } = readApp(clientId, await clients.find(clientId));
      if (problems.length > 0)
        logger.error({ clientId, ignoredSettings: problems }, 'stored app settings are invalid: ignored (an unreadable sign-up policy admits nobody)');
      return app;
    },
  };
}
