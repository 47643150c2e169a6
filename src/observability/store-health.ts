// Whether the store takes writes now, known without waiting for a request to find out. Rules:
// - every failure of every store operation is told here (src/store/watched-store.ts) and counted
//   by its kind in linkid_store_errors_total, once;
// - writes are taken to fail while a write failure (full, read-only, I/O) was seen in the last
//   RECENT_FAILURE_MS, or while the store's own check says so (SQLite: DATA_DIR's free space
//   below its reserve, or read-only), asked each time (three system calls, no cache that could
//   admit a sign-in in the second after the disk filled). Nothing is written to
//   find out: on SQLite a probe write proves nothing (it can land in pages the file already has
//   while the next real write needs a new one), and a probe row per readiness check would be
//   a write forever for nothing;
// - work that needs a write and would be done after the response (the sign-in email) is refused
//   at once with StoreUnavailableError, counted as an error of that kind: the person gets a 503
//   to retry, not a "check your email" for an email that can never be stored;
// - it recovers by itself: once the window has passed and the check passes, writes are tried
//   again, and the first that fails starts a new window. Each change is logged once.
import { performance } from 'node:perf_hooks';
import type { Logger } from '../kernel/ports.js';
import { StoreUnavailableError, WRITE_FAILURES, type StoreFailureKind } from '../kernel/store-failure.js';
import type { Store } from '../store/port.js';

const RECENT_FAILURE_MS = 5_000;

export interface StoreHealth {
  /** One failed store operation (the watched store tells every one). */
  failed(kind: StoreFailureKind, error: unknown): void;
  /** Why writes fail now, or undefined when nothing says they do. */
  writeFailure(): StoreFailureKind | undefined;
  /** Throws StoreUnavailableError (and counts it) when writes fail now. */
  assertWritable(): void;
}

export interface StoreHealthDeps {
  readonly store: Pick<Store, 'writeCheck'>;
  readonly logger: Logger;
  /** linkid_store_errors_total{kind}. */
  readonly count: (kind: StoreFailureKind) => void;
  /** Milliseconds of a monotonic clock: the window is the process's own time, not the sign-in's clock. */
  readonly now?: () => number;
}

export function createStoreHealth(deps: StoreHealthDeps): StoreHealth {
  const now = deps.now ?? (() => performance.now());
  let lastFailure: { kind: StoreFailureKind; at: number } | undefined;
  let reported: StoreFailureKind | undefined;

  const writeFailure = (): StoreFailureKind | undefined => {
    const at = now();
    const kind = lastFailure && at - lastFailure.at < RECENT_FAILURE_MS ? lastFailure.kind : deps.store.writeCheck();
    if (kind !== reported) {
      if (kind) deps.logger.error({ cause: kind }, 'the store cannot take writes; requests that write answer 503');
      else deps.logger.info({ was: reported }, 'the store takes writes again');
      reported = kind;
    }
    return kind;
  };

  return {
    failed(kind) {
      deps.count(kind);
      if (!WRITE_FAILURES.has(kind)) return;
      lastFailure = { kind, at: now() };
      writeFailure();
    },
    writeFailure,
    assertWritable() {
      const kind = writeFailure();
      if (!kind) return;
      deps.count(kind);
      throw new StoreUnavailableError(kind);
    },
  };
}
