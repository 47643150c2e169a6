// linkid's own routes sit in front of oidc-provider's, so every request to the engine's endpoints
// (discovery, JWKS, token, introspection) would first be matched against each of our routes'
// patterns, one regular expression per route, only to find none. Our routes all begin with a
// literal path segment, and a request whose first segment is none of those cannot match one:
// it goes straight on.
import type { Router } from '@koa/router';
import type { Middleware } from 'koa';

const firstSegment = (path: string) => path.split('/', 2)[1]?.toLowerCase() ?? '';

export function ownRoutes<State>(router: Router<State>): Middleware {
  const routes = router.routes() as Middleware;
  const allowedMethods = router.allowedMethods() as Middleware;
  const route = (ctx: Parameters<Middleware>[0], next: () => Promise<unknown>): Promise<unknown> =>
    Promise.resolve(routes(ctx, () => Promise.resolve(allowedMethods(ctx, next))));
  const paths = router.stack.filter((layer) => layer.methods.length > 0).map((layer) => String(layer.path));
  // A pattern in the first segment (a parameter, a wildcard) could match anything: route everything.
  if (paths.some((path) => /^\/?[:*(]/.test(path) || !path.startsWith('/'))) return route;
  // Matching ignores case, as the router's does by default.
  const segments = new Set(paths.map(firstSegment));
  return (ctx, next) => (segments.has(firstSegment(ctx.path)) ? route(ctx, next) : (next() as Promise<unknown>));
}
