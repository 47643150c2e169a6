// Development and test transport: one JSON file per message in DATA_DIR/outbox, written to a
// temp name and renamed so a reader never sees half a message; a write that fails (a full disk)
// removes its temp file and fails the delivery, which the send queue retries.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../kernel/clock.js';
import { ensurePrivateDir, writeNewPrivateFile } from '../kernel/private-files.js';
import type { MailTransport } from './mail-transport.js';

export interface OutboxMessage {
  readonly to: string;
  readonly from: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly createdAt: string;
}

export function outboxDir(dataDir: string): string {
  return path.join(dataDir, 'outbox');
}

export function createOutboxTransport(dataDir: string, from: string, clock: Clock): MailTransport {
  const dir = outboxDir(dataDir);
  return {
    kind: 'outbox',
    async deliver(message) {
      ensurePrivateDir(dir);
      const createdAt = new Date(clock.now()).toISOString();
      const name = `${createdAt.replace(/[:.]/g, '-')}-${randomBytes(6).toString('hex')}.json`;
      const record: OutboxMessage = { to: message.to, from, subject: message.subject, text: message.text, html: message.html, createdAt };
      const temp = path.join(dir, `.${name}.tmp`);
      try {
        await writeNewPrivateFile(temp, `${JSON.stringify(record, null, 2)}\n`);
        await fs.rename(temp, path.join(dir, name));
      } catch (error) {
        // A full or read-only disk: no half message is left behind, and the send queue, which
        // still holds the message, tries it again (src/mail/watched-transport.ts tells linkid why).
        await fs.rm(temp, { force: true }).catch(() => undefined);
        throw error;
      }
      return { providerMessageId: `outbox:${name}` };
    },
  };
}
