// The admin API (/admin/api/): JSON in and out, for scripts holding a service client's token, over
// the same operations as `linkid-admin` (src/admin/*). This file lists the operations; what each
// request goes through is in ../admin-api/operation.ts, who may call in ../admin-api/bearer-token.ts.
// Rules for the whole API:
// - mounted ahead of our other routes and of oidc-provider's, and answers every path under
//   /admin/api/ itself: an unknown path is a JSON 404, a known path with another method a 405;
// - every answer is JSON with `Cache-Control: no-store`, and no answer carries CORS headers: the
//   API is for scripts and servers, never for a page in a browser;
// - every refusal is `{"error": code, "error_description", "field"?, "request_id"}` with the
//   code's status (src/kernel/reasons.ts ADMIN_API_REASONS); nothing unexpected shows more than
//   server_error and the request id.
import { Router } from '@koa/router';
import type { Context, Middleware } from 'koa';
import { AdminError } from '../../admin/admin-error.js';
import type { Services } from '../../services.js';
import { ApiError } from '../admin-api/api-error.js';
import { createBearerCheck } from '../admin-api/bearer-token.js';
import { adminApiDocument } from '../admin-api/openapi.js';
import { operation, runOperation, type Operation } from '../admin-api/operation.js';
import * as schema from '../admin-api/schemas.js';

export const ADMIN_API_PREFIX = '/admin/api/';

const DEFAULT_AUDIT_PAGE = 100;

