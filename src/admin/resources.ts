// APIs as resources (RFC 8707): create, list, update, delete. Used by the admin CLI; no HTTP here.
// A resource is what an app names with `resource=` to get an access token for an API: its
// identifier becomes the token's audience, its scopes (each with the plain words consent shows)
// are all the token may carry, and its TTL is how long the token lives. Rules:
// - the identifier is an absolute https URI (http only on loopback), without a fragment (RFC 8707
//   §2) or a query (which §2 advises against), unique, and never changes: it is the audience
//   APIs check, so a new identifier is a new resource;
// - a scope is `name` or `name=plain words` (`--scope 'notes:read=Read your notes'`): the name a
//   scope token (RFC 6749 §3.3) without `=`, not one of linkid's own scopes; the words shown on the
//   consent page (the name itself when none are given);
// - the TTL is 60 to 3600 seconds (default 600): JWT access tokens cannot be revoked, so they are short;
// - `--introspect` makes a confidential client that may introspect only this resource's tokens
//   (and has no grant), printed with its secret once; its tokens are then opaque, since
//   oidc-provider cannot introspect JWTs (src/oidc/configuration/resources.ts);
// - deleting a resource deletes its introspection client and removes it from every app allowed it.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Audit } from '../kernel/audit.js';
import type { Clock } from '../kernel/clock.js';
import { isLoopbackHost } from '../kernel/loopback.js';
import { APP_SCOPES } from '../login/app-policy.js';
import { CLIENT_CREDENTIALS_SCOPES } from '../oidc/client-credentials.js';
import { deriveClientSecret, newSecretSalt, toOidcClientMetadata } from '../oidc/client-metadata.js';
import { accessTokenFormatOf, resourceIdsOf } from '../oidc/configuration/resources.js';
import { RESOURCE_TOKEN_SECONDS } from '../oidc/configuration/ttl.js';
import { DuplicateError, type ClientRecord, type ResourceRecord, type ResourceScope, type Store } from '../store/port.js';
import { ADMIN_CLI, type AdminActor } from './admin-actor.js';
import { AdminError } from './admin-error.js';
import { newClientId } from './clients.js';

/** Scopes an API may not take: linkid's own, which mean something else. */
const RESERVED_SCOPES: readonly string[] = [...APP_SCOPES, 'profile', ...CLIENT_CREDENTIALS_SCOPES];

/** A scope token (RFC 6749 §3.3: NQCHAR, no space), without `=`, which separates the words. */
const SCOPE_NAME = /^[\x21\x23-\x3c\x3e-\x5b\x5d-\x7e]{1,64}$/;

/** Words people read on the consent page: no control characters or text-direction overrides. */
const UNSAFE_WORDS = /[\p{Cc}\p{Bidi_Control}]/u;

function identifierProblem(value: string): string | undefined {
  const url = URL.parse(value);
  if (!url || value.length > 2000) return 'is not an absolute URI';
  if (url.hash || value.includes('#')) return 'must not contain a fragment (RFC 8707 §2)';
  if (url.search || value.includes('?')) return 'must not contain a query (RFC 8707 §2)';
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return isLoopbackHost(url.hostname) ? undefined : 'must use https (http is allowed only for localhost)';
  return 'must use https';
}

/** `name` or `name=plain words`, as `--scope` takes it. */
function parseScope(typed: string, ctx: z.RefinementCtx): ResourceScope | undefined {
  const separator = typed.indexOf('=');
  const name = (separator === -1 ? typed : typed.slice(0, separator)).trim();
  const description = separator === -1 ? name : typed.slice(separator + 1).trim();
  const problem = !SCOPE_NAME.test(name)
    ? 'must be a scope name of 1 to 64 printable ASCII characters without spaces, quotes, backslashes or "=", then optionally =plain words'
    : RESERVED_SCOPES.includes(name)
      ? `is one of linkid's own scopes (${RESERVED_SCOPES.join(', ')})`
      : description.length === 0 || description.length > 200
        ? 'must have words of 1 to 200 characters after "="'
        : UNSAFE_WORDS.test(description)
          ? 'must not hold control characters or text-direction overrides'
          : undefined;
  if (problem) {
    ctx.addIssue({ code: 'custom', message: `--scope ${JSON.stringify(typed)} ${problem}` });
    return undefined;
  }
  return { name, description };
}

const scopes = z
  .array(z.string())
  .min(1, { error: `at least one --scope is required (--scope 'notes:read=Read your notes')` })
  .transform((typed, ctx) => {
    const parsed = typed.map((one) => parseScope(one, ctx)).filter((scope): scope is ResourceScope => scope !== undefined);
    const names = parsed.map((scope) => scope.name);
    const twice = names.find((name, index) => names.indexOf(name) !== index);
    if (twice) ctx.addIssue({ code: 'custom', message: `--scope ${twice} is given twice` });
    return parsed;
  });

