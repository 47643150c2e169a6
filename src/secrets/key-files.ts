// Signing keys, cookie keys, the server secret and the pairwise salt. Each comes from its
// environment variable when set, otherwise from a file in KEYS_DIR (default DATA_DIR/keys) that is generated on first start
// and reused afterwards, so tokens and sessions survive restarts. A file is created with link(2)
// from a private temp file, so processes starting at once (the server and the admin CLI, or
// several instances sharing one keys volume) agree on one value instead of overwriting each other.
// Signing keys from files are then managed as a key ring (./key-ring.ts), which starts from
// signing-keys.json: that file is created as before and never rewritten.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { ensurePrivateDir, writeNewPrivateFileSync } from '../kernel/private-files.js';
import { openKeyRing, type KeyRing } from './key-ring.js';
import { isKeyAlg, type KeyAlg, type RingKey } from './signing-key-lifecycle.js';

export interface Secrets {
  /**
   * The signing keys linkid started from: SIGNING_KEYS, or signing-keys.json (with an Ed25519 key
   * added from its own file). With a key ring, these are only its version 0.
   */
  readonly signingKeys: { keys: JWK[] };
  /** The managed signing keys (KEYS_DIR); none when SIGNING_KEYS gives them, managed outside linkid. */
  readonly keyRing: KeyRing | undefined;
  /** What a person starting linkid should be told about its keys (a key generated, an algorithm missing). */
  readonly notices: readonly string[];
  /** Keys for oidc-provider's signed cookies, newest first. */
  readonly cookieKeys: string[];
  /** HMAC key for one-time codes and derived client secrets. Never leaves the process. */
  readonly serverSecret: Buffer;
  /**
   * HMAC key of pairwise subject identifiers (src/oidc/configuration/pairwise.ts). Kept apart from
   * the server secret: every pairwise app's `sub` is derived from it, so it must outlive any
   * rotation of the others, and losing or changing it gives every person a new `sub` in those apps.
   */
  readonly pairwiseSalt: Buffer;
}

export async function generateSigningKey(alg: KeyAlg): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { extractable: true, crv: 'Ed25519' } : { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg, use: 'sig' };
}

async function readOrCreate(file: string, make: () => Promise<string>): Promise<string> {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeNewPrivateFileSync(temp, await make());
  try {
    fs.linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.unlinkSync(temp);
  }
  return fs.readFileSync(file, 'utf8');
}

export interface KeySources {
  readonly keysDir: string;
  readonly keys: {
    readonly signingKeys?: string;
    readonly cookieKeys?: string[];
    readonly serverSecret?: string;
    readonly pairwiseSalt?: string;
  };
}

export const KEY_FILES = {
  signingKeys: 'signing-keys.json',
  // Key sets written before EdDSA was offered have no Ed25519 key: it is added from its own file,
  // created once like the others, so signing-keys.json is never rewritten under a running server.
  eddsaKey: 'signing-key-eddsa.json',
  cookieKeys: 'cookie-keys.json',
  serverSecret: 'server-secret',
  pairwiseSalt: 'pairwise-salt',
} as const;

const isEd25519 = (jwk: JWK) => jwk.kty === 'OKP' && jwk.crv === 'Ed25519';

/** The signing keys, with an Ed25519 key added from its own file when a key-file set lacks one. */
async function signingKeySet(keys: KeySources['keys'], file: (name: string) => string, notices: string[]): Promise<{ keys: JWK[] }> {
  const signing =
    keys.signingKeys ??
    (await readOrCreate(file(KEY_FILES.signingKeys), async () =>
      JSON.stringify({ keys: [await generateSigningKey('RS256'), await generateSigningKey('ES256'), await generateSigningKey('EdDSA')] }, null, 2),
    ));
  const set = JSON.parse(signing) as { keys: JWK[] };
  if (set.keys.some(isEd25519)) return set;
  if (keys.signingKeys) {
    notices.push('SIGNING_KEYS has no Ed25519 key: ID tokens cannot be signed with EdDSA (add an OKP Ed25519 key to offer it)');
    return set;
  }
  const eddsaFile = file(KEY_FILES.eddsaKey);
  const existed = fs.existsSync(eddsaFile);
  const eddsa = JSON.parse(await readOrCreate(eddsaFile, async () => JSON.stringify(await generateSigningKey('EdDSA'), null, 2))) as JWK;
  if (!existed) notices.push(`generated an Ed25519 signing key for EdDSA ID tokens in ${eddsaFile} (the existing key set had none)`);
  return { keys: [...set.keys, eddsa] };
}

