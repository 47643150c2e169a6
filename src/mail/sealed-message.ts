// Queued messages carry live sign-in links, so their content is encrypted at rest (AES-256-GCM
// with a key derived from the server secret) and dropped once sent: a copy of the database never
// yields a usable link.
import { createSealer } from '../secrets/sealing.js';

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
  const sealer = createSealer(serverSecret, 'linkid mail queue v1');
  return {
    seal: (content) => sealer.seal(JSON.stringify(content)),
    open: (sealed) => JSON.parse(sealer.open(sealed)) as MessageContent,
  };
}
