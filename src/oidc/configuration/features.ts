// The OAuth/OIDC surface: authorization code with PKCE S256 only, refresh tokens with rotation,
// userinfo, revocation, introspection, RP-initiated logout. No development shortcuts.
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

type ClientLike = { clientAuthMethod: string; redirectUris: string[] };

export const featuresConfiguration: Configuration = {
  responseTypes: ['code'],
  pkce: { required: () => true },
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    // A client may introspect and revoke only tokens issued to itself: linkid has no separate
    // resource servers that would need to look into other clients' tokens.
    revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
    introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
    rpInitiatedLogout: { enabled: true },
    registration: { enabled: false },
  },
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256', 'ES256'],
    userinfoSigningAlgValues: ['RS256', 'ES256'],
    introspectionSigningAlgValues: ['RS256', 'ES256'],
  },
  // RFC 9207: clients can check which issuer answered.
  // (oidc-provider adds `iss` to every authorization response by default.)
  rotateRefreshToken: () => true,
  issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  // Browser apps may call the token, userinfo and revocation endpoints from the origins of their
  // own redirect URIs, and from nowhere else.
  clientBasedCORS: (_ctx: KoaContextWithOIDC, origin: string, client: unknown) =>
    origin !== 'null' && (client as ClientLike).redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
};
