// The signing keys in force, kept current in a running oidc-provider, and the changes to them
// (rotate, retire, the schedule). The keys live in the key ring in KEYS_DIR (src/secrets/key-ring.ts),
// which every process of every instance sharing that directory reads; the rules of a key's life
// are src/secrets/signing-key-lifecycle.ts. A process hands the provider a new key set whenever
// the ring changed (a rotation by the CLI or another instance) or a moment the ring set has come
// (a published-ahead key starts signing, a retired key's window ends): refresh() checks both and
// is cheap enough for every request (one stat(2) and a comparison), and the server also calls it
// on a timer so an idle process never signs a back-channel logout with a stale set.
// With SIGNING_KEYS the keys are managed outside linkid: the set is fixed and changes are refused.
import type { JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { Audit } from '../kernel/audit.js';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/ports.js';
import type { KeyRing, RingVersion } from '../secrets/key-ring.js';
import { generateSigningKey } from '../secrets/key-files.js';
import {
  dueForRotation,
  forgetRetired,
  keySetAt,
  nextChangeAfter,
  retire,
  rotate,
  stateAt,
  unpublishAt,
  type KeyAlg,
  type KeyState,
  type RingKey,
} from '../secrets/signing-key-lifecycle.js';
import { LONGEST_SIGNED_JWT_SECONDS } from './configuration/ttl.js';
import { replaceSigningKeys } from './provider-keystore.js';

/** Added to the longest JWT lifetime before a key leaves /jwks: clocks of instances differ, and a process notices a change only at its next refresh. */
export const VERIFY_MARGIN_SECONDS = 300;
const WINDOW_MS = (LONGEST_SIGNED_JWT_SECONDS + VERIFY_MARGIN_SECONDS) * 1000;
/** However the file system stamps directories, the ring is read again at least this often. */
const REREAD_MS = 10_000;

/** Who changed the keys, for the audit trail: the CLI, the schedule, or an admin in the console (`account`). */
export type KeyActor = { readonly via: 'admin-cli' | 'schedule' } | { readonly via: 'admin-console'; readonly actorAccountId: string };

/** One key as `keys list` and the console show it: never a private part. */
export interface KeyView {
  kid: string;
  alg: string;
  state: KeyState;
  created: string;
  signs_from: string;
  /** When it stops (or stopped) signing; null while nothing replaces it. */
  retires_at: string | null;
  /** When it leaves /jwks; null while it has not been retired. */
  unpublished_at: string | null;
}

export type KeyChange =
  | { readonly ok: true; readonly keys: KeyView[]; readonly changed: string[] }
  | { readonly ok: false; readonly refused: 'managed_outside' | 'unknown' | 'already_retired' | 'only_signer'; readonly key?: KeyView };

export interface SigningKeysDeps {
  readonly ring: KeyRing | undefined;
  /** The set SIGNING_KEYS gives (used only without a ring). */
  readonly fixed: { keys: JWK[] };
  readonly clock: Clock;
  readonly publishAheadSeconds: number;
  /** SIGNING_KEY_ROTATION_DAYS; undefined: no schedule. */
  readonly rotationDays: number | undefined;
  readonly audit: Audit;
  readonly logger: Logger;
}

const iso = (at: number | undefined) => (at === undefined ? null : new Date(at).toISOString());

const viewOf = (key: RingKey, now: number): KeyView => ({
  kid: key.kid,
  alg: key.alg,
  state: stateAt(key, now, WINDOW_MS),
  created: new Date(key.createdAt).toISOString(),
  // Keys from before the ring signed from their start (stored as the epoch).
  signs_from: new Date(key.signsFrom === 0 ? key.createdAt : key.signsFrom).toISOString(),
  retires_at: iso(key.stopsAt),
  unpublished_at: iso(unpublishAt(key, WINDOW_MS)),
});

/** The algorithms `set` signs with (a key only published for verifying has `key_ops`). */
const signingAlgs = (set: { keys: JWK[] }) => new Set(set.keys.filter((key) => !key.key_ops).map((key) => key.alg));

/** What changes the set handed to the provider: which keys, and which of them sign. */
const fingerprint = (set: { keys: JWK[] }) => set.keys.map((key) => `${key.kid}:${key.key_ops ? 'v' : 's'}`).join(',');

export function createSigningKeys({ ring, fixed, clock, publishAheadSeconds, rotationDays, audit, logger }: SigningKeysDeps) {
  const aheadMs = publishAheadSeconds * 1000;
  let provider: Provider | undefined;
  let inForce: RingVersion | undefined = ring?.read();
  let stamp = ring?.stamp();
  let readAt = performance.now();
  let applied: { print: string; set: { keys: JWK[] } } = { print: '', set: { keys: [] } };
  let nextChange = Infinity;

  const keySet = (): { keys: JWK[] } => {
    if (!inForce) return fixed;
    const now = clock.now();
    nextChange = nextChangeAfter(inForce.keys, now, WINDOW_MS);
    return keySetAt(inForce.keys, now, WINDOW_MS);
  };

  const apply = () => {
    const set = keySet();
    const print = fingerprint(set);
    if (!provider || print === applied.print) return;
    // A ring edited by hand can be well-formed and still leave an algorithm nothing to sign with
    // (every token endpoint answer would be a 500): it counts as a ring that cannot be read.
    const signs = signingAlgs(set);
    const lost = [...signingAlgs(applied.set)].filter((alg) => !signs.has(alg));
    if (lost.length > 0) throw new Error(`the key ring has no key that signs ${lost.join(', ')}`);
    replaceSigningKeys(provider, set);
    applied = { print, set };
    logger.info({ keys: true, signing: set.keys.filter((key) => !key.key_ops).map((key) => key.kid), published: set.keys.length }, 'signing keys in force');
  };

  /**
   * Reads the ring again if it changed on disk, and hands the provider a new set if it differs.
   * A ring that cannot be read (a file edited by hand) leaves the set in force as it was, and says so.
   */
  const refresh = (): void => {
    if (!ring) return;
    const seen = ring.stamp();
    const stale = seen !== stamp || performance.now() - readAt > REREAD_MS;
    if (!stale && clock.now() < nextChange) return;
    try {
      if (stale) {
        inForce = ring.read();
        stamp = seen;
        readAt = performance.now();
      }
      apply();
    } catch (error) {
      stamp = seen;
      readAt = performance.now();
      logger.error({ err: error, keys: true, dir: ring.dir }, 'the signing key ring cannot be read; the keys in force stay as they were');
    }
  };

  /**
   * Applies `change` to the ring in force and writes it as the next version; if another process
   * wrote that version first, decides again on what it wrote. `decide` answers the new keys with
   * what to audit once they are written, or only a result when there is nothing to write.
   */
  type Decision<R> = { keys: RingKey[]; result: R; audited: () => void } | { result: R };
  const change = async <R>(decide: (current: RingVersion, now: number) => Decision<R>): Promise<R> => {
    if (!ring) throw new Error('no key ring');
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const current = ring.read();
      const now = clock.now();
      const decision = decide(current, now);
      if (!('keys' in decision)) return decision.result;
      if (ring.write(current, forgetRetired(decision.keys, now, WINDOW_MS))) {
        decision.audited();
        refresh();
        return decision.result;
      }
    }
    throw new Error('the key ring kept changing under this process');
  };

  const list = (keys: readonly RingKey[], now: number) => keys.map((key) => viewOf(key, now));

  /** New keys for `algs`, made before the ring is read: making an RSA key takes tens of milliseconds. */
  const freshKeys = async (algs: readonly KeyAlg[]): Promise<RingKey[]> =>
    Promise.all(
      algs.map(async (alg) => {
        const jwk = await generateSigningKey(alg);
        return { kid: jwk.kid ?? '', alg, jwk, createdAt: 0, signsFrom: 0 };
      }),
    );

  return {
    /** The private set for the provider's construction, as of now. */
    keySet,
    /** Keeps `built`'s keys current from now on (refresh()). */
    attach(built: Provider): void {
      provider = built;
      const set = keySet();
      applied = { print: fingerprint(set), set };
    },
    refresh,
    /** Which keys the provider publishes and signs with now (changes whenever /jwks does). */
    inForce: (): string => applied.print,
    /** Whether linkid manages the keys (false: SIGNING_KEYS gives them). */
    managed: ring !== undefined,
    list(): KeyChange {
      if (!ring) return { ok: false, refused: 'managed_outside' };
      const now = clock.now();
      return { ok: true, keys: list(ring.read().keys, now), changed: [] };
    },
    async rotate(algs: readonly KeyAlg[], actor: KeyActor): Promise<KeyChange> {
      if (!ring) return { ok: false, refused: 'managed_outside' };
      const fresh = await freshKeys(algs);
      return change((current, now) => {
        const keys = rotate(current.keys, fresh, now, aheadMs, WINDOW_MS);
        const audited = () => audit('signing_key.rotated', { ...actor, algs, kids: fresh.map((key) => key.kid), signsFrom: iso(now + aheadMs) });
        return { keys, audited, result: { ok: true as const, keys: list(keys, now), changed: fresh.map((key) => key.kid) } };
      });
    },
    async retire(kid: string, actor: KeyActor): Promise<KeyChange> {
      if (!ring) return { ok: false, refused: 'managed_outside' };
      return change<KeyChange>((current, now) => {
        const outcome = retire(current.keys, kid, now, WINDOW_MS);
        if ('refused' in outcome) return { result: { ok: false, refused: outcome.refused, ...(outcome.key ? { key: viewOf(outcome.key, now) } : {}) } };
        const retired = outcome.keys.find((key) => key.kid === kid);
        const audited = () =>
          audit('signing_key.retired', { ...actor, kid, alg: retired?.alg, unpublishedAt: iso(retired && unpublishAt(retired, WINDOW_MS)) });
        return { keys: outcome.keys, audited, result: { ok: true, keys: list(outcome.keys, now), changed: [kid] } };
      });
    },
    /**
     * SIGNING_KEY_ROTATION_DAYS: rotates each algorithm whose newest key is that old. Every process
     * may call it; the ring's versions let exactly one of them rotate. Resolves to the algorithms
     * this call rotated.
     */
    async runSchedule(): Promise<KeyAlg[]> {
      if (!ring || rotationDays === undefined) return [];
      const due = dueForRotation(ring.read().keys, clock.now(), rotationDays);
      if (due.length === 0) return [];
      const fresh = await freshKeys(due);
      return change((current, now) => {
        const still = dueForRotation(current.keys, now, rotationDays);
        const adding = fresh.filter((key) => still.includes(key.alg as KeyAlg));
        if (adding.length === 0) return { result: [] as KeyAlg[] };
        const algs = adding.map((key) => key.alg as KeyAlg);
        const audited = () => audit('signing_key.rotated', { via: 'schedule', algs, kids: adding.map((key) => key.kid), signsFrom: iso(now + aheadMs) });
        return { keys: rotate(current.keys, adding, now, aheadMs, WINDOW_MS), audited, result: algs };
      });
    },
  };
}

export type SigningKeys = ReturnType<typeof createSigningKeys>;
