// Replaces the signing keys of a running oidc-provider. Why this reaches inside oidc-provider:
// it reads `jwks` once, in its constructor (lib/helpers/initialize_keystore.js builds the key store
// it signs and verifies with, and the public set /jwks serves), and its documented way to rotate
// keys is to change the JWKS and reload every process. linkid rotates while it runs: a key
// another process added must be published at once, and a key starts signing or leaves /jwks at a
// moment the ring decides (src/oidc/signing-keys.ts). Rebuilding the Provider would also drop its
// listeners and the objects other services hold, so instead this calls the very function the
// constructor calls, with the new set. Everything that chooses a key (selectForSign, which skips a
// key whose `key_ops` lacks "sign") reads the store it builds at the moment of signing.
// test/unit/provider-keystore.test.ts fails if oidc-provider moves or changes this function.
import type { JWK } from 'jose';
import type Provider from 'oidc-provider';
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';

/** Hands `provider` a new private JWKS, as if it had been built with it. Throws on a key it refuses. */
export function replaceSigningKeys(provider: Provider, jwks: { keys: JWK[] }): void {
  initializeKeystore.call(provider, structuredClone(jwks));
}
