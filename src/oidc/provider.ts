// Builds the oidc-provider instance from explicit dependencies. Every development default is
// overridden: adapter, keys, cookie keys, account lookup, interactions, error pages.
import type { JWK } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import type { Audit } from '../kernel/audit.js';
import type { Clock } from '../kernel/clock.js';
import type { Decision } from '../kernel/decisions.js';
import type { Config } from '../config/env.js';
import type { Secrets } from '../secrets/key-files.js';
import type { Store } from '../store/port.js';
import { accountClientMetadata, INTENT_PARAM } from './account-client.js';
import { createFindAccount } from './account.js';
import { createAdapterFactory } from './adapter.js';
import { CREDENTIALS_CLAIM, credentialsGeneration, isAdminApiClient } from './client-credentials.js';
import { loginPromptWithAppAccess } from './app-access.js';
import { claimsConfiguration } from './configuration/claims.js';
import { deviceFlowConfiguration } from './configuration/device-flow.js';
import { discoveryConfiguration } from './configuration/discovery.js';
import { withFrontchannelSid } from './frontchannel-logout.js';
import { highSecurityConfiguration } from './configuration/high-security.js';
import { withDeviceApproval } from './device-approval.js';
import { featuresConfiguration, ID_TOKEN_SIGNING_ALGS, type IdTokenSigningAlg } from './configuration/features.js';
import { outboundConfiguration } from './configuration/outbound.js';
import { pairwiseConfiguration } from './configuration/pairwise.js';
import { introspectedAudience, refreshTargetCheck, resourceIndicatorsConfiguration } from './configuration/resources.js';
import { flowPath } from '../login/flow-paths.js';
import { registrationConfiguration, type RegistrationDeps } from './registration.js';
import { pagesConfiguration, type RenderPage, type RenderReason } from './configuration/pages.js';
import { loadExistingGrant } from './session-apps.js';
import { ttlConfiguration } from './configuration/ttl.js';
import type { TokenPolicy } from './token-policy.js';
import { createCookieSigner } from '../secrets/cookie-signer.js';

export interface ProviderDeps {
  readonly config: Config;
  readonly store: Store;
  readonly clock: Clock;
  readonly secrets: Secrets;
  /** The private JWKS to start with (src/oidc/signing-keys.ts keeps it current afterwards). */
  readonly signingKeySet: { keys: JWK[] };
  /** Renders oidc-provider's own pages (errors, logout) with our views. */
  readonly renderPage: RenderPage;
  /** Renders a reason page for the device flow's refusals (src/http/errors.ts). */
  readonly renderReason: RenderReason;
  /** Where the device flow's approvals and denials are recorded. */
  readonly audit: Audit;
  /** Spends one of an IP's guesses at device user codes (RATE_LIMIT_DEVICE_CODE_PER_IP). */
  readonly countDeviceCodeGuess: (ip: string) => Promise<Decision>;
  /** Whether a token still fits its app's policy when it is used (token-policy.ts). */
  readonly tokenPolicy: TokenPolicy;
  /** Stores what dynamic registration asks for by linkid's client rules (DYNAMIC_REGISTRATION; registration.ts). */
  readonly registration: Pick<RegistrationDeps, 'registrar' | 'newClientId'>;
}

/** The ID token algorithms a key in the set can sign with (a key's own alg, else its type's). */
function signingAlgsOf(keys: readonly JWK[]): IdTokenSigningAlg[] {
  const algOf = (key: JWK) =>
    key.alg ?? (key.kty === 'RSA' ? 'RS256' : key.kty === 'EC' && key.crv === 'P-256' ? 'ES256' : key.crv === 'Ed25519' ? 'EdDSA' : undefined);
  return ID_TOKEN_SIGNING_ALGS.filter((alg) => keys.some((key) => (key.use === undefined || key.use === 'sig') && algOf(key) === alg));
}

export function createProvider({
  config,
  store,
  clock,
  secrets,
  signingKeySet,
  renderPage,
  renderReason,
  audit,
  countDeviceCodeGuess,
  tokenPolicy,
  registration,
}: ProviderDeps): Provider {
  const pageConfig = pagesConfiguration(renderPage);
  const https = config.issuer.startsWith('https:');
  const algs = signingAlgsOf(signingKeySet.keys);
  const resourceDeps = { store, signingAlg: algs[0] ?? 'RS256' } as const;
  const features = featuresConfiguration(
    algs,
    (ctx, token) => tokenPolicy(ctx.oidc.provider, token),
    introspectedAudience(store),
    refreshTargetCheck(resourceDeps),
  );
  const highSecurity = highSecurityConfiguration({ requirePar: config.requirePar, serverSecret: secrets.serverSecret });
  const configuration: Configuration = {
    ...claimsConfiguration(config),
    ...ttlConfiguration(config),
    ...features,
    ...outboundConfiguration(config),
    ...pairwiseConfiguration(secrets.pairwiseSalt),
    ...pageConfig,
    ...discoveryConfiguration(config),
    features: {
      ...features.features,
      ...pageConfig.features,
      ...highSecurity.features,
      deviceFlow: deviceFlowConfiguration({ renderPage, renderReason, audit, countGuess: countDeviceCodeGuess }),
      ...registrationConfiguration(config.dynamicRegistration, { store, serverSecret: secrets.serverSecret, newClientId: registration.newClientId }),
      resourceIndicators: resourceIndicatorsConfiguration(resourceDeps),
    } as Configuration['features'],
    enabledJWA: { ...features.enabledJWA, ...highSecurity.enabledJWA },
    adapter: highSecurity.adapter(createAdapterFactory(store, clock, secrets.serverSecret, config.dynamicRegistration === 'off' ? undefined : registration)),
    findAccount: withFrontchannelSid(createFindAccount(store, tokenPolicy), store.clients),
    // A service client's token carries a digest of the credentials it was got with (client-credentials.ts).
    extraTokenClaims: async (_ctx, token) => {
      if (token.kind !== 'ClientCredentials' || !token.clientId) return undefined;
      const client = await store.clients.find(token.clientId);
      return client && isAdminApiClient(client) ? { [CREDENTIALS_CLAIM]: credentialsGeneration(client) } : undefined;
    },
    // Finds a session's grant without leaving an entry for an app only passed through (session-apps.ts).
    loadExistingGrant,
    jwks: signingKeySet,
    // The account page's own client (src/oidc/account-client.ts); every other client is in the store.
    clients: [accountClientMetadata(config.issuer, config.productName)],
    cookies: {
      // Keygrip's signatures, at a tenth of its cost (src/secrets/cookie-signer.ts).
      keys: createCookieSigner(secrets.cookieKeys),
      // Over https the session cookie is __Host- (this origin only, Path=/); interaction cookies are
      // path-scoped, so the most they can be is __Secure-.
      names: https
        ? { session: '__Host-linkid-session', interaction: '__Secure-linkid-interaction', resume: '__Secure-linkid-resume' }
        : { session: 'linkid-session', interaction: 'linkid-interaction', resume: 'linkid-resume' },
      long: { signed: true, httpOnly: true, sameSite: 'lax', secure: https },
      short: { signed: true, httpOnly: true, sameSite: 'lax', secure: https },
    },
    extraParams: [INTENT_PARAM],
    interactions: {
      url: async (_ctx, interaction) => flowPath('interaction', interaction.uid),
      policy: withDeviceApproval(loginPromptWithAppAccess(store, config.signup)),
    },
  };
  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;
  // Behind a proxy, take the client address the nearest proxy saw (the last X-Forwarded-For
  // entry), not the first one, which the client itself can write.
  provider.maxIpsCount = 1;
  return provider;
}
