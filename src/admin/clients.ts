// Registering relying parties: create, list, delete, rotate the secret. Used by the admin CLI and API;
// no HTTP here. Every client is checked against oidc-provider's own metadata validation before
// it is stored, so the server never meets a client it would refuse.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../kernel/clock.js';
import { isLoopbackHost } from '../kernel/loopback.js';
import { buttonTextFor, HEX_COLOUR } from '../login/accent-colour.js';
import { APP_SCOPES, APP_SIGNUP_POLICIES, appSettingsSchema, canonicalDomains } from '../login/app-policy.js';
import type { Audit } from '../kernel/audit.js';
import { CLIENT_CREDENTIALS_GRANT, clientCredentialsScopes, isAdminApiClient, isResourceServiceClient } from '../oidc/client-credentials.js';
import { introspectedResourceOf, resourceIdsOf } from '../oidc/configuration/resources.js';
import { subjectBasisOf } from '../oidc/configuration/pairwise.js';
import { DEVICE_CODE_GRANT, deriveClientSecret, grantTypesOf, newSecretSalt, toOidcClientMetadata, usesDeviceFlow } from '../oidc/client-metadata.js';
import type { ClientChanges, ClientRecord, Store } from '../store/port.js';
import { ADMIN_CLI, type AdminActor } from './admin-actor.js';
import { AdminError } from './admin-error.js';
import { oidcOptionProblems } from './client-oidc-options.js';

/** Random, URL-safe, and never starting with "-" so it can be passed to a CLI as an argument. */
export function newClientId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

/** https anywhere; http only on loopback; a private-use scheme (RFC 8252 reverse domain) for public native apps. */
function redirectUriProblem(value: string, isPublic: boolean): string | undefined {
  const url = URL.parse(value);
  if (!url) return 'is not an absolute URI';
  if (url.hash || value.includes('#')) return 'must not contain a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return isLoopbackHost(url.hostname) ? undefined : 'must use https (http is allowed only for localhost)';
  if (isPublic && /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) return undefined;
  return 'must use https, or a reverse-domain scheme such as com.example.app: for a public native app';
}

function addUriIssues(ctx: z.RefinementCtx, flag: string, field: string, uris: readonly string[] | undefined, isPublic: boolean): void {
  for (const [index, uri] of (uris ?? []).entries()) {
    const problem = redirectUriProblem(uri, isPublic);
    if (problem) ctx.addIssue({ code: 'custom', message: `${flag} ${uri} ${problem}`, path: [field, index] });
  }
}

/**
 * The per-app policy and branding options of `client create` and `client update` (each absent:
 * unchanged; on update an empty string removes a branding value). They land in three places:
 * consent in `firstParty`, linkid's own settings in `settings` (schema: src/login/app-policy.ts),
 * standard metadata (`logo_uri`, `policy_uri`, `tos_uri`, `scope`) in `metadata`.
 */
const appOptions = {
  signup: z.enum([...APP_SIGNUP_POLICIES, 'inherit'], { error: '--signup must be one of open, allowlist, closed, inherit' }).optional(),
  signupDomains: z.string().optional(),
  linkTtlSeconds: z
    .union(
      [
        z.number(),
        z
          .string()
          .regex(/^\d{1,9}$/)
          .transform(Number),
      ],
      { error: '--link-ttl must be a whole number of seconds' },
    )
    .optional(),
  consent: z.enum(['required', 'skip'], { error: '--consent must be required or skip' }).optional(),
  scopes: z.array(z.string()).optional(),
  logoUri: z.string().optional(),
  accentColor: z.string().optional(),
  supportEmail: z.string().optional(),
  policyUri: z.string().optional(),
  tosUri: z.string().optional(),
};

type AppOptions = { [K in keyof typeof appOptions]?: z.output<(typeof appOptions)[K]> };

const HTTPS_URI_FLAGS = { logoUri: ['logo_uri', '--logo-uri'], policyUri: ['policy_uri', '--policy-uri'], tosUri: ['tos_uri', '--tos-uri'] } as const;