const ttl = z
  .union(
    [
      z.number(),
      z
        .string()
        .regex(/^\d{1,9}$/, { error: '--ttl must be a whole number of seconds' })
        .transform(Number),
    ],
    {
      error: '--ttl must be a whole number of seconds',
    },
  )
  .pipe(
    z
      .number()
      .int({ error: '--ttl must be a whole number of seconds' })
      .min(RESOURCE_TOKEN_SECONDS.min, { error: `--ttl must be at least ${RESOURCE_TOKEN_SECONDS.min} seconds` })
      .max(RESOURCE_TOKEN_SECONDS.max, { error: `--ttl must be at most ${RESOURCE_TOKEN_SECONDS.max} seconds` }),
  );

export const createResourceInput = z.object({
  identifier: z.string({ error: '--identifier is required' }).superRefine((value, ctx) => {
    const problem = identifierProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `--identifier ${value} ${problem}` });
  }),
  scopes,
  ttl: ttl.optional(),
  introspect: z.boolean().default(false),
});

export const updateResourceInput = z.object({
  scopes: scopes.optional(),
  ttl: ttl.optional(),
  /** true: give it an introspection client (if it has none); false: delete the one it has. */
  introspect: z.boolean().optional(),
});

export type CreateResourceInput = z.input<typeof createResourceInput>;
export type UpdateResourceInput = z.input<typeof updateResourceInput>;

export interface ResourceView {
  id: string;
  identifier: string;
  scopes: ResourceScope[];
  access_token_ttl: number;
  /** jwt: verified offline against /jwks; opaque: introspected by the resource's own client. */
  access_token_format: 'jwt' | 'opaque';
  introspection_client_id: string | null;
  /** Shown once, when the introspection client is made. */
  introspection_client_secret?: string;
  created_at: string;
  updated_at: string;
}

export interface ResourceAdminDeps {
  readonly store: Pick<Store, 'resources' | 'clients'>;
  readonly clock: Clock;
  readonly serverSecret: Buffer;
  /** oidc-provider's validation of client metadata (the introspection client's). */
  readonly validateMetadata: (metadata: Record<string, unknown>) => Promise<void>;
  readonly audit?: Audit;
}

/** Random, URL-safe, and never starting with "-", like a client id. */
const newResourceId = (): string => `rs_${randomBytes(9).toString('base64url')}`;

const invalid = (error: z.ZodError) => new AdminError('invalid_argument', error.issues.map((issue) => issue.message).join('; '));

