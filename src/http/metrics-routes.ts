// Serves /metrics, and times every request by its route template. With METRICS_TOKEN set a
// scrape must carry `Authorization: Bearer <token>` (compared in constant time); with
// METRICS_PORT set, /metrics lives on its own small Koa app on that port and the main port
// answers 404 there. Route labels are templates (`/interaction/:uid/login`) or oidc-provider's
// route names (`token`), never raw paths: those carry interaction ids and link tokens.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from '@koa/router';
import Koa, { type Context, type Middleware } from 'koa';
import type { Metrics } from '../observability/metrics.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

const digest = (value: string) => createHash('sha256').update(value).digest();

function authorised(ctx: Context, token: string | undefined): boolean {
  if (token === undefined) return true;
  const match = /^Bearer ([\x21-\x7e]+)$/.exec(ctx.get('Authorization'));
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), digest(token));
}

/**
 * Where a scrape's text comes from: this process's registry, or, in a cluster (src/cluster/), the
 * whole cluster's metrics as its primary gathers them.
 */
export type ScrapeMetrics = () => Promise<string>;

/** GET /metrics on `router`. */
export function metricsRoute(router: Router, metrics: Pick<Metrics, 'registry'>, token: string | undefined, scrape?: ScrapeMetrics): void {
  const text = scrape ?? (() => metrics.registry.metrics());
  router.get('/metrics', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (!authorised(ctx, token)) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      ctx.body = { error: 'unauthorized' };
      return;
    }
    try {
      ctx.body = await text();
      ctx.type = metrics.registry.contentType;
    } catch {
      // A cluster worker that did not answer in time: a failed scrape, never a partial sum that
      // Prometheus would read as counters reset.
      ctx.status = 503;
      ctx.body = { error: 'metrics_unavailable' };
    }
  });
}

/** The app METRICS_PORT serves: /metrics and nothing else. */
export function metricsApp(metrics: Pick<Metrics, 'registry' | 'observeRequest'>, token: string | undefined, scrape?: ScrapeMetrics): Koa {
  const app = new Koa();
  const router = new Router();
  metricsRoute(router, metrics, token, scrape);
  app.use(httpMetrics(metrics));
  app.use(router.routes());
  return app;
}

function routeOf(ctx: Context): string {
  // A document answered without the engine names its route itself (static-documents.ts).
  const stated = (ctx.state as { route?: unknown }).route;
  if (typeof stated === 'string') return stated;
  const oidcRoute = (ctx as { oidc?: { route?: unknown } }).oidc?.route;
  if (typeof oidcRoute === 'string') return oidcRoute;
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : 'unmatched';
}

/** Observes linkid_http_request_duration_seconds for every request, however it ends. */
export function httpMetrics(metrics: Pick<Metrics, 'observeRequest'>): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    let status: number | undefined;
    try {
      await next();
    } catch (error) {
      // Koa answers an error that escapes every handler with 500 after this middleware returns.
      status = 500;
      throw error;
    } finally {
      const method = METHODS.has(ctx.method) ? ctx.method : 'other';
      metrics.observeRequest({ route: routeOf(ctx), method, status: status ?? ctx.status }, (performance.now() - started) / 1000);
    }
  };
}