const ALG_OF_TYPE: Readonly<Record<string, KeyAlg>> = { RSA: 'RS256', 'EC:P-256': 'ES256', 'OKP:Ed25519': 'EdDSA' };
const algOf = (jwk: JWK): string => jwk.alg ?? ALG_OF_TYPE[jwk.kty === 'RSA' ? 'RSA' : `${jwk.kty}:${jwk.crv}`] ?? 'unknown';

/**
 * Version 0 of the key ring: the key files as earlier versions used them. The first key of each
 * algorithm signs (as oidc-provider chose it); any other was kept only to verify, and leaves
 * /jwks once its window after the file's last change has passed. A key is as old as its file.
 */
async function seedOf(set: { keys: JWK[] }, file: (name: string) => string): Promise<RingKey[]> {
  const mtime = (name: string) => Math.floor(fs.statSync(file(name), { throwIfNoEntry: false })?.mtimeMs ?? 0);
  const eddsaFile = file(KEY_FILES.eddsaKey);
  const eddsaKid = fs.existsSync(eddsaFile) ? (JSON.parse(fs.readFileSync(eddsaFile, 'utf8')) as JWK).kid : undefined;
  const seen = new Set<string>();
  const seed: RingKey[] = [];
  for (const jwk of set.keys) {
    const alg = algOf(jwk);
    const kid = jwk.kid ?? (await calculateJwkThumbprint(jwk));
    const createdAt = mtime(kid === eddsaKid ? KEY_FILES.eddsaKey : KEY_FILES.signingKeys);
    const first = isKeyAlg(alg) && !seen.has(alg);
    seen.add(alg);
    // signsFrom 0: it signed before the ring existed, whatever the clock of the process reading it says.
    seed.push({ kid, alg, jwk, createdAt, signsFrom: 0, ...(first ? {} : { stopsAt: createdAt }) });
  }
  return seed;
}

/** 32 random bytes, base64url: what PAIRWISE_SALT must be at least (src/config/env.ts checks the variable). */
const PAIRWISE_SALT = /^[A-Za-z0-9_-]{43,}$/;

/**
 * The pairwise salt: PAIRWISE_SALT, else the file, created once. A file that is not a salt (cut
 * short, edited) stops the start rather than quietly giving every pairwise app's users new subs;
 * a salt created where other keys already were is told, since it may replace a lost one.
 */
async function pairwiseSaltOf(given: string | undefined, file: (name: string) => string, notices: string[]): Promise<Buffer> {
  if (given !== undefined) return Buffer.from(given, 'base64url');
  const saltFile = file(KEY_FILES.pairwiseSalt);
  const othersThere = !fs.existsSync(saltFile) && fs.readdirSync(path.dirname(saltFile)).some((name) => !name.endsWith('.tmp'));
  const salt = (await readOrCreate(saltFile, async () => randomBytes(32).toString('base64url'))).trim();
  if (!PAIRWISE_SALT.test(salt)) {
    throw new Error(`${saltFile} is not a pairwise salt (43+ base64url characters): restore it from the backup of KEYS_DIR`);
  }
  if (othersThere) {
    notices.push(
      `generated a pairwise salt in ${saltFile}: back it up with the other keys. If an earlier one was lost, restore it before apps with ` +
        "--subject-type pairwise sign anyone in: a new salt gives every person a new 'sub' in those apps",
    );
  }
  return Buffer.from(salt, 'base64url');
}

export async function loadOrCreateSecrets({ keysDir, keys }: KeySources): Promise<Secrets> {
  const file = (name: string) => {
    ensurePrivateDir(keysDir);
    return path.join(keysDir, name);
  };
  const notices: string[] = [];
  // Before any other key file is made: a salt made on the very first start needs no notice.
  const pairwiseSalt = await pairwiseSaltOf(keys.pairwiseSalt, file, notices);
  const signingKeys = await signingKeySet(keys, file, notices);
  const cookies =
    keys.cookieKeys ??
    (JSON.parse(await readOrCreate(file(KEY_FILES.cookieKeys), async () => JSON.stringify([randomBytes(32).toString('base64url')]))) as string[]);
  const secret = keys.serverSecret ?? (await readOrCreate(file(KEY_FILES.serverSecret), async () => randomBytes(32).toString('base64url')));
  return Object.freeze({
    signingKeys,
    keyRing: keys.signingKeys ? undefined : openKeyRing(keysDir, await seedOf(signingKeys, file)),
    notices: Object.freeze(notices),
    cookieKeys: cookies,
    serverSecret: Buffer.from(secret.trim(), 'base64url'),
    pairwiseSalt,
  });
}
