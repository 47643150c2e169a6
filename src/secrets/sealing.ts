// Authenticated encryption for values linkid must keep but must not keep readable: AES-256-GCM
// with a key derived from the server secret (which never enters the store) for one purpose, so
// a copy of the database alone opens nothing, and a value sealed for one purpose, or for one
// row (`context`, bound as additional data), cannot be passed off as another.
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';

export interface Sealer {
  seal(plaintext: string, context?: string): string;
  /** Throws if `sealed` was not sealed by this sealer for this context, or was altered. */
  open(sealed: string, context?: string): string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A key of 32 bytes for `purpose`, derived from the server secret (HKDF-SHA256). */
export const deriveKey = (serverSecret: Buffer, purpose: string): Buffer => Buffer.from(hkdfSync('sha256', serverSecret, Buffer.alloc(0), purpose, 32));

export function createSealer(serverSecret: Buffer, purpose: string): Sealer {
  // A KeyObject made once: handed a Buffer, every cipher would build one itself (about 9 µs each).
  const key = createSecretKey(deriveKey(serverSecret, purpose));
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    open(sealed, context) {
      const bytes = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    },
  };
}
