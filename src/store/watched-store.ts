// The store with every failure of every operation told to one listener, whoever called it: a
// request, a job after the response, the send queue, the audit trail, the purge job. So linkid
// learns that writes fail from the first one that does, wherever it happens, and counts each
// failure once (src/observability/store-health.ts listens). The errors themselves pass on
// unchanged: callers still decide what a failure means for them.
import type { StoreFailureKind } from '../kernel/store-failure.js';
import type { RateLimiter, Store } from './port.js';

export type StoreFailureListener = (kind: StoreFailureKind, error: unknown) => void;

/** `target` with each method's failure (a rejection or a throw) told to `tell` first. */
function watchMethods<T extends object>(target: T, tell: (error: unknown) => void): T {
  const watched: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== 'function') {
      watched[name] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => unknown;
    watched[name] = (...args: unknown[]): unknown => {
      try {
        const result = method.apply(target, args);
        return result instanceof Promise
          ? result.catch((error: unknown) => {
              throw told(error, tell);
            })
          : result;
      } catch (error) {
        throw told(error, tell);
      }
    };
  }
  return watched as T;
}

function told(error: unknown, tell: (error: unknown) => void): unknown {
  tell(error);
  return error;
}

/** `store` with every failure it classifies (full, read-only, I/O, busy, unreachable) told to `onFailure`. */
export function watchStore(store: Store, onFailure: StoreFailureListener): Store {
  const tell = (error: unknown) => {
    const kind = store.failureKind(error);
    if (kind) onFailure(kind, error);
  };
  return {
    ...store,
    audit: watchMethods(store.audit, tell),
    oidc: watchMethods(store.oidc, tell),
    users: watchMethods(store.users, tell),
    loginTokens: watchMethods(store.loginTokens, tell),
    emailChanges: watchMethods(store.emailChanges, tell),
    clients: watchMethods(store.clients, tell),
    recoveryCodes: watchMethods(store.recoveryCodes, tell),
    registrationTokens: watchMethods(store.registrationTokens, tell),
    linkRequests: watchMethods(store.linkRequests, tell),
    resources: watchMethods(store.resources, tell),
    mailQueue: watchMethods(store.mailQueue, tell),
    suppressions: watchMethods(store.suppressions, tell),
    createRateLimiter: (rule): RateLimiter => watchMethods(store.createRateLimiter(rule), tell),
    async purgeExpired(now, batchSize) {
      try {
        return await store.purgeExpired(now, batchSize);
      } catch (error) {
        throw told(error, tell);
      }
    },
    async ping() {
      try {
        await store.ping();
      } catch (error) {
        throw told(error, tell);
      }
    },
  };
}
