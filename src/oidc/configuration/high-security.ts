// The building blocks high-security apps (FAPI 2.0 profiles, banks, health apps) need, each an
// oidc-provider feature configured here and nowhere else:
// - pushed authorization requests (RFC 9126): always offered; REQUIRE_PAR makes every app use
//   them, `client create --require-par` one app (require_pushed_authorization_requests). REQUIRE_PAR
//   is applied to the apps in the store, not through oidc-provider's global switch, which would
//   hold linkid's own account client (account-client.ts) to it too and so break the account page
//   and the admin console, whose sign-ins are plain requests from the server itself;
// - DPoP (RFC 9449): sender-constrained tokens with ES256 or EdDSA proofs; `--require-dpop`
//   (dpop_bound_access_tokens) makes an app's tokens always bound;
// - signed request objects (JAR, RFC 9101) for apps that registered request_object_signing_alg.
import type { Adapter, AdapterFactory, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { deriveKey } from '../../secrets/sealing.js';

/**
 * DPoP proof algorithms (RFC 9449 §5.1 dpop_signing_alg_values_supported): P-256 and Ed25519 keys,
 * what browsers and phones sign with. An Ed25519 proof names its alg `EdDSA` or, from libraries that
 * follow RFC 9864's fully-specified names (openid-client 6 does), `Ed25519`: both are accepted.
 */
export const DPOP_SIGNING_ALGS = ['ES256', 'EdDSA', 'Ed25519'] as const;

/**
 * Algorithms an app may sign its request objects with. HS256 signs with the client secret, so only
 * an app that has one may choose it (client-oidc-options.ts); `none` (an unsigned request object)
 * is never accepted: anyone could have written it. An Ed25519 key signs as `EdDSA` or, with
 * RFC 9864's fully-specified name, `Ed25519` (openid-client 6): the app registers the one it sends.
 */
export const REQUEST_OBJECT_SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'HS256'] as const;

export interface HighSecurityOptions {
  /** REQUIRE_PAR: every app must push its authorization requests. */
  readonly requirePar: boolean;
  readonly serverSecret: Buffer;
}

/** The client as oidc-provider hands it to assertJwtClaimsAndHeader (its camel-cased metadata). */
type ClientWithAlg = { requestObjectSigningAlg?: string };

/**
 * RFC 9101 leaves to the server which request objects it accepts. linkid accepts one only from an
 * app that registered its algorithm (so an app that never asked for JAR cannot be sent one that
 * overrides its query), and only with an `exp` (a signed request without one would stay usable
 * forever to whoever copied it). A request pushed to /request was checked when it was pushed.
 */
async function assertRequestObject(ctx: KoaContextWithOIDC, claims: Record<string, unknown>, _header: unknown, client: ClientWithAlg): Promise<void> {
  if (ctx.oidc.route === 'authorization' && 'PushedAuthorizationRequest' in ctx.oidc.entities) return;
  if (!client.requestObjectSigningAlg) {
    throw new errors.InvalidRequestObject('this app did not register request_object_signing_alg, so it may not send request objects');
  }
  if (typeof claims.exp !== 'number') throw new errors.InvalidRequestObject("Request Object is missing the 'exp' claim");
}

function everyAppPushes(factory: AdapterFactory): AdapterFactory {
  return (name: string): Adapter => {
    const adapter = factory(name);
    if (name !== 'Client') return adapter;
    return Object.assign(Object.create(adapter) as Adapter, {
      async find(id: string) {
        const metadata = await adapter.find(id);
        return metadata && { ...metadata, require_pushed_authorization_requests: true };
      },
    });
  };
}

export function highSecurityConfiguration({ requirePar, serverSecret }: HighSecurityOptions) {
  return {
    features: {
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false, allowUnregisteredRedirectUris: false },
      dPoP: {
        enabled: true,
        // Nonces (RFC 9449 §8) are offered on every DPoP answer and checked statelessly: each is an
        // HMAC of the time step under this key, derived from the server secret, so every worker and
        // instance issues and accepts the same ones without sharing state or a key file. They are
        // not required: a proof's iat must then be within 5 minutes and its jti unseen, which
        // bounds a stolen proof as well as a nonce would for one request, and requiring them costs
        // every app a refused first call on every endpoint.
        nonceSecret: deriveKey(serverSecret, 'dpop-nonce'),
        requireNonce: () => false,
        allowReplay: false,
      },
      requestObjects: { enabled: true, requireSignedRequestObject: false, assertJwtClaimsAndHeader: assertRequestObject },
    } satisfies Configuration['features'],
    /** REQUIRE_PAR: every app oidc-provider loads from the store must push its requests (see the top of the file). */
    adapter: (factory: AdapterFactory): AdapterFactory => (requirePar ? everyAppPushes(factory) : factory),
    enabledJWA: {
      dPoPSigningAlgValues: [...DPOP_SIGNING_ALGS],
      requestObjectSigningAlgValues: [...REQUEST_OBJECT_SIGNING_ALGS],
    } satisfies Configuration['enabledJWA'],
  };
}
