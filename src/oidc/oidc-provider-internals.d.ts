// The one module of oidc-provider's insides linkid calls (src/oidc/provider-keystore.ts says why).
declare module 'oidc-provider/lib/helpers/initialize_keystore.js' {
  import type Provider from 'oidc-provider';

  export default function initializeKeystore(this: Provider, jwks: { keys: unknown[] }): void;
}
