// Turns a stored client into the metadata oidc-provider validates. The client secret is not
// stored: it is HMAC(server secret, client id + salt), recomputed here. A database dump alone
// yields no usable secret, and rotating the salt rotates the secret.
import { createHmac, randomBytes } from 'node:crypto';
import type { ClientRecord } from '../store/port.js';

export const newSecretSalt = (): string => randomBytes(16).toString('base64url');

export function deriveClientSecret(serverSecret: Buffer, clientId: string, secretSalt: string): string {
  return createHmac('sha256', serverSecret).update(`client-secret\0${clientId}\0${secretSalt}`).digest('base64url');
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
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    require_auth_time: true,
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
  };
}
