// Chooses the mail transport from configuration: Postmark when POSTMARK_SERVER_TOKEN is set, the
// outbox in DATA_DIR otherwise. The server and the tests build it the same way.
import type { Clock } from '../kernel/clock.js';
import type { Config } from '../config/env.js';
import type { MailTransport } from './mail-transport.js';
import { createOutboxTransport } from './outbox.js';
import { createPostmarkTransport } from './postmark.js';

export function createTransport(config: Config, clock: Clock, options: { timeoutMs?: number } = {}): MailTransport {
  if (!config.postmark) return createOutboxTransport(config.dataDir, config.mailFrom, clock);
  return createPostmarkTransport({
    serverToken: config.postmark.serverToken,
    apiUrl: config.postmark.apiUrl,
    from: config.mailFrom,
    messageStream: config.postmark.messageStream,
    timeoutMs: options.timeoutMs,
  });
}
