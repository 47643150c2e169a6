// Liveness (the process answers) and readiness (the store answers, and takes writes) for load
// balancers. Readiness writes nothing: it pings the store, then asks the store health
// (src/observability/store-health.ts) whether writes fail now, which it knows from the failed
// writes it was told of in the last seconds and, on SQLite, from DATA_DIR's file system.
import type { Router } from '@koa/router';
import type { StoreHealth } from '../../observability/store-health.js';
import type { Store } from '../../store/port.js';
import type { LinkidState } from '../state.js';

export function healthRoutes(router: Router<LinkidState>, store: Store, health: Pick<StoreHealth, 'writeFailure'>): void {
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await store.ping();
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', store: store.kind, error: 'store_unavailable' };
      return;
    }
    const cause = health.writeFailure();
    if (cause) {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', store: store.kind, error: 'store_unavailable', cause };
      return;
    }
    ctx.body = { status: 'ok', store: store.kind };
  });
}