/** The changes to metadata and settings the app options ask for (null removes a key), or the problems with them. */
function appChanges(options: AppOptions): { metadata: Record<string, unknown>; settings: Record<string, unknown>; problems: string[] } {
  const metadata: Record<string, unknown> = {};
  const settings: Record<string, unknown> = {};
  const problems: string[] = [];
  if (options.signup !== undefined) {
    settings.signup = options.signup === 'inherit' ? null : options.signup;
    if (options.signup !== 'allowlist') settings.signup_domains = null;
  }
  if (options.signupDomains !== undefined) {
    const domains = canonicalDomains(options.signupDomains);
    if (domains) settings.signup_domains = domains;
    else problems.push('--signup-domains must be comma-separated domains such as example.com,example.org');
  }
  if (options.linkTtlSeconds !== undefined) settings.link_ttl_seconds = options.linkTtlSeconds;
  if (options.accentColor !== undefined) settings.accent_color = options.accentColor === '' ? null : options.accentColor.toLowerCase();
  if (options.supportEmail !== undefined) settings.support_email = options.supportEmail === '' ? null : options.supportEmail;
  for (const [option, [key, flag]] of Object.entries(HTTPS_URI_FLAGS) as [
    keyof typeof HTTPS_URI_FLAGS,
    (typeof HTTPS_URI_FLAGS)[keyof typeof HTTPS_URI_FLAGS],
  ][]) {
    const value = options[option];
    if (value === undefined) continue;
    if (value !== '' && URL.parse(value)?.protocol !== 'https:') problems.push(`${flag} must be an https URL`);
    metadata[key] = value === '' ? null : value;
  }
  if (options.scopes !== undefined) {
    const unknown = options.scopes.filter((scope) => !(APP_SCOPES as readonly string[]).includes(scope));
    if (unknown.length > 0) problems.push(`--scope ${unknown.join(', ')} is not one of ${APP_SCOPES.join(', ')}`);
    else if (!options.scopes.includes('openid')) problems.push('--scope must include openid');
    else metadata.scope = [...new Set(options.scopes)].join(' ');
  }
  return { metadata, settings, problems };
}

/** `--consent` and its older synonym `--first-party` must agree; undefined when neither is given. */
function firstPartyOf(options: AppOptions & { firstParty?: boolean | undefined }): boolean | undefined {
  if (options.consent === undefined) return options.firstParty;
  const skip = options.consent === 'skip';
  if (options.firstParty !== undefined && options.firstParty !== skip) {
    throw new AdminError('invalid_argument', `--consent ${options.consent} contradicts --${options.firstParty ? '' : 'no-'}first-party`);
  }
  return skip;
}

/** The OIDC options a service client may have: how it authenticates, and its keys for private_key_jwt. */
const ADMIN_API_METADATA = ['token_endpoint_auth_method', 'jwks', 'jwks_uri'];

/**
 * A service client of the admin API signs nobody in and is shown no page: it takes none of the
 * options of an app that does, and it must be able to keep a secret (or its own keys).
 */
function adminApiProblems(
  input: AppOptions & Record<string, unknown> & { metadata: Record<string, unknown> },
  lead = '--admin-api makes a service client that signs nobody in (client credentials only):',
): string[] {
  const given = (flag: string, value: unknown) => (value === undefined || value === false || (Array.isArray(value) && value.length === 0) ? [] : [flag]);
  const refused = [
    ...given('--redirect-uri', input.redirectUris),
    ...given('--post-logout-redirect-uri', input.postLogoutRedirectUris),
    ...given('--public', input.isPublic),
    ...given('--device-flow', input.deviceFlow),
    ...given('--first-party', input.firstParty),
    ...Object.entries(APP_OPTION_FLAGS).flatMap(([option, flag]) => given(flag, input[option])),
    ...Object.keys(input.metadata)
      .filter((key) => !ADMIN_API_METADATA.includes(key))
      .map((key) => FLAG_OF_METADATA[key] ?? key),
    ...(Object.keys((input.settings as Record<string, unknown> | undefined) ?? {}).length > 0 ? ['settings'] : []),
  ];
  const problems = refused.map((flag) => `${lead} ${flag} cannot be used with it`);
  if (input.metadata.token_endpoint_auth_method === 'none')
    problems.push(`${lead} --token-endpoint-auth-method none cannot be used with it (it keeps a secret)`);
  return problems;
}

