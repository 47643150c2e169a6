// Work that must not happen on the request path. The email form answers the same way, at the same
// speed, whether or not the address has an account or may get a link; looking that up, storing
// the token and sending the mail happen here, after the response.
//
// "After the response" means once it has been written, not at the next turn of the event loop.
// The HTTP edge runs each request inside afterResponse(written, ...), and a task queued there
// waits for `written`. The next turn is not enough: middleware still awaiting the store after the
// route has run (the page's security headers look its app up) lets a setImmediate fire before
// the response goes out, so on a networked store the address's work would start first, and its
// timing would tell addresses apart.
//
// A task also always starts from setImmediate, never a microtask: microtasks run before Koa
// writes the response, and outside any request (the CLI, a test calling a step) setImmediate is
// all the ordering there is. Failures are logged; idle() lets shutdown (and tests) wait for what
// is still running. A failure there is after the person was told "done", so a step first asks
// admit() whether the work can be stored at all (a full disk answers no, and the request a 503).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './ports.js';

export interface OffRequest {
  /**
   * Called by a step before it accepts work for after the response: throws (StoreUnavailableError)
   * when that work could not be stored now, so the request is refused at once instead of answered
   * "done" for work that will fail unseen. Call it before spending anything (rate limits).
   */
  admit(): void;
  /** Starts `task` after the current request's response has been written (or soon, outside a request). */
  run(name: string, task: () => Promise<void>): void;
  /** Handles a request: what it queues with run() waits until `written` settles. */
  afterResponse<T>(written: Promise<void>, handle: () => T): T;
  idle(): Promise<void>;
}

/** `admit`: throws when work for after the response cannot be accepted now (the store takes no writes). */
export function createOffRequest(logger: Logger, admit: () => void = () => undefined): OffRequest {
  const pending = new Set<Promise<void>>();
  // The response of the request the current code runs for; AsyncLocalStorage follows the
  // promises and callbacks made inside afterResponse(), so a step need not be handed it.
  const responses = new AsyncLocalStorage<Promise<void>>();
  return {
    admit,
    run(name, task) {
      const written = responses.getStore() ?? Promise.resolve();
      const job: Promise<void> = written
        .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
        .then(task)
        .catch((error: unknown) => logger.error({ err: error, job: name }, 'background job failed'))
        .finally(() => pending.delete(job));
      pending.add(job);
    },
    afterResponse: (written, handle) => responses.run(written, handle),
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
