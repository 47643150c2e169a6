// A retired signing key leaves /jwks once LONGEST_SIGNED_JWT_SECONDS (and a margin) have passed
// since it last signed. If a lifetime of something linkid signs grows past it, tokens would fail
// to verify before they expire: this holds the constant to the lifetimes actually configured.
import { describe, expect, it } from 'vitest';
import { LONGEST_SIGNED_JWT_SECONDS, ttlConfiguration } from '../../src/oidc/configuration/ttl.js';

describe('LONGEST_SIGNED_JWT_SECONDS', () => {
  it('is at least the lifetime of every JWT linkid signs (ID tokens, access tokens, logout tokens)', () => {
    // The longest admin API token ADMIN_API_TOKEN_TTL_SECONDS allows: opaque today, a JWT once it has an audience.
    const { ttl } = ttlConfiguration({ sessionIdleSeconds: 86_400, sessionAbsoluteSeconds: 30 * 86_400, adminApiTokenTtlSeconds: 3600 });
    for (const kind of ['IdToken', 'AccessToken', 'ClientCredentials'] as const) {
      const lifetime = ttl?.[kind];
      expect(typeof lifetime, kind).toBe('number');
      expect(lifetime as number, kind).toBeLessThanOrEqual(LONGEST_SIGNED_JWT_SECONDS);
    }
    // oidc-provider signs logout tokens for 120 seconds.
    expect(LONGEST_SIGNED_JWT_SECONDS).toBeGreaterThanOrEqual(120);
  });
});
