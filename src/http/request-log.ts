// Gives every request an id (echoed in X-Request-Id and on every error page) and writes one log
// line when it ends. The path is logged without its query string: queries can carry tokens.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../observability/logger.js';

export function requestLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    const requestId = randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const fields = {
        requestId,
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round(performance.now() - started),
        ip: ctx.ip,
      };
      if (ctx.status >= 500) logger.error(fields, 'request failed');
      else logger.info(fields, 'request');
    }
  };
}
