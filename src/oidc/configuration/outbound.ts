// oidc-provider's own outgoing requests: fetching a client's jwks_uri and posting back-channel
// logout tokens. Its default dispatcher refuses loopback, private and other special-use
// addresses (SSRF protection). OUTBOUND_ALLOW_LOOPBACK=true (tests and local development, only
// with a loopback ISSUER) lets a request whose URL names a loopback host literally go out without
// that dispatcher; every other address keeps the protection.
import type { Configuration } from 'oidc-provider';
import { isLoopbackHost } from '../../kernel/loopback.js';

const urlOf = (input: string | URL | Request): URL | undefined =>
  URL.parse(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url) ?? undefined;

export function outboundConfiguration({ outboundAllowLoopback }: { readonly outboundAllowLoopback: boolean }): Pick<Configuration, 'fetch'> {
  return {
    fetch: (input, init) => {
      const url = urlOf(input);
      if (outboundAllowLoopback && url && isLoopbackHost(url.hostname) && init) {
        // Without oidc-provider's SSRF-guarding dispatcher: the default one connects to loopback.
        return globalThis.fetch(input, { ...init, dispatcher: undefined });
      }
      return globalThis.fetch(input, init);
    },
  };
}