/** The flag of each app option, to name it when a service client is given one. */
const APP_OPTION_FLAGS: Readonly<Record<keyof typeof appOptions, string>> = {
  signup: '--signup',
  signupDomains: '--signup-domains',
  linkTtlSeconds: '--link-ttl',
  consent: '--consent',
  scopes: '--scope',
  logoUri: '--logo-uri',
  accentColor: '--accent-color',
  supportEmail: '--support-email',
  policyUri: '--policy-uri',
  tosUri: '--tos-uri',
};

const FLAG_OF_METADATA: Readonly<Record<string, string>> = {
  id_token_signed_response_alg: '--id-token-signed-response-alg',
  backchannel_logout_uri: '--backchannel-logout-uri',
  backchannel_logout_session_required: '--backchannel-logout-session-required',
  frontchannel_logout_uri: '--frontchannel-logout-uri',
  subject_type: '--subject-type',
  sector_identifier_uri: '--sector-identifier-uri',
  require_pushed_authorization_requests: '--require-par',
  dpop_bound_access_tokens: '--require-dpop',
  request_object_signing_alg: '--request-object-signing-alg',
};

/**
 * People read an app's name on the sign-in, consent and account pages: control characters and
 * the invisible ones that reorder text (U+202E and the rest of Bidi_Control) could make it read as
 * another app's. Other format characters stay (a zero-width joiner inside an emoji).
 */
const name = z
  .string()
  .trim()
  .min(1, { error: '--name is required' })
  .max(100, { error: '--name is too long' })
  .refine((value) => !/[\p{Cc}\p{Bidi_Control}]/u.test(value), { error: '--name must not hold control characters or text-direction overrides' });
const redirectUris = z.array(z.string()).min(1, { error: 'at least one --redirect-uri is required' });
/** An app made with --device-flow only (a TV, a command-line tool) has no browser to redirect to. */
const NEEDS_A_GRANT = 'at least one --redirect-uri is required (or --device-flow, for an app on a device without a browser)';
/** Keys to set in a client's metadata or settings; a null value removes the key. */
const jsonChanges = z.record(z.string(), z.unknown()).default({});

/**
 * APIs (RFC 8707 resources, src/admin/resources.ts): `--resource ID|IDENTIFIER` (repeatable) lists
 * the resources an app, or a service client, may get access tokens for (settings.resources; a
 * list given replaces the stored one, an empty value clears it), and `--grant-type
 * client_credentials` makes a service client of them: client credentials only, no person, no
 * refresh token (src/oidc/client-credentials.ts). The admin API takes both (`resources`, `grantType`).
 */
const resourceOptions = {
  resources: z.array(z.string()).optional(),
  grantType: z
    .enum([CLIENT_CREDENTIALS_GRANT], { error: '--grant-type must be client_credentials (apps get their grants from --redirect-uri and --device-flow)' })
    .optional(),
};

const SERVICE_CLIENT_LEAD = '--grant-type client_credentials makes a service client that signs nobody in (client credentials only):';

/** The ids of the resources named by id or identifier; an empty name clears the list. */
async function resolveResourceIds(store: Pick<Store, 'resources'>, named: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const name of named.filter((one) => one !== '')) {
    const resource = (await store.resources.find(name)) ?? (await store.resources.findByIdentifier(name));
    if (!resource) throw new AdminError('invalid_argument', `--resource ${name}: no such resource (linkid-admin resource list shows them)`);
    if (!ids.includes(resource.id)) ids.push(resource.id);
  }
  return ids;
}

/** The settings changes the resource options ask for, checked against what kind of client it is. */
async function resourceSettings(
  store: Pick<Store, 'resources'>,
  input: { resources?: string[] | undefined; grantType?: string | undefined; adminApi?: boolean },
  current: ClientRecord | undefined,
): Promise<Record<string, unknown>> {
  const service = input.grantType === CLIENT_CREDENTIALS_GRANT || (current !== undefined && isResourceServiceClient(current));
  if (input.adminApi || (current && isAdminApiClient(current))) {
    if (input.grantType !== undefined || input.resources !== undefined) {
      throw new AdminError('invalid_argument', 'a service client of the admin API takes neither --grant-type nor --resource');
    }
    return {};
  }
  if (input.resources === undefined) {
    if (service && !current) throw new AdminError('invalid_argument', '--grant-type client_credentials needs at least one --resource (the API it calls)');
    return {};
  }
  const ids = await resolveResourceIds(store, input.resources);
  if (service && ids.length === 0)
    throw new AdminError('invalid_argument', 'a client_credentials service client needs at least one --resource (the API it calls)');
  return { resources: ids.length === 0 ? null : ids, ...(service && !current ? { client_credentials: true } : {}) };
}

