// Reads the mails linkid wrote to DATA_DIR/outbox, as a person reads their inbox.
import fs from 'node:fs';
import path from 'node:path';
import type { OutboxMessage } from '../../src/mail/outbox.js';
import { outboxDir } from '../../src/mail/outbox.js';

export function readOutbox(dataDir: string): OutboxMessage[] {
  const dir = outboxDir(dataDir);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
    .sort()
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as OutboxMessage);
}

export interface SignInMail {
  readonly link: string;
  readonly token: string;
  readonly message: OutboxMessage;
}

/** The newest sign-in mail to `to`, with its link and token pulled out of the text part. */
export function latestSignInMail(dataDir: string, to: string): SignInMail {
  const message = readOutbox(dataDir)
    .filter((mail) => mail.to.toLowerCase() === to.trim().toLowerCase())
    .at(-1);
  if (!message) throw new Error(`no mail to ${to} in the outbox`);
  const link = /(https?:\/\/\S+\/login\/link\?token=([A-Za-z0-9_-]{43}))/.exec(message.text);
  if (!link) throw new Error(`mail to ${to} has no sign-in link:\n${message.text}`);
  return { link: link[1]!, token: link[2]!, message };
}
