// The life of a signing key in the key ring, as pure rules over times: no files, no clock, so
// every process that reads the same ring at the same moment agrees on which key signs and which
// are published. A key is published from the moment it is added; it signs from `signsFrom`
// (KEY_PUBLISH_AHEAD_SECONDS after a rotation, so apps' JWKS caches have seen it) until
// `stopsAt`; it stays published for the verify window after it last signed (the longest lifetime
// of any JWT linkid signs, plus a margin), then it is retired: gone from /jwks, its private part
// dropped from the ring.
//
// Rules:
// - At any moment exactly one key of each algorithm signs (the one whose [signsFrom, stopsAt)
//   holds the moment); every other published key carries `key_ops: ["verify"]`, which
//   oidc-provider's key selection honours (src/oidc/provider-keystore.ts).
// - A rotation adds a key per algorithm that signs only after the publish-ahead delay; the key it
//   replaces keeps signing until then, so nothing ever waits for a key.
// - Retiring the signing key hands over at once to the published-ahead key; retiring the only
//   key that can sign an algorithm is refused.
import type { JWK } from 'jose';

/** The algorithms linkid keeps a signing key for (each has exactly one signer at any moment). */
export const KEY_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type KeyAlg = (typeof KEY_ALGS)[number];

export const isKeyAlg = (value: string): value is KeyAlg => (KEY_ALGS as readonly string[]).includes(value);

export interface RingKey {
  readonly kid: string;
  /** One of KEY_ALGS, or another algorithm a key carried over from signing-keys.json was made for (it never signs). */
  readonly alg: string;
  /** The private JWK while the key is published; only its public part once it is retired. */
  readonly jwk: JWK;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly signsFrom: number;
  /** When it stops (or stopped) signing; none while it is the last key of its algorithm. */
  readonly stopsAt?: number;
}

export type KeyState = 'next' | 'signing' | 'retiring' | 'retired';

/** When a key leaves /jwks: `windowMs` after it last signed; at once if it never signed. */
export function unpublishAt(key: RingKey, windowMs: number): number | undefined {
  if (key.stopsAt === undefined) return undefined;
  return key.stopsAt <= key.signsFrom ? key.stopsAt : key.stopsAt + windowMs;
}

export function stateAt(key: RingKey, now: number, windowMs: number): KeyState {
  const gone = unpublishAt(key, windowMs);
  if (gone !== undefined && now >= gone) return 'retired';
  if (!isKeyAlg(key.alg)) return 'retiring';
  if (now < key.signsFrom) return 'next';
  if (key.stopsAt !== undefined && now >= key.stopsAt) return 'retiring';
  return 'signing';
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']);
export const publicPart = (jwk: JWK): JWK => Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.has(name)));

/**
 * The private JWKS to hand oidc-provider at `now`: every published key, signing keys first and
 * without `key_ops`, the others with `key_ops: ["verify"]` so they are published but never sign.
 */
export function keySetAt(keys: readonly RingKey[], now: number, windowMs: number): { keys: JWK[] } {
  const published = keys.map((key) => ({ key, state: stateAt(key, now, windowMs) })).filter(({ state }) => state !== 'retired');
  const signing = published.filter(({ state }) => state === 'signing').map(({ key }) => ({ ...key.jwk, kid: key.kid, alg: key.alg, use: 'sig' }));
  const verifyOnly = published
    .filter(({ state }) => state !== 'signing')
    .map(({ key }) => ({ ...key.jwk, kid: key.kid, alg: key.alg, use: 'sig', key_ops: ['verify'] }));
  return { keys: [...signing, ...verifyOnly] };
}

/** The first moment after `now` at which keySetAt changes (a key starts or stops signing, or leaves). */
export function nextChangeAfter(keys: readonly RingKey[], now: number, windowMs: number): number {
  const moments = keys.flatMap((key) => [key.signsFrom, key.stopsAt, unpublishAt(key, windowMs)]).filter((at): at is number => at !== undefined && at > now);
  return Math.min(Infinity, ...moments);
}

/** The key of `alg` that signs at `now`, if any. */
const signerAt = (keys: readonly RingKey[], alg: string, now: number, windowMs: number) =>
  keys.find((key) => key.alg === alg && stateAt(key, now, windowMs) === 'signing');