/** The fields of `client create`, as the command and the admin API take them (the API takes neither `settings` nor `adminApi`). */
export const createClientFields = {
  name,
  redirectUris: z.array(z.string()).default([]),
  postLogoutRedirectUris: z.array(z.string()).default([]),
  isPublic: z.boolean().default(false),
  /** RFC 8628: the app may use the device authorization grant. */
  deviceFlow: z.boolean().default(false),
  firstParty: z.boolean().optional(),
  metadata: jsonChanges,
  settings: jsonChanges,
  ...appOptions,
  /** A service client of the admin API (client credentials, scope linkid:admin; src/oidc/client-credentials.ts). */
  adminApi: z.boolean().default(false),
  ...resourceOptions,
};

type NewClient = z.output<z.ZodObject<typeof createClientFields>>;

/** The rules between the fields of a new client; each issue names its field. */
export function checkNewClient(
  input: Omit<NewClient, 'metadata' | 'settings' | 'adminApi'> & { metadata?: Record<string, unknown>; settings?: Record<string, unknown>; adminApi?: boolean },
  ctx: z.RefinementCtx,
): void {
  if (input.adminApi) {
    for (const message of adminApiProblems({ ...input, metadata: input.metadata ?? {} })) ctx.addIssue({ code: 'custom', message });
    return;
  }
  if (input.grantType === CLIENT_CREDENTIALS_GRANT) {
    for (const message of adminApiProblems({ ...input, metadata: input.metadata ?? {} }, SERVICE_CLIENT_LEAD)) ctx.addIssue({ code: 'custom', message });
    return;
  }
  if (input.redirectUris.length === 0 && !input.deviceFlow) ctx.addIssue({ code: 'custom', message: NEEDS_A_GRANT, path: ['redirectUris'] });
  addUriIssues(ctx, '--redirect-uri', 'redirectUris', input.redirectUris, input.isPublic);
  addUriIssues(ctx, '--post-logout-redirect-uri', 'postLogoutRedirectUris', input.postLogoutRedirectUris, input.isPublic);
}

export const createClientInput = z.object(createClientFields).superRefine(checkNewClient);

/** The fields of `client update`, each optional: what is given replaces the stored value; metadata and settings are merged by key. */
export const updateClientFields = {
  name: name.optional(),
  redirectUris: redirectUris.optional(),
  postLogoutRedirectUris: z.array(z.string()).optional(),
  firstParty: z.boolean().optional(),
  deviceFlow: z.boolean().optional(),
  metadata: jsonChanges,
  settings: jsonChanges,
  ...appOptions,
  /** Lets a change of subject type or sector through: it gives every person a new `sub` in the app. */
  allowSubjectChange: z.boolean().optional(),
  resources: resourceOptions.resources,
};

export const updateClientInput = z.object(updateClientFields);

/**
 * The app's grants are standard metadata (`grant_types`), stored only for an app that uses the
 * device flow (src/oidc/client-metadata.ts grantTypesOf: the authorization code with a redirect
 * URI, the device grant, refresh tokens): null removes it, undefined leaves it as it is.
 */
function grantTypesChange(deviceFlow: boolean | undefined, redirectUris: readonly string[], current: ClientRecord | undefined): string[] | null | undefined {
  const device = deviceFlow ?? (current ? usesDeviceFlow(current) : false);
  if (redirectUris.length === 0 && !device) {
    throw new AdminError('invalid_argument', '--no-device-flow would leave the app no way to sign in: it has no redirect URI (give --redirect-uri too)');
  }
  if (!device) return current && usesDeviceFlow(current) ? null : undefined;
  const grantTypes = grantTypesOf({ redirectUris, metadata: { grant_types: [DEVICE_CODE_GRANT] } });
  return current && JSON.stringify(current.metadata.grant_types) === JSON.stringify(grantTypes) ? undefined : grantTypes;
}

