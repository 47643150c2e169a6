// Tells the off-request scheduler (src/kernel/off-request.ts) when this request's response has
// been written, so the work a request leaves behind (looking its address up, storing a token,
// sending mail) starts only then. Waiting for the next event-loop turn is not enough: middleware
// that still awaits the store after the route has run (security-headers.ts looks the page's app
// up) would let that work start before the response on a networked store, and its timing would
// then tell addresses apart.
import type { ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import type { OffRequest } from '../kernel/off-request.js';

/**
 * 'finish': the last byte was handed to the operating system. 'close' without it: the client hung
 * up first and nothing more will be written; the work goes ahead as if it had waited.
 */
const written = (res: ServerResponse) =>
  new Promise<void>((resolve) => {
    res.once('finish', resolve);
    res.once('close', resolve);
  });

export function workAfterResponse(offRequest: OffRequest): Middleware {
  return (ctx, next) => offRequest.afterResponse(written(ctx.res), next);
}
