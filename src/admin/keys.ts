// Signing keys as an administrator sees and changes them (`linkid-admin keys`, the console's About
// page): every key with its state and times, never a private part; a rotation; a retirement. The
// rules and the ring are src/oidc/signing-keys.ts; this turns its refusals into one clear line.
import { KEY_ALGS, isKeyAlg, type KeyAlg } from '../secrets/signing-key-lifecycle.js';
import type { KeyActor, KeyChange, KeyView, SigningKeys } from '../oidc/signing-keys.js';
import { AdminError } from './admin-error.js';

export type { KeyActor, KeyView };

export interface KeysResult {
  /** The kids this change added (a rotation) or retired; empty for a list. */
  readonly changed: string[];
  readonly keys: KeyView[];
}

const MANAGED_OUTSIDE =
  'the signing keys come from SIGNING_KEYS and are managed outside linkid: change that variable instead (see docs/operations.md#signing-keys)';

function outcome(change: KeyChange, kid?: string): KeysResult {
  if (change.ok) return { changed: change.changed, keys: change.keys };
  switch (change.refused) {
    case 'managed_outside':
      throw new AdminError('invalid_argument', MANAGED_OUTSIDE);
    case 'unknown':
      throw new AdminError('not_found', `no signing key has kid ${kid ?? ''} (linkid-admin keys list shows them)`);
    case 'already_retired':
      throw new AdminError('invalid_argument', `key ${kid ?? ''} no longer signs; it leaves /jwks at ${change.key?.unpublished_at ?? 'once its window ends'}`);
    case 'only_signer':
      throw new AdminError(
        'invalid_argument',
        `key ${kid ?? ''} is the only key that signs ${change.key?.alg ?? 'its algorithm'}: run linkid-admin keys rotate --alg ${change.key?.alg ?? 'ALG'} first`,
      );
  }
}

/** `alg`: RS256, ES256, EdDSA, or all (the default). */
export function parseKeyAlgs(alg: string | undefined): KeyAlg[] {
  if (alg === undefined || alg === 'all') return [...KEY_ALGS];
  if (isKeyAlg(alg)) return [alg];
  throw new AdminError('invalid_argument', `--alg must be ${KEY_ALGS.join(', ')} or all, not ${alg}`);
}

export function createKeyAdmin(keys: SigningKeys) {
  return {
    list: (): KeysResult => outcome(keys.list()),
    /** Adds a key for each algorithm of `alg` (default all): published now, signing after KEY_PUBLISH_AHEAD_SECONDS. */
    rotate: async (alg: string | undefined, actor: KeyActor): Promise<KeysResult> => outcome(await keys.rotate(parseKeyAlgs(alg), actor)),
    /** Stops `kid` signing now; it stays in /jwks until every token it signed has expired. */
    retire: async (kid: string, actor: KeyActor): Promise<KeysResult> => outcome(await keys.retire(kid, actor), kid),
  };
}

export type KeyAdmin = ReturnType<typeof createKeyAdmin>;