export type CreateClientInput = z.input<typeof createClientInput>;
export type UpdateClientInput = z.input<typeof updateClientInput>;

function mergeJson(current: Readonly<Record<string, unknown>>, changes: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged;
}

function checkOidcOptions(client: Pick<ClientRecord, 'metadata' | 'isPublic' | 'redirectUris'>): void {
  const problems = oidcOptionProblems(client.metadata, client.isPublic, client.redirectUris);
  if (problems.length > 0) throw new AdminError('invalid_argument', problems.join('; '));
}

/** A private_key_jwt client signs with its own keys: it has no secret to show. */
const usesSecret = (client: ClientRecord, metadata: Record<string, unknown>) =>
  Boolean(client.secretSalt) && metadata.token_endpoint_auth_method !== 'private_key_jwt' && metadata.token_endpoint_auth_method !== 'none';

/** What a client that signs nobody in is, in the words that refuse an app option given to it. */
type ConfinedKind = 'admin-api' | 'resources' | 'introspection';

/** The client's kind, if it is one that signs nobody in: a service client, or an API's introspection client. */
function confinedKindOf(client: ClientRecord): ConfinedKind | undefined {
  if (isAdminApiClient(client)) return 'admin-api';
  if (isResourceServiceClient(client)) return 'resources';
  return introspectedResourceOf(client) === undefined ? undefined : 'introspection';
}

/**
 * A client that signs nobody in keeps what makes it one: only its name and how it authenticates
 * change. An API's introspection client (resource create --introspect) is one too: given redirect
 * URIs it would become a sign-in app that nobody registered as one, holding the API's secret.
 */
function checkConfinedUpdate(clientId: string, input: z.output<typeof updateClientInput>, kind: ConfinedKind): void {
  const leads: Record<ConfinedKind, string> = {
    'admin-api': `client ${clientId} is a service client of the admin API (client credentials only):`,
    resources: `client ${clientId} is a service client of APIs (client credentials only):`,
    introspection: `client ${clientId} is an API's introspection client (it only introspects that API's tokens):`,
  };
  const problems = adminApiProblems({ ...input, redirectUris: input.redirectUris ?? [], isPublic: false }, leads[kind]);
  if (kind === 'introspection' && input.resources !== undefined) problems.push(`${leads[kind]} --resource cannot be used with it`);
  if (problems.length > 0) throw new AdminError('invalid_argument', problems.join('; '));
}

/**
 * Pairwise subjects (src/oidc/configuration/pairwise.ts). A sector identifier document is fetched
 * when it could have changed what it vouches for: a new app, or a change of its redirect URIs,
 * sector URI or subject type, or of its grants and jwks_uri (a device-flow app gets its tokens on
 * the device, so the document must list its jwks_uri: without this check an app registered with
 * another owner's document and redirect URIs could add the device flow and its own keys later and
 * be handed that owner's `sub`s); other changes (a new name) do not depend on the sector's host.
 */
function sectorDocumentToCheck(client: ClientRecord, before: ClientRecord | undefined): boolean {
  if (typeof client.metadata.sector_identifier_uri !== 'string') return false;
  if (!before) return true;
  return (
    JSON.stringify(client.redirectUris) !== JSON.stringify(before.redirectUris) ||
    client.metadata.sector_identifier_uri !== before.metadata.sector_identifier_uri ||
    client.metadata.subject_type !== before.metadata.subject_type ||
    JSON.stringify(client.metadata.grant_types) !== JSON.stringify(before.metadata.grant_types) ||
    client.metadata.jwks_uri !== before.metadata.jwks_uri
  );
}

/** A change of what the app's `sub` values are derived from gives every person a new one there: only on purpose. */
function checkSubjectChange(current: ClientRecord, updated: ClientRecord, allowed: boolean): { from: string; to: string } | undefined {
  const [was, becomes] = [subjectBasisOf(toSubjectMetadata(current)), subjectBasisOf(toSubjectMetadata(updated))];
  if (was === becomes) return undefined;
  if (allowed) return { from: was, to: becomes };
  throw new AdminError(
    'invalid_argument',
    `this change moves the app's subject identifiers from ${was} to ${becomes}: every person would get a new 'sub' in it, ` +
      'and the app would take them for new users (an administrator can do it with --allow-sub-change)',
  );
}

