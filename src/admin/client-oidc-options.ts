// The OpenID Connect options of a client that `client create` and `client update` take as flags
// and store as standard client metadata: how it authenticates at the token endpoint (and its
// keys for private_key_jwt), how its ID tokens are signed, and where logout reaches it. Checked
// here with reasons a person can act on, before oidc-provider's own validation sees the client.
import fs from 'node:fs';
import { isLoopbackHost } from '../kernel/loopback.js';
import { DEVICE_CODE_GRANT } from '../oidc/client-metadata.js';
import { CLIENT_AUTH_METHODS, ID_TOKEN_SIGNING_ALGS } from '../oidc/configuration/features.js';
import { SUBJECT_TYPES } from '../oidc/configuration/pairwise.js';
import { REQUEST_OBJECT_SIGNING_ALGS } from '../oidc/configuration/high-security.js';

/** The grants an app may be given (src/oidc/client-metadata.ts grantTypesOf decides which it has). */
const APP_GRANT_TYPES = ['authorization_code', DEVICE_CODE_GRANT, 'refresh_token'] as const;

/** Members only a private JWK has: a client's jwks must never hold its private key. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth', 'priv'];

/** The flag each metadata key comes from, to name it in errors. */
const FLAG_OF: Readonly<Record<string, string>> = {
  token_endpoint_auth_method: '--token-endpoint-auth-method',
  jwks_uri: '--jwks-uri',
  jwks: '--jwks',
  id_token_signed_response_alg: '--id-token-signed-response-alg',
  backchannel_logout_uri: '--backchannel-logout-uri',
  frontchannel_logout_uri: '--frontchannel-logout-uri',
  subject_type: '--subject-type',
  sector_identifier_uri: '--sector-identifier-uri',
  // High-security apps (docs/high-security.md): PAR, DPoP, signed request objects.
  require_pushed_authorization_requests: '--require-par',
  dpop_bound_access_tokens: '--require-dpop',
  request_object_signing_alg: '--request-object-signing-alg',
};

/** https anywhere, http only on loopback (a local app during development). */
function webUriProblem(value: unknown): string | undefined {
  const url = typeof value === 'string' ? URL.parse(value) : null;
  if (!url || !/^https?:$/.test(url.protocol)) return 'must be an absolute https URL';
  if (url.hash || String(value).includes('#')) return 'must not contain a fragment';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return 'must use https (http is allowed only for localhost)';
  return undefined;
}

function jwksProblem(value: unknown): string | undefined {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (typeof value !== 'object' || value === null || !Array.isArray(keys) || keys.length === 0)
    return 'must be a JSON Web Key Set ({"keys": [...]}) with at least one key';
  if (keys.some((key: unknown) => typeof key !== 'object' || key === null || PRIVATE_MEMBERS.some((member) => member in key))) {
    return "must hold the client's public keys only (a private or symmetric key was given)";
  }
  return undefined;
}

/**
 * Subject types (src/oidc/configuration/pairwise.ts): a pairwise app's sector is the host of its
 * sector identifier document (OIDC Core section 8.1, https only), or of its one redirect-URI host.
 */
function subjectTypeProblems(metadata: Readonly<Record<string, unknown>>, redirectUris: readonly string[]): string[] {
  const type = metadata.subject_type;
  if (type !== undefined && !SUBJECT_TYPES.includes(type as never)) return [`--subject-type must be one of ${SUBJECT_TYPES.join(', ')}`];
  const sectorUri = metadata.sector_identifier_uri;
  if (sectorUri === undefined) {
    const hosts = [...new Set(redirectUris.map((uri) => URL.parse(uri)?.host))];
    return type === 'pairwise' && hosts.length > 1
      ? [
          `--subject-type pairwise with redirect URIs on several hosts (${hosts.join(', ')}) needs --sector-identifier-uri: ` +
            'an https URL whose JSON array lists every redirect URI (OpenID Connect Core 8.1)',
        ]
      : [];
  }
  if (type !== 'pairwise') return ['--sector-identifier-uri is for apps with --subject-type pairwise (it names their sector)'];
  const given = typeof sectorUri === 'string' ? sectorUri : JSON.stringify(sectorUri);
  const url = typeof sectorUri === 'string' ? URL.parse(sectorUri) : null;
  if (!url || url.protocol !== 'https:') return [`--sector-identifier-uri ${given} must be an absolute https URL`];
  if (url.hash || given.includes('#')) return [`--sector-identifier-uri ${given} must not contain a fragment`];
  return [];
}

/**
 * A pairwise app's back-channel logout tokens carry the `sub` of its sector, and they go to its
 * backchannel_logout_uri, not to a redirect URI: an app registered with another owner's redirect
 * URIs (nobody proves they own one) and its own logout URI would be sent that owner's `sub`s. So
 * the logout URI must be on a host the sector is made of: a redirect URI's, the sector
 * document's, or (an app with no redirect URI) its jwks_uri's.
 */
