// One operation of the admin API: its method and path, the zod schemas of its path parameters,
// query and body, what it answers, and what it does. The router (routes/admin-api.ts) and the
// OpenAPI document (openapi.ts) are both made from the same list of these, so neither can describe
// a route the other lacks. Rules, in the order a request meets them:
// - the bearer token first (bearer-token.ts), so nothing about the request is told to a caller
//   who may not make it;
// - then path, query and body, each through its strict schema: the first problem is a 400 with
//   the reason code and its field (`path.id`, `query.limit`, `body.redirectUris.0`); an operation
//   without a query or body refuses any;
// - then the admin operation (src/admin/*), built for this caller so its audit events name them.
import type { Context } from 'koa';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { ApiError } from './api-error.js';
import { readJsonBody } from './json-body.js';

export type Method = 'get' | 'post' | 'patch' | 'delete';

/** The administrator's operations, for this caller (services.adminAs). */
export type AdminOperations = ReturnType<Services['adminAs']>;

interface Input<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly params: z.output<P>;
  readonly query: z.output<Q>;
  readonly body: z.output<B>;
}

interface OperationSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly method: Method;
  /** OpenAPI form: /admin/api/clients/{id}. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: 'clients' | 'resources' | 'users' | 'audit' | 'suppressions' | 'document';
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** 201 for a registration, 200 otherwise. */
  readonly status?: 200 | 201;
  readonly response: z.ZodType;
  readonly responseDescription: string;
  /** Answered without a token (the OpenAPI document alone). */
  readonly public?: true;
  /** `admin()` builds the operations for the caller (never called by a public operation, which has none). */
  readonly run: (input: Input<P, Q, B>, admin: () => AdminOperations, ctx: Context) => Promise<unknown>;
}

/** An operation with its types erased, as the router and the document list them. */
export interface Operation {
  readonly method: Method;
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: z.ZodType;
  readonly query: z.ZodType;
  readonly body?: z.ZodType;
  readonly status: 200 | 201;
  readonly response: z.ZodType;
  readonly responseDescription: string;
  readonly public: boolean;
  readonly run: (input: Input<z.ZodType, z.ZodType, z.ZodType>, admin: () => AdminOperations, ctx: Context) => Promise<unknown>;
}

const NO_QUERY = z.strictObject({});

export function operation<P extends z.ZodType = z.ZodNever, Q extends z.ZodType = z.ZodNever, B extends z.ZodType = z.ZodNever>(
  spec: OperationSpec<P, Q, B>,
): Operation {
  return {
    ...spec,
    query: spec.query ?? NO_QUERY,
    status: spec.status ?? 200,
    public: spec.public ?? false,
    run: spec.run,
  };
}

/** The first problem of a parse, as a 400 naming its field. */
function parsed<T extends z.ZodType>(schema: T, value: unknown, where: 'path' | 'query' | 'body'): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const field = [where, ...(issue?.path ?? []).map(String), ...(unknownKey === undefined ? [] : [unknownKey])].join('.');
  const message = unknownKey === undefined ? (issue?.message ?? 'is invalid') : 'is not a field of this request';
  throw new ApiError('invalid_request', `${field}: ${message}`, field);
}

/** Reads and checks the request as `op` takes it, and runs it with the operations of its caller. */
export async function runOperation(op: Operation, ctx: Context, admin: () => AdminOperations) {
  const params = op.params ? parsed(op.params, ctx.params, 'path') : undefined;
  const query = parsed(op.query, ctx.query, 'query');
  const raw = await readJsonBody(ctx);
  if (!op.body && raw !== undefined) throw new ApiError('invalid_request', 'body: this request takes no body', 'body');
  if (op.body && raw === undefined) throw new ApiError('invalid_request', 'body: this request needs a JSON body', 'body');
  const body = op.body ? parsed(op.body, raw, 'body') : undefined;
  const result = await op.run({ params, query, body }, admin, ctx);
  ctx.status = op.status;
  ctx.body = result;
}
