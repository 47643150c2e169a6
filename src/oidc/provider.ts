// Builds the oidc-provider instance from explicit dependencies. Every development default is
// overridden: adapter, keys, cookie keys, account lookup, interactions, error pages.
import Provider, { type Configuration } from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { Config } from '../config/env.js';
import type { Secrets } from '../secrets/key-files.js';
import type { Store } from '../store/port.js';
import { createFindAccount } from './account.js';
import { createAdapterFactory } from './adapter.js';
import { loginPromptWithAppAccess } from './app-access.js';
import { claimsConfiguration } from './configuration/claims.js';
import { featuresConfiguration } from './configuration/features.js';
import { flowPath } from '../login/flow-paths.js';
import { pagesConfiguration, type RenderPage } from './configuration/pages.js';
import { ttlConfiguration } from './configuration/ttl.js';

export interface ProviderDeps {
  readonly config: Config;
  readonly store: Store;
  readonly clock: Clock;
  readonly secrets: Secrets;
  /** Renders oidc-provider's own pages (errors, logout) with our views. */
  readonly renderPage: RenderPage;
}

export function createProvider({ config, store, clock, secrets, renderPage }: ProviderDeps): Provider {
  const pageConfig = pagesConfiguration(renderPage);
  const https = config.issuer.startsWith('https:');
  const configuration: Configuration = {
    ...claimsConfiguration,
    ...ttlConfiguration(config),
    ...featuresConfiguration,
    ...pageConfig,
    features: { ...featuresConfiguration.features, ...pageConfig.features } as Configuration['features'],
    adapter: createAdapterFactory(store, clock, secrets.serverSecret),
    findAccount: createFindAccount(store),
    jwks: secrets.signingKeys,
    cookies: {
      keys: secrets.cookieKeys,
      // Over https the session cookie is __Host- (this origin only, Path=/); interaction cookies are
      // path-scoped, so the most they can be is __Secure-.
      names: https
        ? { session: '__Host-linkid-session', interaction: '__Secure-linkid-interaction', resume: '__Secure-linkid-resume' }
        : { session: 'linkid-session', interaction: 'linkid-interaction', resume: 'linkid-resume' },
      long: { signed: true, httpOnly: true, sameSite: 'lax', secure: https },
      short: { signed: true, httpOnly: true, sameSite: 'lax', secure: https },
    },
    interactions: {
      url: async (_ctx, interaction) => flowPath('interaction', interaction.uid),
      policy: loginPromptWithAppAccess(store, config.signup),
    },
  };
  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;
  // Behind a proxy, take the client address the nearest proxy saw (the last X-Forwarded-For
  // entry), not the first one, which the client itself can write.
  provider.maxIpsCount = 1;
  return provider;
}
