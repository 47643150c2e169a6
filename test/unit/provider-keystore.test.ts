// src/oidc/provider-keystore.ts reaches inside oidc-provider to change the keys of a running
// Provider. These tests pin what that relies on, on a bare Provider: the replaced set is the one
// /jwks serves (with key_ops), a key marked verify-only is published but never signs, and ID
// tokens and logout tokens alike are signed by the one signing key. If oidc-provider moves or
// changes its keystore initializer, they fail here rather than in production.
import { decodeProtectedHeader, type JWK } from 'jose';
import Provider from 'oidc-provider';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../src/secrets/key-files.js';
import { replaceSigningKeys } from '../../src/oidc/provider-keystore.js';

const client = { client_id: 'app', client_secret: 's'.repeat(43), redirect_uris: ['https://app.example/cb'], id_token_signed_response_alg: 'ES256' } as const;

async function bareProvider(keys: JWK[]) {
  const provider = new Provider('http://127.0.0.1:1', {
    jwks: { keys },
    clients: [{ ...client, redirect_uris: [...client.redirect_uris] }],
    cookies: { keys: ['k'.repeat(32)] },
  });
  const found = await provider.Client.find('app');
  if (!found) throw new Error('no client');
  const sign = async (use: 'idtoken' | 'logout') => {
    const token = new provider.IdToken({ sub: 'someone' }, { client: found, ctx: undefined });
    return decodeProtectedHeader(await token.issue({ use })).kid;
  };
  const published = async () => (await supertest(provider.callback()).get('/jwks')).body as { keys: JWK[] };
  return { provider, sign, published };
}

describe('replaceSigningKeys', () => {
  it('publishes the new set at once and signs ID tokens and logout tokens with its signing key only', async () => {
    const [old, next] = [await generateSigningKey('ES256'), await generateSigningKey('ES256')];
    const { provider, sign, published } = await bareProvider([old]);
    expect(await sign('idtoken')).toBe(old.kid);

    // Published ahead: in /jwks, marked verify-only, and the old key still signs.
    replaceSigningKeys(provider, { keys: [old, { ...next, key_ops: ['verify'] }] });
    const ahead = await published();
    expect(ahead.keys.map((key) => [key.kid, key.key_ops])).toEqual([
      [old.kid, undefined],
      [next.kid, ['verify']],
    ]);
    expect(ahead.keys.some((key) => 'd' in key)).toBe(false);
    expect(await sign('idtoken')).toBe(old.kid);
    expect(await sign('logout')).toBe(old.kid);

    // Handed over: the new key signs whatever its place in the set, the old one only verifies.
    replaceSigningKeys(provider, { keys: [{ ...old, key_ops: ['verify'] }, next] });
    expect(await sign('idtoken')).toBe(next.kid);
    expect(await sign('logout')).toBe(next.kid);

    // Retired: gone from /jwks.
    replaceSigningKeys(provider, { keys: [next] });
    expect((await published()).keys.map((key) => key.kid)).toEqual([next.kid]);
  });

  it('refuses a set oidc-provider would refuse at construction, and keeps the set in force', async () => {
    const key = await generateSigningKey('ES256');
    const { provider, published } = await bareProvider([key]);
    expect(() => replaceSigningKeys(provider, { keys: [key, key] })).toThrow(/duplicate "kid"/);
    expect((await published()).keys.map((jwk) => jwk.kid)).toContain(key.kid);
  });
});