function pairwiseLogoutProblems(metadata: Readonly<Record<string, unknown>>, redirectUris: readonly string[]): string[] {
  const logoutUri = metadata.backchannel_logout_uri;
  if (metadata.subject_type !== 'pairwise' || typeof logoutUri !== 'string') return [];
  const hostname = (value: unknown) => (typeof value === 'string' ? URL.parse(value)?.hostname : undefined);
  const sectorHosts = new Set(
    [...redirectUris, metadata.sector_identifier_uri, ...(redirectUris.length === 0 ? [metadata.jwks_uri] : [])].map(hostname).filter(Boolean),
  );
  const logoutHost = hostname(logoutUri);
  if (logoutHost && sectorHosts.has(logoutHost)) return [];
  return [
    `--backchannel-logout-uri ${logoutUri} of a pairwise app must be on the host of one of its redirect URIs (${[...sectorHosts].join(', ') || 'none'}): ` +
      "its logout tokens carry the 'sub' of that sector",
  ];
}

/** Why the OIDC options in `metadata` (the client's whole metadata after a change) cannot be stored, if they cannot. */
export function oidcOptionProblems(metadata: Readonly<Record<string, unknown>>, isPublic: boolean, redirectUris: readonly string[] = []): string[] {
  const problems: string[] = [];
  const method = metadata.token_endpoint_auth_method;
  if (method !== undefined && !CLIENT_AUTH_METHODS.includes(method as never)) {
    problems.push(`--token-endpoint-auth-method must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  } else if (isPublic && method !== undefined && method !== 'none') {
    problems.push(
      `--token-endpoint-auth-method ${JSON.stringify(method)} needs a client secret or keys, and a public client has neither: use none (or leave it out)`,
    );
  } else if (!isPublic && method === 'none') {
    problems.push('--token-endpoint-auth-method none is for public clients: register the app with --public instead');
  }
  if (method === 'private_key_jwt' && metadata.jwks === undefined && metadata.jwks_uri === undefined) {
    problems.push("private_key_jwt needs the client's public keys: give --jwks-uri URL or --jwks FILE|JSON");
  }
  if (metadata.jwks !== undefined && metadata.jwks_uri !== undefined) problems.push('give either --jwks or --jwks-uri, not both');
  for (const key of ['jwks_uri', 'backchannel_logout_uri', 'frontchannel_logout_uri']) {
    const problem = metadata[key] === undefined ? undefined : webUriProblem(metadata[key]);
    if (problem) problems.push(`${FLAG_OF[key]} ${String(metadata[key])} ${problem}`);
  }
  const jwks = metadata.jwks === undefined ? undefined : jwksProblem(metadata.jwks);
  if (jwks) problems.push(`--jwks ${jwks}`);
  const alg = metadata.id_token_signed_response_alg;
  if (alg !== undefined && !ID_TOKEN_SIGNING_ALGS.includes(alg as never)) {
    problems.push(`--id-token-signed-response-alg must be one of ${ID_TOKEN_SIGNING_ALGS.join(', ')}`);
  }
  const grantTypes = metadata.grant_types;
  if (grantTypes !== undefined && (!Array.isArray(grantTypes) || grantTypes.some((grant) => !APP_GRANT_TYPES.includes(grant as never)))) {
    problems.push(`grant_types must list only ${APP_GRANT_TYPES.join(', ')} (--device-flow sets them)`);
  }
  if (metadata.backchannel_logout_session_required !== undefined && typeof metadata.backchannel_logout_session_required !== 'boolean') {
    problems.push('backchannel_logout_session_required must be true or false');
  }
  problems.push(...subjectTypeProblems(metadata, redirectUris), ...pairwiseLogoutProblems(metadata, redirectUris));
  problems.push(...highSecurityProblems(metadata, isPublic));
  return problems;
}

/** PAR, DPoP and JAR options (docs/high-security.md): flags that are true or false, and an algorithm the app can sign with. */
function highSecurityProblems(metadata: Readonly<Record<string, unknown>>, isPublic: boolean): string[] {
  const problems: string[] = [];
  for (const key of ['require_pushed_authorization_requests', 'dpop_bound_access_tokens']) {
    if (metadata[key] !== undefined && typeof metadata[key] !== 'boolean') problems.push(`${key} (${FLAG_OF[key]}) must be true or false`);
  }
  const alg = metadata.request_object_signing_alg;
  if (alg === undefined) return problems;
  if (alg === 'none') {
    problems.push('--request-object-signing-alg none would accept unsigned request objects, which anyone could write: choose a signing algorithm');
  } else if (!REQUEST_OBJECT_SIGNING_ALGS.includes(alg as never)) {
    problems.push(`--request-object-signing-alg must be one of ${REQUEST_OBJECT_SIGNING_ALGS.join(', ')}`);
  } else if (alg === 'HS256' && (isPublic || metadata.token_endpoint_auth_method === 'private_key_jwt')) {
    problems.push(
      '--request-object-signing-alg HS256 signs with the client secret, and this app has none: choose RS256, PS256, ES256, EdDSA or Ed25519 with its keys',
    );
  } else if (alg !== 'HS256' && metadata.jwks === undefined && metadata.jwks_uri === undefined) {
    problems.push(`--request-object-signing-alg ${alg as string} needs the app's public keys: give --jwks-uri URL or --jwks FILE|JSON`);
  }
  return problems;
}

/** The flags as given on the command line (parseArgs values). */
export interface OidcFlags {
  readonly 'token-endpoint-auth-method'?: string;
  readonly 'jwks-uri'?: string;
  readonly jwks?: string;
  readonly 'id-token-signed-response-alg'?: string;
  readonly 'backchannel-logout-uri'?: string;
  readonly 'backchannel-logout-session-required'?: boolean;
  readonly 'no-backchannel-logout-session-required'?: boolean;
  readonly 'frontchannel-logout-uri'?: string;
  readonly 'subject-type'?: string;
  readonly 'sector-identifier-uri'?: string;
  readonly 'require-par'?: boolean;
  readonly 'no-require-par'?: boolean;
  readonly 'require-dpop'?: boolean;
  readonly 'no-require-dpop'?: boolean;
  readonly 'request-object-signing-alg'?: string;
}

/** `--jwks` is a JSON document or the path of a file holding one. */
function readJwks(value: string): unknown {
  const text = value.trimStart().startsWith('{') ? value : readFile(value);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('--jwks must be a JSON Web Key Set, or the path of a file holding one');
  }
}

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`--jwks ${file}: no such file (give a file holding a JWKS, or the JWKS itself as JSON)`);
  }
}

