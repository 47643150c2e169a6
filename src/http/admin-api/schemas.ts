// What the admin API takes and gives, as zod schemas: the same schemas validate every request at
// the edge (strict: an unknown field is refused) and become its OpenAPI document (openapi.ts).
// Request bodies are the admin operations' own inputs (src/admin/clients.ts createClientFields and
// its rules), made strict, with `metadata` narrowed to the OpenID Connect options `client create`
// takes and without what the API does not hand out (`settings`, `adminApi`: a script cannot make
// or widen a service client).
import { z } from 'zod';
import 'zod-openapi';
import { checkNewClient, createClientFields, updateClientFields } from '../../admin/clients.js';
import { ADMIN_API_REASONS } from '../../kernel/reasons.js';
import { CLIENT_AUTH_METHODS, ID_TOKEN_SIGNING_ALGS } from '../../oidc/configuration/features.js';
import { REQUEST_OBJECT_SIGNING_ALGS } from '../../oidc/configuration/high-security.js';
import { SUBJECT_TYPES } from '../../oidc/configuration/pairwise.js';

const uri = z.string().max(2048);

/** The OIDC options of `client create`/`client update` (src/admin/client-oidc-options.ts checks them); null removes one on update. */
const oidcMetadata = z
  .strictObject({
    token_endpoint_auth_method: z.enum(CLIENT_AUTH_METHODS).optional(),
    jwks_uri: uri.nullable().optional(),
    jwks: z
      .object({ keys: z.array(z.record(z.string(), z.unknown())).max(20) })
      .loose()
      .nullable()
      .optional()
      .meta({ description: "the client's public keys, for private_key_jwt" }),
    id_token_signed_response_alg: z.enum(ID_TOKEN_SIGNING_ALGS).optional(),
    backchannel_logout_uri: uri.nullable().optional(),
    backchannel_logout_session_required: z.boolean().nullable().optional(),
    frontchannel_logout_uri: uri.nullable().optional(),
    // Pairwise subjects and high-security apps (docs/high-security.md).
    subject_type: z.enum(SUBJECT_TYPES).nullable().optional(),
    sector_identifier_uri: uri.nullable().optional(),
    require_pushed_authorization_requests: z.boolean().nullable().optional(),
    dpop_bound_access_tokens: z.boolean().nullable().optional(),
    request_object_signing_alg: z.enum(REQUEST_OBJECT_SIGNING_ALGS).nullable().optional(),
  })
  .meta({
    id: 'OidcOptions',
    description: 'Standard client metadata: how the app authenticates, signs, hears of logouts, names people (subject_type) and sends its requests.',
  });

const newClientFields = z.object(createClientFields).omit({ settings: true, adminApi: true, metadata: true }).shape;

export const newClientBody = z
  .strictObject({ ...newClientFields, metadata: oidcMetadata.optional() })
  .superRefine(checkNewClient)
  .meta({ id: 'NewClient', description: 'An app to register: the options of `linkid-admin client create`.' });

const clientChangeFields = z.object(updateClientFields).omit({ settings: true, metadata: true }).shape;

export const clientChangesBody = z
  .strictObject({ ...clientChangeFields, metadata: oidcMetadata.optional() })
  .meta({ id: 'ClientChanges', description: 'What to change: the options of `linkid-admin client update`; what is left out stays.' });

/** A client id as `client create` makes them, or any id a store holds: printable, no spaces. */
const clientId = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/)
  .meta({ description: 'client_id' });
/** An account's subject identifier (never an address: a sub has no @). */
const sub = z
  .string()
  .regex(/^[^@\s]{1,128}$/)
  .meta({ description: 'the account id (sub), as ID tokens carry it' });
const email = z
  .string()
  .min(3)
  .max(320)
  .regex(/@/, { error: 'must be an address' })
  .meta({ description: 'an address, made canonical as on the sign-in form', example: 'ada@example.com' });

export const clientPath = z.strictObject({ id: clientId });
/** A resource's id as `resource create` makes them (rs_...), or any id a store holds. */
export const resourcePath = z.strictObject({
  id: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/)
    .meta({ description: 'the resource id (rs_...)' }),
});
export const userPath = z.strictObject({ sub });
export const suppressionPath = z.strictObject({ email });

export const usersQuery = z.strictObject({ email });

export const userChangesBody = z
  .strictObject({ disabled: z.boolean().meta({ description: 'true disables the account and ends everything it holds; false enables it again' }) })
  .meta({ id: 'UserChanges' });

/** The most audit events one page holds. */
export const AUDIT_PAGE_MAX = 1000;
const text = (description: string) => z.string().min(1).max(200).meta({ description }).optional();

export const auditQuery = z.strictObject({
  request_id: text('the request id a page or a log line shows'),
  email: text('an address'),
  account: text("an account's sub"),
  client: text("an app's client_id"),
  reason: text('a reason code, such as token_expired'),
  since: text('ISO 8601 time, inclusive'),
  until: text('ISO 8601 time, exclusive'),
  limit: z
    .string()
    .regex(/^[1-9]\d{0,3}$/)
    .transform(Number)
    .pipe(z.number().max(AUDIT_PAGE_MAX))
    .optional()
    .meta({ description: `events in one page, 1 to ${AUDIT_PAGE_MAX} (default 100)` }),
  cursor: z.string().max(200).optional().meta({ description: "the previous page's `next`" }),
});

