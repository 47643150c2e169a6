// Who is calling the admin API: the service client whose bearer token (RFC 6750, in the
// Authorization header and nowhere else) this request carries. Rules:
// - the token is a client-credentials token oidc-provider issued and still holds (its own model's
//   find, so a revoked or unknown one is refused), unexpired by linkid's clock, carrying the scope
//   linkid:admin, whose client still exists and is still a service client of the admin API
//   (deleting the client ends its tokens at once, not when they expire), and whose credentials
//   are still those the token was got with (rotating the secret ends them too: a leaked secret
//   buys nothing once rotated);
// - no token, a malformed one, or one that fails any of that: 401 invalid_token with
//   `WWW-Authenticate: Bearer`; a live token of some other kind (a person's access token to an
//   app): 403 insufficient_scope;
// - cookies are never read: a browser's session is no way in, and so no cross-site request is one.
import type Provider from 'oidc-provider';
import type { Clock } from '../../kernel/clock.js';
import { ADMIN_API_SCOPE, CREDENTIALS_CLAIM, credentialsGeneration, isAdminApiClient } from '../../oidc/client-credentials.js';
import type { ClientStore } from '../../store/port.js';
import { ApiError } from './api-error.js';

const REALM = 'realm="linkid admin API"';

/** RFC 6750 §2.1 b64token, of a sane length (oidc-provider's opaque tokens are 43 characters). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]{1,512}=*)$/i;

export interface AdminApiCaller {
  /** The service client acting. */
  readonly clientId: string;
}

export interface BearerTokenDeps {
  readonly provider: Provider;
  readonly clients: Pick<ClientStore, 'find'>;
  readonly clock: Clock;
}

const quoted = (text: string) => text.replace(/["\\]/g, '');

function refused(description: string): ApiError {
  return new ApiError('invalid_token', description, undefined, {
    'WWW-Authenticate': `Bearer ${REALM}, error="invalid_token", error_description="${quoted(description)}"`,
  });
}

export function createBearerCheck({ provider, clients, clock }: BearerTokenDeps) {
  const live = (token: { exp?: number } | undefined) => token !== undefined && typeof token.exp === 'number' && token.exp * 1000 > clock.now();

  return async function callerOf(authorization: string | undefined): Promise<AdminApiCaller> {
    if (!authorization) {
      // RFC 6750 §3.1: a request with no authentication at all gets no error code in the challenge.
      throw new ApiError('invalid_token', 'send Authorization: Bearer <access token> (client credentials, scope linkid:admin)', undefined, {
        'WWW-Authenticate': `Bearer ${REALM}, scope="${ADMIN_API_SCOPE}"`,
      });
    }
    const value = BEARER.exec(authorization)?.[1];
    if (!value) throw refused('the Authorization header is not "Bearer <access token>"');
    const token = await provider.ClientCredentials.find(value);
    if (!token || !live(token)) {
      if (live(await provider.AccessToken.find(value))) {
        throw new ApiError(
          'insufficient_scope',
          `a person's access token to an app is no way in: use a service client's token with the scope ${ADMIN_API_SCOPE}`,
          undefined,
          {
            'WWW-Authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${ADMIN_API_SCOPE}"`,
          },
        );
      }
      throw refused('the access token is unknown or expired');
    }
    const client = token.clientId === undefined ? undefined : await clients.find(token.clientId);
    if (!client || !isAdminApiClient(client)) throw refused('the service client of this access token no longer exists');
    if (token.extra?.[CREDENTIALS_CLAIM] !== credentialsGeneration(client)) {
      throw refused("the service client's secret or keys changed since this access token was issued: get a new one");
    }
    if (!(token.scope ?? '').split(' ').includes(ADMIN_API_SCOPE)) {
      throw new ApiError('insufficient_scope', `the access token lacks the scope ${ADMIN_API_SCOPE}: ask for it at the token endpoint`, undefined, {
        'WWW-Authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${ADMIN_API_SCOPE}"`,
      });
    }
    return { clientId: client.clientId };
  };
}
