// Who may use the client-credentials grant (RFC 6749 §4.4), and for what: the one place that says
// so. Rules:
// - only a service client made with `linkid-admin client create --admin-api` has the grant
//   (grantTypesOf in client-metadata.ts gives it `client_credentials` and nothing else); every
//   other client is refused it at the token endpoint;
// - its registered `scope` is exactly what it may be given (`linkid:admin`): oidc-provider refuses
//   any other of its scopes (invalid_scope) and drops words that are none of its scopes;
// - every other client is registered with the scopes an app may ask for (APP_SCOPES) unless it
//   names fewer, so an authorization request for `linkid:admin` is refused (invalid_scope) and no
//   consent or grant ever carries it: it exists only on client-credentials tokens.
// - a service client made with `client create --grant-type client_credentials --resource ID` has
//   the grant too, and nothing else, for the APIs it was allowed (settings.resources): it is
//   registered with no scope of linkid's own, so a request without a resource is refused
//   (invalid_target, configuration/resources.ts) and its tokens carry only its APIs' scopes,
//   filtered by oidc-provider against the resource's scopes.
import { createHash } from 'node:crypto';
import type { ClientRecord } from '../store/port.js';

/** The scope of the admin API (/admin/api/). */
export const ADMIN_API_SCOPE = 'linkid:admin';

export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

/** Scopes only the client-credentials grant gives (oidc-provider must know them as its own, or it drops them). */
export const CLIENT_CREDENTIALS_SCOPES = [ADMIN_API_SCOPE] as const;

/** A service client of the admin API: made with `client create --admin-api` (kept in its settings). */
export const isAdminApiClient = (client: Partial<Pick<ClientRecord, 'settings'>>): boolean => client.settings?.admin_api === true;

/** A service client of APIs: made with `client create --grant-type client_credentials` (kept in its settings). */
export const isResourceServiceClient = (client: Partial<Pick<ClientRecord, 'settings'>>): boolean => client.settings?.client_credentials === true;

/** Whether `client` may use the client-credentials grant, and nothing else. */
export const isServiceClient = (client: Partial<Pick<ClientRecord, 'settings'>>): boolean => isAdminApiClient(client) || isResourceServiceClient(client);

/**
 * The scopes of linkid's own `client` may be given by the client-credentials grant (a resource
 * service client gets its APIs' scopes through the resource, never these).
 */
export function clientCredentialsScopes(client: Partial<Pick<ClientRecord, 'settings'>>): readonly string[] {
  return isAdminApiClient(client) ? [ADMIN_API_SCOPE] : [];
}

/**
 * The claim that ties a client-credentials token to the credentials it was got with, so rotating
 * a service client's secret (or changing how it authenticates: method, keys) ends the tokens a
 * leaked secret already bought, not only the secret. Stored with the opaque token (oidc-provider's
 * extraTokenClaims), compared by the admin API's bearer check.
 */
export const CREDENTIALS_CLAIM = 'linkid_credentials';

/** A digest of what the client authenticates with: its secret's salt (never the secret), method and keys. */
export function credentialsGeneration(client: Pick<ClientRecord, 'secretSalt' | 'metadata'>): string {
  const { token_endpoint_auth_method: method, jwks, jwks_uri: jwksUri } = client.metadata;
  return createHash('sha256')
    .update(JSON.stringify([client.secretSalt ?? null, method ?? null, jwks ?? null, jwksUri ?? null]))
    .digest('base64url')
    .slice(0, 22);
}
