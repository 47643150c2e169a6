// Work that must not happen on the request path. The email form answers the same way, at the same
// speed, whether or not the address has an account or may get a link; looking that up, storing
// the token and sending the mail happen here, after the response. A task starts from
// setImmediate, not a microtask: microtasks run before Koa writes the response, so work queued
// with Promise.resolve().then() would still delay it (and its timing would tell addresses apart).
// Failures are logged; idle() lets shutdown (and tests) wait for what is still running.
import type { Logger } from './ports.js';

export interface OffRequest {
  run(name: string, task: () => Promise<void>): void;
  idle(): Promise<void>;
}

export function createOffRequest(logger: Logger): OffRequest {
  const pending = new Set<Promise<void>>();
  return {
    run(name, task) {
      const job: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(task)
        .catch((error: unknown) => logger.error({ err: error, job: name }, 'background job failed'))
        .finally(() => pending.delete(job));
      pending.add(job);
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
