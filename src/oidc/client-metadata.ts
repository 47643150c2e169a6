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
  return {
    ...base,
    token_endpoint_auth_method: 'client_secret_basic',
    client_secret: deriveClientSecret(serverSecret, client.clientId, client.secretSalt),
  };
}