/** Every operation of the API, in the order the document lists them. */
export function adminApiOperations(document: () => unknown): Operation[] {
  return [
    operation({
      method: 'get',
      path: '/admin/api/clients',
      operationId: 'listClients',
      tag: 'clients',
      summary: 'Every registered client (never a secret)',
      response: schema.clientList,
      responseDescription: 'the clients',
      run: async (_input, admin) => ({ clients: await admin().clients.list() }),
    }),
    operation({
      method: 'post',
      path: '/admin/api/clients',
      operationId: 'registerClient',
      tag: 'clients',
      summary: 'Register an app; its secret is in this answer only',
      body: schema.newClientBody,
      status: 201,
      response: schema.clientView,
      responseDescription: 'the app, with client_secret unless it is public or uses private_key_jwt',
      run: async ({ body }, admin, ctx) => {
        const client = await admin().clients.create({ ...body, metadata: body.metadata ?? {} });
        ctx.set('Location', `${ADMIN_API_PREFIX}clients/${encodeURIComponent(client.client_id)}`);
        return client;
      },
    }),
    operation({
      method: 'get',
      path: '/admin/api/clients/{id}',
      operationId: 'getClient',
      tag: 'clients',
      summary: 'One client (never its secret)',
      params: schema.clientPath,
      response: schema.clientView,
      responseDescription: 'the client',
      run: ({ params }, admin) => admin().clients.show(params.id),
    }),
    operation({
      method: 'patch',
      path: '/admin/api/clients/{id}',
      operationId: 'updateClient',
      tag: 'clients',
      summary: 'Change a client: what is given replaces what is stored',
      params: schema.clientPath,
      body: schema.clientChangesBody,
      response: schema.clientView,
      responseDescription: 'the client as changed (with client_secret only if it now has one it did not have)',
      run: ({ params, body }, admin) => admin().clients.update(params.id, { ...body, metadata: body.metadata ?? {} }),
    }),
    operation({
      method: 'delete',
      path: '/admin/api/clients/{id}',
      operationId: 'deleteClient',
      tag: 'clients',
      summary: 'Delete a client: its tokens stop working at once',
      params: schema.clientPath,
      response: schema.clientDeleted,
      responseDescription: 'the id of the client deleted',
      run: ({ params }, admin) => admin().clients.delete(params.id),
    }),
    operation({
      method: 'post',
      path: '/admin/api/clients/{id}/secret',
      operationId: 'rotateClientSecret',
      tag: 'clients',
      summary: 'Rotate a client secret: the old one stops working, the new one is in this answer only',
      params: schema.clientPath,
      response: schema.clientView,
      responseDescription: 'the client with its new client_secret',
      run: ({ params }, admin) => admin().clients.rotateSecret(params.id),
    }),
    operation({
      method: 'get',
      path: '/admin/api/resources',
      operationId: 'listResources',
      tag: 'resources',
      summary: 'Every API apps may get access tokens for (never a secret)',
      response: schema.resourceList,
      responseDescription: 'the APIs',
      run: async (_input, admin) => ({ resources: await admin().resources.list() }),
    }),
    operation({
      method: 'post',
      path: '/admin/api/resources',
      operationId: 'createResource',
      tag: 'resources',
      summary: "Create an API; its introspection client's secret, if it has one, is in this answer only",
      body: schema.newResourceBody,
      status: 201,
      response: schema.resourceView,
      responseDescription: 'the API',
      run: async ({ body }, admin, ctx) => {
        const resource = await admin().resources.create(body);
        ctx.set('Location', `${ADMIN_API_PREFIX}resources/${encodeURIComponent(resource.id)}`);
        return resource;
      },
    }),
    operation({
      method: 'get',
      path: '/admin/api/resources/{id}',
      operationId: 'getResource',
      tag: 'resources',
      summary: 'One API',
      params: schema.resourcePath,
      response: schema.resourceView,
      responseDescription: 'the API',
      run: ({ params }, admin) => admin().resources.show(params.id),
    }),
    operation({
      method: 'patch',
      path: '/admin/api/resources/{id}',
      operationId: 'updateResource',
      tag: 'resources',
      summary: 'Change an API: its scopes, token lifetime, or whether it introspects',
      params: schema.resourcePath,
      body: schema.resourceChangesBody,
      response: schema.resourceView,
      responseDescription: 'the API as changed (with introspection_client_secret only if its introspection client was made now)',
      run: ({ params, body }, admin) => admin().resources.update(params.id, body),
    }),
    operation({
      method: 'delete',
      path: '/admin/api/resources/{id}',
      operationId: 'deleteResource',
      tag: 'resources',
      summary: 'Delete an API: its introspection client goes, and no app may use it any more',
      params: schema.resourcePath,
      response: schema.resourceDeleted,
      responseDescription: 'the id of the API deleted',
      run: ({ params }, admin) => admin().resources.delete(params.id),
    }),
    operation({
      method: 'get',
      path: '/admin/api/users',
      operationId: 'findUsers',
      tag: 'users',
      summary: 'The account of an address (none or one)',
      query: schema.usersQuery,
      response: schema.userList,
      responseDescription: 'the accounts found',
      run: async ({ query }, admin) => {
        try {
          return { users: [await admin().users.show(query.email)] };
        } catch (error) {
          if (error instanceof AdminError && error.code === 'not_found') return { users: [] };
          throw error;
        }
      },
    }),
    operation({
      method: 'get',
      path: '/admin/api/users/{sub}',
      operationId: 'getUser',
      tag: 'users',
      summary: 'One account, with how many browsers are signed in and to which apps',
      params: schema.userPath,
      response: schema.userView,
      responseDescription: 'the account',
      run: ({ params }, admin) => admin().users.show(params.sub),
    }),
    operation({
      method: 'patch',
      path: '/admin/api/users/{sub}',
      operationId: 'updateUser',
      tag: 'users',
      summary: 'Disable an account (ending everything it holds) or enable it again',
      params: schema.userPath,
      body: schema.userChangesBody,
      response: schema.userChanged,
      responseDescription: 'the account as changed, and what disabling ended',
      run: ({ params, body }, admin) => (body.disabled ? admin().users.disable(params.sub) : admin().users.enable(params.sub)),
    }),
    operation({
      method: 'delete',
      path: '/admin/api/users/{sub}/sessions',
      operationId: 'revokeUserSessions',
      tag: 'users',
      summary: 'Sign an account out everywhere (its recovery codes stay)',
      params: schema.userPath,
      response: schema.sessionsRevoked,
      responseDescription: 'what was ended',
      run: ({ params }, admin) => admin().users.revokeSessions(params.sub),
    }),
    operation({
      method: 'delete',
      path: '/admin/api/users/{sub}',
      operationId: 'deleteUser',
      tag: 'users',
      summary: 'Delete an account, as the account page does; its address leaves the audit trail',
      params: schema.userPath,
      response: schema.userDeleted,
      responseDescription: 'what was deleted and ended',
      run: ({ params }, admin) => admin().users.delete(params.sub),
    }),
    operation({
      method: 'get',
      path: '/admin/api/audit',
      operationId: 'searchAudit',
      tag: 'audit',
      summary: 'Search the audit trail (one of request_id, email, account, client, reason), a page at a time',
      query: schema.auditQuery,
      response: schema.auditPage,
      responseDescription: 'a page of events, oldest first',
      run: ({ query }, admin) =>
        admin().audit.searchPage(
          {
            requestId: query.request_id,
            email: query.email,
            accountId: query.account,
            clientId: query.client,
            reason: query.reason,
            since: query.since,
            until: query.until,
          },
          { limit: query.limit ?? DEFAULT_AUDIT_PAGE, cursor: query.cursor },
        ),
    }),
    operation({
      method: 'get',
      path: '/admin/api/suppressions',
      operationId: 'listSuppressions',
      tag: 'suppressions',
      summary: 'Addresses mail is no longer sent to (bounces, complaints)',
      response: schema.suppressionList,
      responseDescription: 'the suppressions',
      run: async (_input, admin) => ({ suppressions: await admin().suppressions.list() }),
    }),
    operation({
      method: 'delete',
      path: '/admin/api/suppressions/{email}',
      operationId: 'liftSuppression',
      tag: 'suppressions',
      summary: 'Lift a suppression: mail is sent to the address again',
      params: schema.suppressionPath,
      response: schema.suppressionLifted,
      responseDescription: 'the address lifted and why it had been suppressed',
      run: ({ params }, admin) => admin().suppressions.lift(params.email),
    }),
    operation({
      method: 'get',
      path: '/admin/api/openapi.json',
      operationId: 'getOpenApiDocument',
      tag: 'document',
      summary: 'This API as OpenAPI 3.1 (no token needed)',
      response: schema.openApiDocument,
      responseDescription: 'the document',
      public: true,
      run: async () => document(),
    }),
  ];
}