const time = z.string().meta({ format: 'date-time' });

export const clientView = z
  .object({
    client_id: z.string(),
    client_secret: z.string().optional().meta({ description: 'only when registered or rotated: shown once, never again' }),
    client_name: z.string(),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    token_endpoint_auth_method: z.string(),
    first_party: z.boolean(),
    consent: z.enum(['required', 'skip']),
    accent_text: z.string().optional(),
    admin_api: z.literal(true).optional().meta({ description: 'a service client of this API' }),
    settings: z.record(z.string(), z.unknown()),
    created_at: time,
    updated_at: time,
  })
  .loose()
  .meta({ id: 'Client', description: 'A registered client, with the standard metadata stored with it.' });

export const clientList = z.strictObject({ clients: z.array(clientView) }).meta({ id: 'ClientList' });
export const clientDeleted = z.strictObject({ deleted: z.string() });

// APIs as resources (RFC 8707; src/admin/resources.ts checks every value, with the CLI's words).
const resourceScopes = z
  .array(z.string().max(300))
  .max(100)
  .meta({ description: "the API's scopes, each `name=words` (the words the consent page shows) or `name`", example: ['notes:read=Read your notes'] });
const resourceTtl = z.number().int().meta({ description: 'seconds an access token for the API lives, 60 to 3600 (default 600)' });
const introspect = z.boolean().meta({ description: 'true: the API gets an introspection client and opaque tokens; false: JWTs it verifies offline' });

export const newResourceBody = z
  .strictObject({
    identifier: uri.meta({ description: "the API's URI, its tokens' audience: https (http only on loopback), no query or fragment" }),
    scopes: resourceScopes,
    ttl: resourceTtl.optional(),
    introspect: introspect.optional(),
  })
  .meta({ id: 'NewResource', description: 'An API to create: the options of `linkid-admin resource create`.' });

export const resourceChangesBody = z
  .strictObject({ scopes: resourceScopes.optional(), ttl: resourceTtl.optional(), introspect: introspect.optional() })
  .meta({ id: 'ResourceChanges', description: 'What to change: the options of `linkid-admin resource update`; a scope list given replaces the old one.' });

export const resourceView = z
  .strictObject({
    id: z.string(),
    identifier: z.string(),
    scopes: z.array(z.strictObject({ name: z.string(), description: z.string().optional() })),
    access_token_ttl: z.number(),
    access_token_format: z.enum(['jwt', 'opaque']),
    introspection_client_id: z.string().nullable(),
    introspection_client_secret: z.string().optional().meta({ description: 'only when the introspection client is made: shown once, never again' }),
    created_at: time,
    updated_at: time,
  })
  .meta({ id: 'Resource', description: 'An API apps may get access tokens for.' });

export const resourceList = z.strictObject({ resources: z.array(resourceView) }).meta({ id: 'ResourceList' });
export const resourceDeleted = z.strictObject({ deleted: z.string() });

const revoked = z
  .strictObject({
    sessions: z.number(),
    grants: z.number(),
    authorization_codes: z.number(),
    access_tokens: z.number(),
    refresh_tokens: z.number(),
    held_sign_ins: z.number(),
  })
  .meta({ id: 'Revoked', description: 'What was ended.' });

const userFields = {
  sub: z.string(),
  email: z.string(),
  created_at: time,
  last_login_at: time.nullable(),
  disabled_at: time.nullable(),
};

export const userView = z
  .strictObject({ ...userFields, sessions: z.number(), apps: z.array(z.string()).meta({ description: 'client ids of the apps it is signed in to' }) })
  .meta({ id: 'User' });
export const userList = z.strictObject({ users: z.array(userView) }).meta({ id: 'UserList' });
export const userChanged = z.strictObject({ ...userFields, revoked: revoked.optional() }).meta({ id: 'UserChanged' });
export const sessionsRevoked = z.strictObject({ sub: z.string(), revoked });
export const userDeleted = z.strictObject({ deleted: z.string(), revoked, audit_events_without_address: z.number() });

export const auditPage = z
  .strictObject({
    events: z.array(z.record(z.string(), z.unknown())).meta({ description: 'oldest first, as `linkid-admin audit search` prints them' }),
    next: z.string().optional().meta({ description: 'the cursor of the next page; absent on the last' }),
  })
  .meta({ id: 'AuditPage' });

export const suppressionList = z
  .strictObject({ suppressions: z.array(z.strictObject({ email: z.string(), reason: z.string(), suppressed_at: time })) })
  .meta({ id: 'SuppressionList' });
export const suppressionLifted = z.strictObject({ lifted: z.string(), reason: z.string() });

export const apiError = z
  .strictObject({
    error: z.enum(['invalid_request', 'not_found', 'store_unavailable', 'server_error', ...Object.keys(ADMIN_API_REASONS)]),
    error_description: z.string(),
    field: z.string().optional().meta({ description: 'where in the request: body.redirectUris.0, query.limit, path.id' }),
    request_id: z.string(),
  })
  .meta({ id: 'Error' });

/** The OpenAPI document itself: not described further than being one. */
export const openApiDocument = z.record(z.string(), z.unknown()).meta({ description: 'this document (OpenAPI 3.1)' });
