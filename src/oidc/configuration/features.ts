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
    revocation: { enabled: true },
    introspection: { enabled: true },
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
  issueRefreshToken: async (_ctx, client, code) =>
    client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  // Browser apps may call the token, userinfo and revocation endpoints from the origins of their
  // own redirect URIs, and from nowhere else.
  clientBasedCORS: (_ctx: KoaContextWithOIDC, origin: string, client: unknown) =>
    origin !== 'null' && (client as ClientLike).redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
};