const toSubjectMetadata = (client: ClientRecord) => ({ ...client.metadata, redirect_uris: client.redirectUris });

const invalid = (error: z.ZodError) => new AdminError('invalid_argument', error.issues.map((issue) => issue.message).join('; '));

export interface ClientView {
  client_id: string;
  client_secret?: string;
  client_name: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  token_endpoint_auth_method: string;
  /** Standard metadata stored with the client (id_token_signed_response_alg, jwks_uri, ...). */
  [metadata: string]: unknown;
  /** True exactly when consent is skipped (`consent: "skip"`). */
  first_party: boolean;
  consent: 'required' | 'skip';
  /** The button text linkid derived to read on the app's accent colour, when it has one. */
  accent_text?: string;
  /** linkid's own per-app settings (policy, branding). */
  settings: Record<string, unknown>;
  /** Present (true) when the app registered itself by RFC 7591 dynamic registration; `settings.registration` says with which initial token. */
  dynamically_registered?: true;
  created_at: string;
  updated_at: string;
}

/**
 * Who or what asks for a change, and what only they decide. The admin CLI is the default; dynamic
 * registration (src/admin/client-registration.ts) gives the client id and secret salt oidc-provider
 * already answered with, marks the app as registered that way, and spends its initial access token
 * in `beforeStore`, after every check has passed and just before the client is stored.
 */
export interface ClientOrigin {
  /** Audit fields that say where the change came from (`via`, and whatever else identifies it). */
  readonly audit: Readonly<Record<string, unknown>>;
  readonly clientId?: string;
  readonly secretSalt?: string;
  /** linkid settings only this origin sets (merged over those the options give). */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Runs once the client has passed every check; what it returns is added to the audit event; throwing stores nothing. */
  readonly beforeStore?: () => Promise<Record<string, unknown>>;
}

const FROM_CLI: ClientOrigin = { audit: ADMIN_CLI };

export interface ClientAdminDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly serverSecret: Buffer;
  /**
   * oidc-provider's validation of client metadata; throws with a description when invalid.
   * `sectorDocument`: also fetch and check the app's sector identifier document (OIDC Core 8.1).
   */
  readonly validateMetadata: (metadata: Record<string, unknown>, options: { readonly sectorDocument: boolean }) => Promise<void>;
  /** The global LOGIN_TOKEN_TTL_SECONDS: no app's links may live longer. */
  readonly maxLinkTtlSeconds: number;
  /** Where client changes are audited (never with the secret); none for test factories. */
  readonly audit?: Audit;
}

