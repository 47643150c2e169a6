// Chooses the mail transport from configuration: exactly one, the one config.mailTransport names
// (Postmark, an SMTP relay, or the outbox in DATA_DIR). The server and the tests build it the same way.
import type { Clock } from '../kernel/clock.js';
import type { Config } from '../config/env.js';
import type { MailTransport } from './mail-transport.js';
import { createOutboxTransport } from './outbox.js';
import { createPostmarkTransport } from './postmark.js';
import { createSmtpTransport } from './smtp.js';

/** Connections one process keeps open to an SMTP relay at most (MAIL_CONCURRENCY, if lower). */
const SMTP_MAX_CONNECTIONS = 5;

export function createTransport(config: Config, clock: Clock, options: { timeoutMs?: number } = {}): MailTransport {
  if (config.mailTransport === 'smtp' && config.smtp) {
    return createSmtpTransport({
      smtp: config.smtp,
      from: config.mailFrom,
      maxConnections: Math.min(SMTP_MAX_CONNECTIONS, config.mailConcurrency),
      timeoutMs: options.timeoutMs,
    });
  }
  if (config.mailTransport === 'postmark' && config.postmark) {
    return createPostmarkTransport({
      serverToken: config.postmark.serverToken,
      apiUrl: config.postmark.apiUrl,
      from: config.mailFrom,
      messageStream: config.postmark.messageStream,
      timeoutMs: options.timeoutMs,
      maxConnections: config.mailConcurrency,
    });
  }
  return createOutboxTransport(config.dataDir, config.mailFrom, clock);
}
