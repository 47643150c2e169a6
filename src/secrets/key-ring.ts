// Where the signing keys live when linkid manages them: KEYS_DIR/signing-key-ring/, one file per
// version of the whole ring (00000001.json, 00000002.json, ...), the highest number in force.
// A change is written as the next number with link(2), which fails if that number exists: of
// any processes changing the ring at once (the CLI, every worker, instances sharing the volume),
// exactly one wins each version and the others read it and decide again. That is how a scheduled
// rotation happens once however many processes try it. Nothing here reaches the database: private
// keys stay in KEYS_DIR, 0600 in a 0700 directory, like the files they began in.
//
// Version 0 is not a file: it is the ring as signing-keys.json (and signing-key-eddsa.json) from
// earlier versions describe it, the first key of each algorithm signing and any other published
// until its window ends. Installs keep working unchanged until the first rotation writes version 1.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, writeNewPrivateFileSync } from '../kernel/private-files.js';
import type { RingKey } from './signing-key-lifecycle.js';

export const KEY_RING_DIR = 'signing-key-ring';
/** Versions kept besides the newest, for a reader that listed the directory just before a write. */
const KEPT_VERSIONS = 3;
const VERSION_FILE = /^(\d{8})\.json$/;

export interface RingVersion {
  readonly version: number;
  readonly keys: readonly RingKey[];
}

export interface KeyRing {
  readonly dir: string;
  /** The ring in force (read from disk). */
  read(): RingVersion;
  /** Something that changes when a version is written: cheap enough to ask on every request. */
  stamp(): string;
  /** Writes `keys` as version `after.version + 1`; false if another process wrote that version first. */
  write(after: RingVersion, keys: readonly RingKey[]): boolean;
}

interface StoredKey {
  kid: string;
  alg: string;
  createdAt: string;
  signsFrom: string;
  stopsAt?: string;
  jwk: RingKey['jwk'];
}

const toStored = (key: RingKey): StoredKey => ({
  kid: key.kid,
  alg: key.alg,
  createdAt: new Date(key.createdAt).toISOString(),
  signsFrom: new Date(key.signsFrom).toISOString(),
  ...(key.stopsAt === undefined ? {} : { stopsAt: new Date(key.stopsAt).toISOString() }),
  jwk: key.jwk,
});

const fromStored = (key: StoredKey): RingKey => ({
  kid: key.kid,
  alg: key.alg,
  createdAt: Date.parse(key.createdAt),
  signsFrom: Date.parse(key.signsFrom),
  ...(key.stopsAt === undefined ? {} : { stopsAt: Date.parse(key.stopsAt) }),
  jwk: key.jwk,
});

const fileOf = (version: number) => `${String(version).padStart(8, '0')}.json`;

/** `seed`: version 0, the keys of the files earlier versions wrote (read only when no version exists). */
export function openKeyRing(keysDir: string, seed: readonly RingKey[]): KeyRing {
  const dir = path.join(keysDir, KEY_RING_DIR);
  const versions = (): number[] => {
    try {
      return fs
        .readdirSync(dir)
        .map((name) => VERSION_FILE.exec(name)?.[1])
        .filter((digits): digits is string => digits !== undefined)
        .map(Number)
        .sort((a, b) => b - a);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  };
  const read = (): RingVersion => {
    for (let attempt = 0; ; attempt += 1) {
      const [newest] = versions();
      if (newest === undefined) return { version: 0, keys: seed };
      try {
        const stored = JSON.parse(fs.readFileSync(path.join(dir, fileOf(newest)), 'utf8')) as { keys: StoredKey[] };
        return { version: newest, keys: stored.keys.map(fromStored) };
      } catch (error) {
        // Pruned between the listing and the read: several versions were written meanwhile.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw error;
      }
    }
  };
  return {
    dir,
    read,
    stamp() {
      // Called on every request: plain numbers (sub-microsecond times) rather than BigInts, which cost more than the stat.
      const stat = fs.statSync(dir, { throwIfNoEntry: false });
      return stat ? `${stat.ino}:${stat.mtimeMs}:${stat.ctimeMs}` : 'none';
    },
    write(after, keys) {
      ensurePrivateDir(dir);
      const version = after.version + 1;
      const temp = path.join(dir, `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      writeNewPrivateFileSync(temp, `${JSON.stringify({ version, keys: keys.map(toStored) }, null, 2)}\n`);
      try {
        fs.linkSync(temp, path.join(dir, fileOf(version)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      } finally {
        fs.unlinkSync(temp);
      }
      // Written after a version this process never saw (possible only if that one was pruned
      // meanwhile): the newer one stands, and the caller decides again on it.
      if (versions()[0] !== version) {
        fs.rmSync(path.join(dir, fileOf(version)), { force: true });
        return false;
      }
      // Old versions hold private keys that may since have been retired: keep only a few.
      for (const old of versions().slice(KEPT_VERSIONS + 1)) fs.rmSync(path.join(dir, fileOf(old)), { force: true });
      return true;
    },
  };
}