/** `/admin/api/clients/{id}` as the router writes it. */
const routerPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

function asApiError(error: unknown, services: Services, ctx: Context): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof AdminError) return new ApiError(error.code === 'not_found' ? 'not_found' : 'invalid_request', error.message);
  if (services.store.failureKind(error) !== undefined)
    return new ApiError('store_unavailable', 'the store cannot be reached; try again shortly', undefined, { 'Retry-After': '5' });
  services.logger.error({ err: error, requestId: ctx.state.requestId, path: ctx.path }, 'admin api request failed');
  return new ApiError('server_error', 'linkid failed unexpectedly; the request id finds it in the log');
}

export interface AdminApi {
  readonly middleware: Middleware;
  /** The router the middleware dispatches with (its routes are the document's paths). */
  readonly router: Router;
  readonly operations: readonly Operation[];
  document(): ReturnType<typeof adminApiDocument>;
}

export function createAdminApi(services: Services): AdminApi {
  const callerOf = createBearerCheck({ provider: services.provider, clients: services.store.clients, clock: services.clock });
  let made: ReturnType<typeof adminApiDocument> | undefined;
  const document = () => (made ??= adminApiDocument(operations, { issuer: services.config.issuer, version: services.versions.version }));
  const operations = adminApiOperations(document);
  const router = new Router();
  for (const op of operations) {
    router.register(routerPath(op.path), [op.method.toUpperCase()], async (ctx) => {
      const caller = op.public ? undefined : await callerOf(ctx.get('authorization') || undefined);
      const admin = () => {
        if (!caller) throw new Error(`${op.operationId} is public and acts for nobody`);
        return services.adminAs({ via: 'admin-api', actorClientId: caller.clientId });
      };
      await runOperation(op, ctx, admin);
    });
  }
  const routes = router.routes();

  const middleware: Middleware = async (ctx, next) => {
    if (!ctx.path.startsWith(ADMIN_API_PREFIX) && ctx.path !== '/admin/api') {
      await next();
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    try {
      const matched = router.match(ctx.path, ctx.method);
      if (!matched.route) {
        const allowed = [...new Set(matched.path.flatMap((layer) => layer.methods))];
        if (allowed.length > 0)
          throw new ApiError('method_not_allowed', `${ctx.method} is not a method of this path`, undefined, { Allow: allowed.join(', ') });
        throw new ApiError('not_found', 'no such operation: the document at /admin/api/openapi.json lists them');
      }
      await routes(ctx as never, async () => undefined);
    } catch (error) {
      const refusal = asApiError(error, services, ctx);
      if (refusal.status < 500) services.logger.info({ reason: refusal.reason, requestId: ctx.state.requestId, path: ctx.path }, 'admin api refused');
      ctx.status = refusal.status;
      for (const [name, value] of Object.entries(refusal.headers)) ctx.set(name, value);
      ctx.body = {
        error: refusal.reason,
        error_description: refusal.description,
        ...(refusal.field === undefined ? {} : { field: refusal.field }),
        request_id: ctx.state.requestId as string,
      };
    }
  };
  return { middleware, router, operations, document };
}