export function createResourceAdmin({ store, clock, serverSecret, validateMetadata, audit = () => undefined }: ResourceAdminDeps) {
  const view = (resource: ResourceRecord, secret?: string): ResourceView => ({
    id: resource.id,
    identifier: resource.identifier,
    scopes: resource.scopes.map((scope) => ({ ...scope })),
    access_token_ttl: resource.accessTokenTtlSeconds,
    access_token_format: accessTokenFormatOf(resource),
    introspection_client_id: resource.introspectionClientId,
    ...(secret === undefined ? {} : { introspection_client_secret: secret }),
    created_at: new Date(resource.createdAt).toISOString(),
    updated_at: new Date(resource.updatedAt).toISOString(),
  });

  const mustFind = async (id: string) => {
    const resource = await store.resources.find(id);
    if (!resource) throw new AdminError('not_found', `no resource with id ${id}`);
    return resource;
  };

  /** A confidential client with no grant that may introspect this resource's tokens only; its secret, this once. */
  const makeIntrospectionClient = async (resource: Pick<ResourceRecord, 'id' | 'identifier'>, actor: AdminActor) => {
    const now = clock.now();
    const client: ClientRecord = {
      clientId: newClientId(),
      name: `Introspection for ${resource.identifier}`.slice(0, 100),
      redirectUris: [],
      postLogoutRedirectUris: [],
      isPublic: false,
      firstParty: false,
      secretSalt: newSecretSalt(),
      metadata: {},
      settings: { introspects_resource: resource.id },
      createdAt: now,
      updatedAt: now,
    };
    await validateMetadata(toOidcClientMetadata(client, serverSecret));
    await store.clients.create(client);
    audit('client.registered', {
      clientId: client.clientId,
      name: client.name,
      redirectUris: [],
      isPublic: false,
      firstParty: false,
      introspects: resource.id,
      ...actor,
    });
    return { clientId: client.clientId, secret: deriveClientSecret(serverSecret, client.clientId, client.secretSalt ?? '') };
  };

  const deleteIntrospectionClient = async (clientId: string, actor: AdminActor) => {
    if (await store.clients.delete(clientId)) audit('client.deleted', { clientId, ...actor });
  };

  return {
    async create(raw: CreateResourceInput, actor: AdminActor = ADMIN_CLI): Promise<ResourceView> {
      const parsed = createResourceInput.safeParse(raw);
      if (!parsed.success) throw invalid(parsed.error);
      const input = parsed.data;
      if (await store.resources.findByIdentifier(input.identifier)) {
        throw new AdminError('invalid_argument', `--identifier ${input.identifier}: a resource with this identifier exists`);
      }
      const now = clock.now();
      const id = newResourceId();
      const introspection = input.introspect ? await makeIntrospectionClient({ id, identifier: input.identifier }, actor) : undefined;
      const resource: ResourceRecord = {
        id,
        identifier: input.identifier,
        scopes: input.scopes,
        accessTokenTtlSeconds: input.ttl ?? RESOURCE_TOKEN_SECONDS.default,
        introspectionClientId: introspection?.clientId ?? null,
        createdAt: now,
        updatedAt: now,
      };
      try {
        await store.resources.create(resource);
      } catch (error) {
        if (introspection) await deleteIntrospectionClient(introspection.clientId, actor);
        if (error instanceof DuplicateError)
          throw new AdminError('invalid_argument', `--identifier ${input.identifier}: a resource with this identifier exists`);
        throw error;
      }
      audit('resource.created', { resourceId: id, identifier: resource.identifier, scopes: resource.scopes.map((scope) => scope.name), ...actor });
      return view(resource, introspection?.secret);
    },

    async list(): Promise<ResourceView[]> {
      return (await store.resources.list()).map((resource) => view(resource));
    },

    async show(id: string): Promise<ResourceView> {
      return view(await mustFind(id));
    },

    async update(id: string, raw: UpdateResourceInput, actor: AdminActor = ADMIN_CLI): Promise<ResourceView> {
      const parsed = updateResourceInput.safeParse(raw);
      if (!parsed.success) throw invalid(parsed.error);
      const input = parsed.data;
      if (input.scopes === undefined && input.ttl === undefined && input.introspect === undefined) {
        throw new AdminError('invalid_argument', 'nothing to change: give --scope, --ttl, --introspect or --no-introspect');
      }
      const current = await mustFind(id);
      // Its introspection client may have gone by `client delete`: --introspect then makes a new one.
      const hasIntrospectionClient = current.introspectionClientId !== null && (await store.clients.find(current.introspectionClientId)) !== undefined;
      const introspection = input.introspect === true && !hasIntrospectionClient ? await makeIntrospectionClient(current, actor) : undefined;
      const dropIntrospection = input.introspect === false && current.introspectionClientId ? current.introspectionClientId : undefined;
      const changes = {
        ...(input.scopes === undefined ? {} : { scopes: input.scopes }),
        ...(input.ttl === undefined ? {} : { accessTokenTtlSeconds: input.ttl }),
        ...(introspection ? { introspectionClientId: introspection.clientId } : {}),
        ...(dropIntrospection ? { introspectionClientId: null } : {}),
      };
      const now = clock.now();
      if (!(await store.resources.update(id, changes, now))) throw new AdminError('not_found', `no resource with id ${id}`);
      if (dropIntrospection) await deleteIntrospectionClient(dropIntrospection, actor);
      audit('resource.updated', { resourceId: id, identifier: current.identifier, changed: Object.keys(changes), ...actor });
      return view({ ...current, ...changes, updatedAt: now }, introspection?.secret);
    },

    async delete(id: string, actor: AdminActor = ADMIN_CLI): Promise<{ deleted: string }> {
      const resource = await mustFind(id);
      if (!(await store.resources.delete(id))) throw new AdminError('not_found', `no resource with id ${id}`);
      if (resource.introspectionClientId) await deleteIntrospectionClient(resource.introspectionClientId, actor);
      const now = clock.now();
      for (const client of await store.clients.list()) {
        const ids = resourceIdsOf(client);
        if (!ids.includes(id)) continue;
        const settings: Record<string, unknown> = { ...client.settings, resources: ids.filter((other) => other !== id) };
        if (resourceIdsOf({ settings }).length === 0) delete settings.resources;
        await store.clients.update(client.clientId, { settings }, now);
      }
      audit('resource.deleted', { resourceId: id, identifier: resource.identifier, ...actor });
      return { deleted: id };
    },
  };
}

export type ResourceAdmin = ReturnType<typeof createResourceAdmin>;