/**
 * Metadata changes for the flags given (a flag left out changes nothing). Giving --jwks removes a
 * stored jwks_uri and the other way round, since a client has one source of keys.
 */
export function oidcMetadataFromFlags(flags: OidcFlags): Record<string, unknown> {
  if (flags['backchannel-logout-session-required'] && flags['no-backchannel-logout-session-required']) {
    throw new Error('--backchannel-logout-session-required and --no-backchannel-logout-session-required contradict each other');
  }
  if (flags.jwks !== undefined && flags['jwks-uri'] !== undefined) throw new Error('give either --jwks or --jwks-uri, not both');
  const changes: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) changes[key] = value;
  };
  set('token_endpoint_auth_method', flags['token-endpoint-auth-method']);
  if (flags['jwks-uri'] !== undefined) Object.assign(changes, { jwks_uri: flags['jwks-uri'], jwks: null });
  if (flags.jwks !== undefined) Object.assign(changes, { jwks: readJwks(flags.jwks), jwks_uri: null });
  set('id_token_signed_response_alg', flags['id-token-signed-response-alg']);
  set('backchannel_logout_uri', flags['backchannel-logout-uri']);
  set(
    'backchannel_logout_session_required',
    flags['backchannel-logout-session-required'] ? true : flags['no-backchannel-logout-session-required'] ? false : undefined,
  );
  set('frontchannel_logout_uri', flags['frontchannel-logout-uri']);
  // `--subject-type public` stores nothing (public is every app's default); an empty sector URI removes it.
  // A public app has no sector, so --subject-type public also removes a sector URI no flag sets.
  if (flags['subject-type'] !== undefined) changes.subject_type = flags['subject-type'] === 'public' ? null : flags['subject-type'];
  const sectorUri = flags['sector-identifier-uri'] ?? (flags['subject-type'] === 'public' ? '' : undefined);
  if (sectorUri !== undefined) changes.sector_identifier_uri = sectorUri === '' ? null : sectorUri;
  Object.assign(changes, highSecurityChanges(flags));
  return changes;
}

/** --require-par, --require-dpop (each with its --no- form) and --request-object-signing-alg (empty: removed). */
function highSecurityChanges(flags: OidcFlags): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const [flag, key] of [
    ['require-par', 'require_pushed_authorization_requests'],
    ['require-dpop', 'dpop_bound_access_tokens'],
  ] as const) {
    const on = flags[flag];
    const off = flags[`no-${flag}`];
    if (on && off) throw new Error(`--${flag} and --no-${flag} contradict each other`);
    if (on || off) changes[key] = Boolean(on);
  }
  const alg = flags['request-object-signing-alg'];
  if (alg !== undefined) changes.request_object_signing_alg = alg === '' ? null : alg;
  return changes;
}
