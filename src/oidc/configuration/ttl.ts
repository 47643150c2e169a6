// Lifetimes, in seconds. Short for anything bearer-like; the SSO session ends after an idle
// period without sign-in activity and at the latest an absolute time after the login itself.
import type { Configuration } from 'oidc-provider';

const MINUTE = 60;
const HOUR = 60 * MINUTE;

const ID_TOKEN_SECONDS = HOUR;
const ACCESS_TOKEN_SECONDS = HOUR;
/** oidc-provider signs a back-channel logout token for 120 seconds (lib/models/id_token.js). */
const LOGOUT_TOKEN_SECONDS = 2 * MINUTE;

/** How long an API's access tokens may live (`resource create --ttl`): JWTs nobody can revoke, so short. */
export const RESOURCE_TOKEN_SECONDS = { min: MINUTE, default: 10 * MINUTE, max: HOUR } as const;

/**
 * The longest a JWT linkid signs may still be checked against its key after it was signed: ID
 * tokens, logout tokens, and the JWT access tokens of APIs (at most RESOURCE_TOKEN_SECONDS.max). Userinfo and introspection
 * JWTs carry no `exp` and are checked as they arrive. A signing key stays in /jwks at least this
 * long after it last signed (src/oidc/signing-keys.ts); test/unit/ttl.test.ts holds it to the table below.
 */
export const LONGEST_SIGNED_JWT_SECONDS = Math.max(ID_TOKEN_SECONDS, ACCESS_TOKEN_SECONDS, LOGOUT_TOKEN_SECONDS, RESOURCE_TOKEN_SECONDS.max);

export interface SessionLifetimes {
  readonly sessionIdleSeconds: number;
  readonly sessionAbsoluteSeconds: number;
  /** ADMIN_API_TOKEN_TTL_SECONDS: client-credentials tokens without a resource are the admin API's (client-credentials.ts). */
  readonly adminApiTokenTtlSeconds: number;
}

export function ttlConfiguration({ sessionIdleSeconds, sessionAbsoluteSeconds, adminApiTokenTtlSeconds }: SessionLifetimes): Pick<Configuration, 'ttl'> {
  return {
    ttl: {
      // A token for an API lives that API's TTL (resource create --ttl; configuration/resources.ts).
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ACCESS_TOKEN_SECONDS,
      AuthorizationCode: MINUTE,
      // A service client asks for a token per run of its script: a leaked one is good for minutes.
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? adminApiTokenTtlSeconds,
      IdToken: ID_TOKEN_SECONDS,
      Interaction: HOUR,
      // Recomputed each time the session is saved (every sign-in and every app it signs in to).
      Session: (_ctx, session) => {
        // A session nobody signed in to holds only a form's one-time value (oidc-provider makes
        // one for every GET of /device, a scanner's included): an hour, not the SSO lifetime.
        if (!session.accountId) return Math.min(HOUR, sessionIdleSeconds);
        const loginTs = typeof session.loginTs === 'number' ? session.loginTs : Math.floor(Date.now() / 1000);
        const absoluteLeft = loginTs + sessionAbsoluteSeconds - Math.floor(Date.now() / 1000);
        return Math.max(1, Math.min(sessionIdleSeconds, absoluteLeft));
      },
      // RFC 8628: how long a device's user code may wait to be typed in and approved.
      DeviceCode: 10 * MINUTE,
      Grant: sessionAbsoluteSeconds,
      RefreshToken: sessionAbsoluteSeconds,
    },
  };
}