export function createClientAdmin({ store, clock, serverSecret, validateMetadata, maxLinkTtlSeconds, audit = () => undefined }: ClientAdminDeps) {
  const settingsSchema = appSettingsSchema(maxLinkTtlSeconds);
  /** Applies the app options to what is stored, and checks the result as a whole (an allowlist needs domains, and so on). */
  const withAppOptions = (
    current: Pick<ClientRecord, 'metadata' | 'settings'>,
    input: AppOptions & { metadata: Record<string, unknown>; settings: Record<string, unknown> },
  ) => {
    const changes = appChanges(input);
    if (changes.problems.length > 0) throw new AdminError('invalid_argument', changes.problems.join('; '));
    const metadataChanges = { ...input.metadata, ...changes.metadata };
    const settingsChanges = { ...input.settings, ...changes.settings };
    const settings = mergeJson(current.settings, settingsChanges);
    const checked = settingsSchema.safeParse(settings);
    if (!checked.success) throw invalid(checked.error);
    return { metadataChanges, settingsChanges, metadata: mergeJson(current.metadata, metadataChanges), settings };
  };

  const view = (client: ClientRecord, withSecret: boolean): ClientView => {
    const metadata = toOidcClientMetadata(client, serverSecret);
    return {
      // Standard metadata first, so the fields linkid decides itself are never overridden by it.
      ...client.metadata,
      client_id: client.clientId,
      ...(withSecret && usesSecret(client, metadata) && client.secretSalt
        ? { client_secret: deriveClientSecret(serverSecret, client.clientId, client.secretSalt) }
        : {}),
      client_name: client.name,
      redirect_uris: [...client.redirectUris],
      post_logout_redirect_uris: [...client.postLogoutRedirectUris],
      token_endpoint_auth_method: String(metadata.token_endpoint_auth_method),
      first_party: client.firstParty,
      consent: client.firstParty ? 'skip' : 'required',
      ...(isAdminApiClient(client) ? { admin_api: true, grant_types: grantTypesOf(client), scope: clientCredentialsScopes(client).join(' ') } : {}),
      ...(isResourceServiceClient(client) ? { grant_types: grantTypesOf(client) } : {}),
      ...(typeof client.settings.accent_color === 'string' && HEX_COLOUR.test(client.settings.accent_color)
        ? { accent_text: buttonTextFor(client.settings.accent_color) }
        : {}),
      settings: { ...client.settings },
      ...(client.settings.registration ? { dynamically_registered: true } : {}),
      created_at: new Date(client.createdAt).toISOString(),
      updated_at: new Date(client.updatedAt).toISOString(),
    };
  };

  // oidc-provider validates the whole client as the server will see it, so it never meets one it would refuse.
  const validate = async (client: ClientRecord, before?: ClientRecord) => {
    try {
      await validateMetadata(toOidcClientMetadata(client, serverSecret), { sectorDocument: sectorDocumentToCheck(client, before) });
    } catch (error) {
      const description = (error as { error_description?: string }).error_description ?? (error as Error).message;
      throw new AdminError('invalid_argument', `invalid client: ${description}`);
    }
  };

  const mustFind = async (clientId: string) => {
    const client = await store.clients.find(clientId);
    if (!client) throw new AdminError('not_found', `no client with id ${clientId}`);
    return client;
  };

  return {
    async create(raw: CreateClientInput, origin: ClientOrigin = FROM_CLI): Promise<ClientView> {
      const parsed = createClientInput.safeParse(raw);
      if (!parsed.success) throw invalid(parsed.error);
      const input = parsed.data;
      const firstParty = firstPartyOf(input) ?? false;
      const grantTypes = input.adminApi || input.grantType ? undefined : grantTypesChange(input.deviceFlow, input.redirectUris, undefined);
      const resources = await resourceSettings(store, input, undefined);
      const app = withAppOptions(
        { metadata: {}, settings: {} },
        { ...input, metadata: { ...input.metadata, ...(grantTypes ? { grant_types: grantTypes } : {}) }, settings: { ...input.settings, ...resources } },
      );
      const { metadata } = app;
      // Its grant and scope follow from this mark (src/oidc/client-credentials.ts), never from metadata.
      const settings = input.adminApi ? { ...app.settings, admin_api: true } : app.settings;
      const now = clock.now();
      const client: ClientRecord = {
        clientId: origin.clientId ?? newClientId(),
        name: input.name,
        redirectUris: input.redirectUris,
        postLogoutRedirectUris: input.postLogoutRedirectUris,
        isPublic: input.isPublic,
        firstParty,
        secretSalt: input.isPublic ? null : (origin.secretSalt ?? newSecretSalt()),
        metadata,
        settings: origin.settings ? { ...settings, ...origin.settings } : settings,
        createdAt: now,
        updatedAt: now,
      };
      checkOidcOptions(client);
      await validate(client);
      const admitted = (await origin.beforeStore?.()) ?? {};
      await store.clients.create(client);
      audit('client.registered', {
        clientId: client.clientId,
        name: client.name,
        redirectUris: client.redirectUris,
        isPublic: client.isPublic,
        firstParty: client.firstParty,
        ...(usesDeviceFlow(client) ? { deviceFlow: true } : {}),
        ...(input.adminApi ? { adminApi: true } : {}),
        ...(input.grantType ? { grantType: input.grantType } : {}),
        ...(resourceIdsOf(client).length > 0 ? { resources: resourceIdsOf(client) } : {}),
        ...origin.audit,
        ...admitted,
      });
      return view(client, true);
    },

    async list(): Promise<ClientView[]> {
      return (await store.clients.list()).map((client) => view(client, false));
    },

    /** One client as `list` shows it (never its secret). */
    async show(clientId: string): Promise<ClientView> {
      return view(await mustFind(clientId), false);
    },

    async delete(clientId: string, origin: ClientOrigin = FROM_CLI): Promise<{ deleted: string }> {
      if (!(await store.clients.delete(clientId))) throw new AdminError('not_found', `no client with id ${clientId}`);
      audit('client.deleted', { clientId, ...origin.audit });
      return { deleted: clientId };
    },

    async update(clientId: string, raw: UpdateClientInput, origin: ClientOrigin = FROM_CLI): Promise<ClientView> {
      const parsed = updateClientInput.safeParse(raw);
      if (!parsed.success) throw invalid(parsed.error);
      const input = parsed.data;
      const current = await mustFind(clientId);
      const confined = confinedKindOf(current);
      if (confined) checkConfinedUpdate(clientId, input, confined);
      const service = confined !== undefined;
      const grantTypes = service ? undefined : grantTypesChange(input.deviceFlow, input.redirectUris ?? current.redirectUris, current);
      const resources = await resourceSettings(store, input, current);
      const uriProblems = createClientInput.safeParse({
        name: current.name,
        redirectUris: input.redirectUris ?? current.redirectUris,
        postLogoutRedirectUris: input.postLogoutRedirectUris ?? current.postLogoutRedirectUris,
        isPublic: current.isPublic,
        // Whether the app is left with a grant at all was grantTypesChange's to say.
        deviceFlow: !service,
        adminApi: service,
      });
      if (!uriProblems.success) throw invalid(uriProblems.error);
      const firstParty = firstPartyOf(input);
      const app = withAppOptions(current, {
        ...input,
        metadata: { ...input.metadata, ...(grantTypes === undefined ? {} : { grant_types: grantTypes }) },
        settings: { ...input.settings, ...resources },
      });
      const changes: ClientChanges = {
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.redirectUris === undefined ? {} : { redirectUris: input.redirectUris }),
        ...(input.postLogoutRedirectUris === undefined ? {} : { postLogoutRedirectUris: input.postLogoutRedirectUris }),
        ...(firstParty === undefined ? {} : { firstParty }),
        ...(Object.keys(app.metadataChanges).length === 0 ? {} : { metadata: app.metadata }),
        ...(Object.keys(app.settingsChanges).length === 0 ? {} : { settings: app.settings }),
      };
      if (Object.keys(changes).length === 0) throw new AdminError('invalid_argument', 'nothing to change: give at least one option');
      const now = clock.now();
      const updated: ClientRecord = { ...current, ...changes, updatedAt: now };
      checkOidcOptions(updated);
      const subjectsChanged = checkSubjectChange(current, updated, input.allowSubjectChange === true);
      await validate(updated, current);
      if (!(await store.clients.update(clientId, changes, now))) throw new AdminError('not_found', `no client with id ${clientId}`);
      audit('client.updated', { clientId, changed: Object.keys(changes), ...(subjectsChanged ? { subjectsChanged } : {}), ...origin.audit });
      // A client moving from keys (private_key_jwt) to a secret method gets its secret shown once, here.
      const nowUsesSecret = usesSecret(updated, toOidcClientMetadata(updated, serverSecret));
      return view(updated, nowUsesSecret && !usesSecret(current, toOidcClientMetadata(current, serverSecret)));
    },

    async rotateSecret(clientId: string, actor: AdminActor = ADMIN_CLI): Promise<ClientView> {
      const client = await mustFind(clientId);
      if (client.isPublic) throw new AdminError('invalid_argument', `client ${clientId} is public and has no secret`);
      if (!usesSecret(client, toOidcClientMetadata(client, serverSecret))) {
        throw new AdminError('invalid_argument', `client ${clientId} authenticates with private_key_jwt (its own keys) and has no secret`);
      }
      const secretSalt = newSecretSalt();
      const now = clock.now();
      await store.clients.setSecretSalt(clientId, secretSalt, now);
      audit('client.secret_rotated', { clientId, ...actor });
      return view({ ...client, secretSalt, updatedAt: now }, true);
    },
  };
}

export type ClientAdmin = ReturnType<typeof createClientAdmin>;
