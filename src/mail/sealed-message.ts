// Queued messages carry live sign-in links, so their content is encrypted at rest (AES-256-GCM
// with a key derived from the server secret) and dropped once sent: a copy of the database never
// yields a usable link.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface MessageContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface MessageSeal {
  seal(content: MessageContent): string;
  open(sealed: string): MessageContent;
}

export function createMessageSeal(serverSecret: Buffer): MessageSeal {
  const key = Buffer.from(hkdfSync('sha256', serverSecret, Buffer.alloc(0), 'linkid mail queue v1', 32));
  return {
    seal(content) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(content), 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    open(sealed) {
      const bytes = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      const json = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
      return JSON.parse(json) as MessageContent;
    },
  };
}
