// The OAuth/OIDC surface: authorization code with PKCE S256 only, refresh tokens with rotation,
// userinfo, revocation, introspection, RP-initiated and back-channel logout, every common client
// authentication method. No development shortcuts.
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

type ClientLike = { clientAuthMethod: string; redirectUris: string[] };

/** How a client may authenticate at the token endpoint; chosen per client (token_endpoint_auth_method). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'] as const;

/** Algorithms a client may ask its ID tokens to be signed with, when linkid holds a key for them. */
export const ID_TOKEN_SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type IdTokenSigningAlg = (typeof ID_TOKEN_SIGNING_ALGS)[number];

/** Whether a token may still be used by its app (src/oidc/token-policy.ts). */
type StillFits = (
  ctx: KoaContextWithOIDC,
  token: { kind: string; clientId?: string; accountId?: string; scopes?: ReadonlySet<string>; grantId?: string; authTime?: number },
) => Promise<boolean>;

/** The audience (an API's identifier) whose tokens a client may introspect, if it is such a client (configuration/resources.ts). */
type IntrospectedAudience = (clientId: string) => Promise<string | undefined>;

/** Refuses a refresh, by throwing oidc-provider's error, before its refresh token is spent (configuration/resources.ts). */
type BeforeRotation = (ctx: KoaContextWithOIDC) => Promise<void>;

/**
 * `algs`: the ID token algorithms linkid has a key for, so discovery advertises exactly what works.
 * `stillFits`: introspection answers `active: false` for a token its app's policy no longer admits.
 * `introspectedAudience`: an API's introspection client may introspect its API's tokens as well.
 * `beforeRotation`: runs just before a refresh token is spent, and may still refuse the refresh.
 */
export const featuresConfiguration = (
  algs: readonly IdTokenSigningAlg[],
  stillFits: StillFits,
  introspectedAudience: IntrospectedAudience,
  beforeRotation: BeforeRotation,
): Configuration => ({
  responseTypes: ['code'],
  pkce: { required: () => true },
  clientAuthMethods: [...CLIENT_AUTH_METHODS],
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    // A client may revoke only tokens issued to itself, and introspect those and, for an API's
    // introspection client (resource create --introspect), the tokens whose audience is that API.
    revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
    introspection: {
      enabled: true,
      allowedPolicy: async (ctx, client, token) =>
        (token.clientId === client.clientId ||
          ('aud' in token && typeof token.aud === 'string' && token.aud === (await introspectedAudience(client.clientId)))) &&
        (await stillFits(ctx, token)),
    },
    rpInitiatedLogout: { enabled: true },
    // OpenID Connect Back-Channel Logout 1.0: a logout posts a logout token to each app of the
    // session that registered a backchannel_logout_uri (src/oidc/backchannel-delivery.ts retries).
    backchannelLogout: { enabled: true },
    // RFC 6749 §4.4, for service clients only (src/oidc/client-credentials.ts says who and for what).
    clientCredentials: { enabled: true },
    registration: { enabled: false },
  },
  enabledJWA: {
    idTokenSigningAlgValues: [...algs],
    userinfoSigningAlgValues: ['RS256', 'ES256'],
    introspectionSigningAlgValues: ['RS256', 'ES256'],
    // client_secret_jwt (HMAC with the client secret) and private_key_jwt (the client's own keys).
    clientAuthSigningAlgValues: ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'],
  },
  // RFC 9207: clients can check which issuer answered.
  // (oidc-provider adds `iss` to every authorization response by default.)
  // Every refresh rotates its refresh token (a replayed one revokes the grant, adapter.ts).
  rotateRefreshToken: async (ctx) => {
    await beforeRotation(ctx);
    return true;
  },
  issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  // Browser apps may call the token, userinfo and revocation endpoints from the origins of their
  // own redirect URIs, and from nowhere else.
  clientBasedCORS: (_ctx: KoaContextWithOIDC, origin: string, client: unknown) =>
    origin !== 'null' && (client as ClientLike).redirectUris.some((uri) => URL.parse(uri)?.origin === origin),
});
