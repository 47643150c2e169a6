// Removes expired rows in small batches on a timer. Reads already ignore expired rows; this only
// keeps the store from growing. Each batch is its own short statement and the loop yields to the
// event loop between batches, so a backlog never blocks requests.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Clock } from '../kernel/clock.js';
import type { Logger } from '../kernel/ports.js';
import type { Store } from './port.js';

export const PURGE_BATCH_SIZE = 500;

/** Sent, delivered and failed messages are kept this long for the status page and support. */
export const FINISHED_MAIL_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export async function purgeAllExpired(store: Store, clock: Clock, batchSize = PURGE_BATCH_SIZE): Promise<number> {
  let total = 0;
  for (;;) {
    const now = clock.now();
    const removed = (await store.purgeExpired(now, batchSize)) + (await store.mailQueue.purgeFinished(now - FINISHED_MAIL_RETENTION_MS, batchSize));
    total += removed;
    if (removed < batchSize) return total;
    await yieldToEventLoop();
  }
}

/** Starts the timer; the returned function stops it. */
export function startPurgeJob(store: Store, clock: Clock, logger: Logger, intervalMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    purgeAllExpired(store, clock)
      .then((removed) => {
        if (removed > 0) logger.debug({ removed }, 'purged expired rows');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'purge of expired rows failed'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