/**
 * Chains the keys of `alg` from `now` on: the signer signs until the first published-ahead key
 * starts, which signs until the next one starts, and the last signs until a later rotation.
 */
function chain(keys: RingKey[], alg: string, now: number, windowMs: number): RingKey[] {
  const signer = signerAt(keys, alg, now, windowMs);
  const ahead = keys
    .filter((key) => key.alg === alg && stateAt(key, now, windowMs) === 'next' && (key.stopsAt === undefined || key.stopsAt > key.signsFrom))
    .sort((a, b) => a.signsFrom - b.signsFrom || a.createdAt - b.createdAt);
  const order = signer ? [signer, ...ahead] : ahead;
  const stops = new Map(order.map((key, i) => [key.kid, order[i + 1]?.signsFrom]));
  return keys.map((key) => {
    if (!stops.has(key.kid)) return key;
    const { kid, alg: keyAlg, jwk, createdAt, signsFrom } = key;
    const stopsAt = stops.get(key.kid);
    return stopsAt === undefined ? { kid, alg: keyAlg, jwk, createdAt, signsFrom } : { kid, alg: keyAlg, jwk, createdAt, signsFrom, stopsAt };
  });
}

/**
 * Adds `fresh` (new keys, at most one per algorithm, created at `now`) so each signs from
 * `now + aheadMs`. A published-ahead key of the same algorithm that would start later is
 * cancelled (it never signed, so it leaves /jwks at once).
 */
export function rotate(keys: readonly RingKey[], fresh: readonly RingKey[], now: number, aheadMs: number, windowMs: number): RingKey[] {
  let next: RingKey[] = [...keys];
  for (const added of fresh) {
    const signsFrom = now + aheadMs;
    next = next.map((key) => (key.alg === added.alg && stateAt(key, now, windowMs) === 'next' && key.signsFrom >= signsFrom ? { ...key, stopsAt: now } : key));
    next.push({ ...added, createdAt: now, signsFrom });
    next = chain(next, added.alg, now, windowMs);
  }
  return next;
}

export type Retirement = { readonly keys: RingKey[] } | { readonly refused: 'unknown' | 'already_retired' | 'only_signer'; readonly key?: RingKey };

/**
 * Stops `kid` signing at `now`. A published-ahead key is withdrawn (and leaves /jwks at once); the
 * signing key hands over to the earliest published-ahead key of its algorithm, which signs from now.
 */
export function retire(keys: readonly RingKey[], kid: string, now: number, windowMs: number): Retirement {
  const key = keys.find((candidate) => candidate.kid === kid);
  if (!key) return { refused: 'unknown' };
  const state = stateAt(key, now, windowMs);
  if (state === 'retiring' || state === 'retired') return { refused: 'already_retired', key };
  if (state === 'next')
    return {
      keys: chain(
        keys.map((k) => (k === key ? { ...k, stopsAt: now } : k)),
        key.alg,
        now,
        windowMs,
      ),
    };
  const successor = keys
    .filter((k) => k.alg === key.alg && stateAt(k, now, windowMs) === 'next' && (k.stopsAt === undefined || k.stopsAt > k.signsFrom))
    .sort((a, b) => a.signsFrom - b.signsFrom)[0];
  if (!successor) return { refused: 'only_signer', key };
  const handedOver = keys.map((k) => (k === key ? { ...k, stopsAt: now } : k === successor ? { ...k, signsFrom: now } : k));
  return { keys: chain(handedOver, key.alg, now, windowMs) };
}

/** The algorithms whose newest key is at least `days` old at `now` (SIGNING_KEY_ROTATION_DAYS). */
export function dueForRotation(keys: readonly RingKey[], now: number, days: number): KeyAlg[] {
  const ageMs = days * 86_400_000;
  return KEY_ALGS.filter((alg) => {
    const newest = Math.max(-Infinity, ...keys.filter((key) => key.alg === alg).map((key) => key.createdAt));
    return newest !== -Infinity && newest + ageMs <= now;
  });
}

/** Retired keys keep only their public part: a private key that no longer verifies anything is not kept. */
export const forgetRetired = (keys: readonly RingKey[], now: number, windowMs: number): RingKey[] =>
  keys.map((key) => (stateAt(key, now, windowMs) === 'retired' ? { ...key, jwk: publicPart(key.jwk) } : key));
