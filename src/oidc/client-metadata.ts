// Turns a stored client into the metadata oidc-provider validates. The client secret is not
// stored: it is HMAC(server secret, client id + salt), derived here. A database dump alone
// yields no usable secret, and rotating the salt rotates the secret.
import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { ClientRecord } from '../store/port.js';
import { APP_SCOPES } from '../login/app-policy.js';
import { CLIENT_CREDENTIALS_GRANT, clientCredentialsScopes, isServiceClient } from './client-credentials.js';
import { introspectedResourceOf } from './configuration/resources.js';

export const newSecretSalt = (): string => randomBytes(16).toString('base64url');

/** RFC 8628's grant type: an app registered with --device-flow may use the device authorization grant. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Whether the app may use the device authorization grant (its stored `grant_types` names it). */
export const usesDeviceFlow = (client: Pick<ClientRecord, 'metadata'>): boolean =>
  Array.isArray(client.metadata.grant_types) && client.metadata.grant_types.includes(DEVICE_CODE_GRANT);

/**
 * The grants an app may use: the authorization code when it has somewhere to send one (a redirect
 * URI), the device grant when it was registered for it, and refresh tokens for either. A service
 * client (of the admin API, or of APIs) signs nobody in: client credentials only
 * (client-credentials.ts). An API's introspection client has no grant at all.
 */
export function grantTypesOf(client: Pick<ClientRecord, 'metadata' | 'redirectUris'> & Partial<Pick<ClientRecord, 'settings'>>): string[] {
  if (isServiceClient(client)) return [CLIENT_CREDENTIALS_GRANT];
  if (introspectedResourceOf(client) !== undefined) return [];
  return [...(client.redirectUris.length > 0 ? ['authorization_code'] : []), ...(usesDeviceFlow(client) ? [DEVICE_CODE_GRANT] : []), 'refresh_token'];
}

/**
 * Derived secrets per server secret, by client id, with the salt each was derived from. oidc-provider
 * looks a client up several times per request (client authentication, the token's own client), and
 * each look-up used to cost an HMAC with a raw key (about 10 µs). The store is still read on every
 * look-up, so a salt rotated by any process (the admin CLI) is seen at the next request: a new salt
 * misses and replaces the entry, and the old secret stops working at once.
 */
interface DerivedSecrets {
  readonly key: KeyObject;
  readonly byClient: Map<string, { readonly salt: string; readonly secret: string }>;
}
const derivedSecrets = new WeakMap<Buffer, DerivedSecrets>();
/** More registered clients than this and the cache starts over (it only saves work). */
const MAX_CACHED_SECRETS = 10_000;

export function deriveClientSecret(serverSecret: Buffer, clientId: string, secretSalt: string): string {
  let derived = derivedSecrets.get(serverSecret);
  if (!derived) {
    derived = { key: createSecretKey(serverSecret), byClient: new Map() };
    derivedSecrets.set(serverSecret, derived);
  }
  const cached = derived.byClient.get(clientId);
  if (cached?.salt === secretSalt) return cached.secret;
  const secret = createHmac('sha256', derived.key).update(`client-secret\0${clientId}\0${secretSalt}`).digest('base64url');
  if (derived.byClient.size >= MAX_CACHED_SECRETS) derived.byClient.clear();
  derived.byClient.set(clientId, { salt: secretSalt, secret });
  return secret;
}

/**
 * What a client may ask for of linkid's own scopes: an app the scopes of apps (or fewer, with
 * --scope), never linkid:admin; a service client of the admin API linkid:admin. A service client of
 * APIs and an API's introspection client none (undefined: oidc-provider takes no empty scope): the
 * first gets only its APIs' scopes through their resources, the second has no grant.
 */
function scopeOf(client: ClientRecord): string | undefined {
  if (isServiceClient(client) || introspectedResourceOf(client) !== undefined) return clientCredentialsScopes(client).join(' ') || undefined;
  return typeof client.metadata.scope === 'string' ? client.metadata.scope : APP_SCOPES.join(' ');
}

export function toOidcClientMetadata(client: ClientRecord, serverSecret: Buffer): Record<string, unknown> {
  const base = {
    // Standard metadata stored with the client (validated by oidc-provider); the fields below are
    // linkid's decisions and always win.
    ...client.metadata,
    client_id: client.clientId,
    client_name: client.name,
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    grant_types: grantTypesOf(client),
    response_types: client.redirectUris.length > 0 ? ['code'] : [],
    require_auth_time: true,
    scope: scopeOf(client),
    // RFC 7591 §3.2.1: when the client id was issued; with a secret, when it expires (0: never).
    client_id_issued_at: Math.floor(client.createdAt / 1000),
  };
  if (client.isPublic || !client.secretSalt) return { ...base, token_endpoint_auth_method: 'none' };
  // The method chosen with --token-endpoint-auth-method (client_secret_basic unless one was).
  // private_key_jwt authenticates with the client's own keys (jwks or jwks_uri): no secret exists
  // for it, so none is derived or handed to oidc-provider.
  const method = typeof client.metadata.token_endpoint_auth_method === 'string' ? client.metadata.token_endpoint_auth_method : 'client_secret_basic';
  if (method === 'private_key_jwt') return { ...base, token_endpoint_auth_method: method };
  return {
    ...base,
    token_endpoint_auth_method: method,
    client_secret: deriveClientSecret(serverSecret, client.clientId, client.secretSalt),
    client_secret_expires_at: 0,
  };
}
