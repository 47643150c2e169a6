// Discovery and JWKS are functions of the configuration and of the signing keys in force, and
// relying parties, API gateways and caches fetch them on every start, poll and token check. So
// oidc-provider answers the first GET of each, this keeps the JSON it wrote, and later GETs and
// HEADs are answered from it ahead of the routes and the engine, until the keys in force change.
// What must still happen happens before this middleware (request id and log line, the duration
// metric, the security headers, the host check, the keys' refresh); the one header the engine
// makes per request, CORS's reflected Origin, is made here the same way (src/shared/cors.js in
// oidc-provider: the request's Origin, or *, with Vary: Origin). OPTIONS, errors and every other
// path go through as before. Without this the engine's own work was about 45 µs of a discovery
// answer's 110 µs here.
import type { Context, Middleware } from 'koa';

const DOCUMENTS: Readonly<Record<string, string>> = { '/.well-known/openid-configuration': 'discovery', '/jwks': 'jwks' };
/** Headers of the engine's answer that are the same for every request (CORS's are made per request). */
const KEPT = ['content-type', 'cache-control'];

/** Whether `path` is one of the documents kept here: requests for them read no client and leave no work behind. */
export const isKeptDocument = (path: string): boolean => path in DOCUMENTS;

interface Kept {
  readonly version: string;
  readonly body: Buffer;
  readonly headers: readonly (readonly [string, string])[];
}

export function staticDocuments(keysInForce: () => string): Middleware {
  const kept = new Map<string, Kept>();
  const answerFrom = (ctx: Context, route: string, document: Kept) => {
    ctx.state.route = route;
    ctx.status = 200;
    for (const [name, value] of document.headers) ctx.set(name, value);
    if (ctx.response.get('Vary')) ctx.vary('Origin');
    else ctx.set('Vary', 'Origin');
    ctx.set('Access-Control-Allow-Origin', ctx.get('Origin') || '*');
    ctx.body = document.body;
  };
  return async (ctx, next) => {
    const route = DOCUMENTS[ctx.path];
    if (route === undefined || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) {
      await next();
      return;
    }
    const version = keysInForce();
    const document = kept.get(ctx.path);
    if (document?.version === version) {
      answerFrom(ctx, route, document);
      return;
    }
    await next();
    if (ctx.method !== 'GET' || ctx.status !== 200 || ctx.body === null || typeof ctx.body !== 'object' || Buffer.isBuffer(ctx.body)) return;
    const headers = KEPT.flatMap((name) => (ctx.response.get(name) ? [[name, ctx.response.get(name)] as const] : []));
    kept.set(ctx.path, { version, body: Buffer.from(JSON.stringify(ctx.body)), headers });
  };
}
