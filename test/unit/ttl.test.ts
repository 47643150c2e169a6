// A retired signing key leaves /jwks once LONGEST_SIGNED_JWT_SECONDS (and a margin) have passed
// since it last signed. If a lifetime of something linkid signs grows past it, tokens would fail
// to verify before they expire: this holds the constant to the lifetimes actually configured.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { LONGEST_SIGNED_JWT_SECONDS, RESOURCE_TOKEN_SECONDS, ttlConfiguration } from '../../src/oidc/configuration/ttl.js';

type Lifetime = number | ((ctx: KoaContextWithOIDC, token: unknown, client: unknown) => number) | undefined;

/** A lifetime as oidc-provider reads it for `token`: a number, or what its function answers. */
const lifetimeOf = (lifetime: Lifetime, token: object) => (typeof lifetime === 'function' ? lifetime({} as KoaContextWithOIDC, token, {}) : lifetime);

describe('LONGEST_SIGNED_JWT_SECONDS', () => {
  it('is at least the lifetime of every JWT linkid signs (ID tokens, access tokens of APIs at their longest TTL, logout tokens)', () => {
    // The longest admin API token ADMIN_API_TOKEN_TTL_SECONDS allows: opaque today, a JWT once it has an audience.
    const { ttl } = ttlConfiguration({ sessionIdleSeconds: 86_400, sessionAbsoluteSeconds: 30 * 86_400, adminApiTokenTtlSeconds: 3600 });
    // An access token for no API (userinfo's), and one for an API whose resource has the longest TTL `resource create --ttl` allows.
    const tokens = [{}, { resourceServer: { accessTokenTTL: RESOURCE_TOKEN_SECONDS.max } }];
    for (const kind of ['IdToken', 'AccessToken', 'ClientCredentials'] as const) {
      for (const token of tokens) {
        const lifetime = lifetimeOf(ttl?.[kind] as Lifetime, token);
        expect(typeof lifetime, kind).toBe('number');
        expect(lifetime as number, kind).toBeLessThanOrEqual(LONGEST_SIGNED_JWT_SECONDS);
      }
    }
    // oidc-provider signs logout tokens for 120 seconds.
    expect(LONGEST_SIGNED_JWT_SECONDS).toBeGreaterThanOrEqual(120);
  });

  it("gives an API's access tokens the lifetime of its resource, and others the default", () => {
    const { ttl } = ttlConfiguration({ sessionIdleSeconds: 86_400, sessionAbsoluteSeconds: 30 * 86_400, adminApiTokenTtlSeconds: 300 });
    const forApi = { resourceServer: { accessTokenTTL: 120 } };
    expect(lifetimeOf(ttl?.AccessToken as Lifetime, forApi)).toBe(120);
    expect(lifetimeOf(ttl?.ClientCredentials as Lifetime, forApi)).toBe(120);
    expect(lifetimeOf(ttl?.AccessToken as Lifetime, {})).toBe(3600);
    expect(lifetimeOf(ttl?.ClientCredentials as Lifetime, {})).toBe(300);
  });
});
