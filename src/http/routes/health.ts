// Liveness (the process answers) and readiness (the store answers) for load balancers.
import type { Router } from '@koa/router';
import type { Store } from '../../store/port.js';
import type { LinkidState } from '../state.js';

export function healthRoutes(router: Router<LinkidState>, store: Store): void {
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await store.ping();
      ctx.body = { status: 'ok', store: store.kind };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', store: store.kind, error: 'store_unavailable' };
    }
  });
}
