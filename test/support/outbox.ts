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
  readonly code: string;
  readonly message: OutboxMessage;
}

/**
 * The newest sign-in mail to `to`, with its link, token and code pulled out of the text part.
 * Waits for linkid's off-request sends to finish first, as a person waits for the mail.
 */
export async function latestSignInMail(linkid: { dataDir: string; settle(): Promise<void> }, to: string): Promise<SignInMail> {
  await linkid.settle();
  const message = readOutbox(linkid.dataDir)
    .filter((mail) => mail.to.toLowerCase() === to.trim().toLowerCase())
    .at(-1);
  if (!message) throw new Error(`no mail to ${to} in the outbox`);
  return parseSignInMail(message);
}

/** The link, token and code in one sign-in mail, as a person reads them off the text part. */
export function parseSignInMail(message: OutboxMessage): SignInMail {
  const link = /(https?:\/\/\S+\/login\/link\?token=([A-Za-z0-9_-]{43}))/.exec(message.text);
  // The line that ends with the code ("...where you started: 123456"), in any language.
  const code = /: (\d{6})$/m.exec(message.text);
  if (!link || !code) throw new Error(`mail to ${message.to} has no sign-in link or code:\n${message.text}`);
  return { link: link[1]!, token: link[2]!, code: code[1]!, message };
}

/** Every mail in the outbox once linkid has finished sending. */
export async function settledOutbox(linkid: { dataDir: string; settle(): Promise<void> }): Promise<OutboxMessage[]> {
  await linkid.settle();
  return readOutbox(linkid.dataDir);
}

/** The mails to `to` once linkid has finished sending (addresses as linkid wrote them). */
export async function mailsTo(linkid: { dataDir: string; settle(): Promise<void> }, to: string): Promise<OutboxMessage[]> {
  return (await settledOutbox(linkid)).filter((mail) => mail.to === to);
}
