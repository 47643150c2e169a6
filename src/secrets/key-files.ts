// Signing keys, cookie keys and the server secret. Each comes from its environment variable when
// set, otherwise from a file in KEYS_DIR (default DATA_DIR/keys) that is generated on first start
// and reused afterwards, so tokens and sessions survive restarts. A file is created with link(2)
// from a private temp file, so processes starting at once (the server and the admin CLI, or
// several instances sharing one keys volume) agree on one value instead of overwriting each other.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { ensurePrivateDir, writeNewPrivateFileSync } from '../private-files.js';

export interface Secrets {
  /** Private JWKS handed to oidc-provider: one RS256 and one ES256 key. */
  readonly signingKeys: { keys: JWK[] };
  /** Keys for oidc-provider's signed cookies, newest first. */
  readonly cookieKeys: string[];
  /** HMAC key for one-time codes and derived client secrets. Never leaves the process. */
  readonly serverSecret: Buffer;
}

async function generateSigningKey(alg: 'RS256' | 'ES256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
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
  readonly keys: { readonly signingKeys?: string; readonly cookieKeys?: string[]; readonly serverSecret?: string };
}

export const KEY_FILES = { signingKeys: 'signing-keys.json', cookieKeys: 'cookie-keys.json', serverSecret: 'server-secret' } as const;

export async function loadOrCreateSecrets({ keysDir, keys }: KeySources): Promise<Secrets> {
  const file = (name: string) => {
    ensurePrivateDir(keysDir);
    return path.join(keysDir, name);
  };
  const signing =
    keys.signingKeys ??
    (await readOrCreate(file(KEY_FILES.signingKeys), async () =>
      JSON.stringify({ keys: [await generateSigningKey('RS256'), await generateSigningKey('ES256')] }, null, 2),
    ));
  const cookies =
    keys.cookieKeys ??
    (JSON.parse(await readOrCreate(file(KEY_FILES.cookieKeys), async () => JSON.stringify([randomBytes(32).toString('base64url')]))) as string[]);
  const secret = keys.serverSecret ?? (await readOrCreate(file(KEY_FILES.serverSecret), async () => randomBytes(32).toString('base64url')));
  return Object.freeze({
    signingKeys: JSON.parse(signing) as { keys: JWK[] },
    cookieKeys: cookies,
    serverSecret: Buffer.from(secret.trim(), 'base64url'),
  });
}
