// RFC 7591 dynamic client registration and RFC 7592 management of a registration, through
// oidc-provider's own registration features (DYNAMIC_REGISTRATION). oidc-provider answers the
// protocol; linkid decides what is stored, through the same rules as `linkid-admin client create`
// (a ClientRegistrar, src/admin/client-registration.ts, handed in by the composition root):
// - the Client model's upsert and destroy (read-only for every other client) hand a registration,
//   an update or a deletion to the registrar, with the request's own metadata;
// - initial access tokens are linkid's (made by `linkid-admin registration-token create`, stored
//   as an HMAC digest with their uses): oidc-provider finds them through the InitialAccessToken
//   model's adapter, and a use is spent by the registrar only once the client has passed every
//   check, in one conditional store write;
// - client ids are made as the CLI makes them, and a secret is derived from a fresh salt as every
//   client's is (client-metadata.ts), so only the salt is stored.
import { createHmac, createSecretKey } from 'node:crypto';
import type Koa from 'koa';
import Provider, { errors, type Adapter, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Clock } from '../kernel/clock.js';
import { deriveKey } from '../secrets/sealing.js';
import type { Store } from '../store/port.js';
import { deriveClientSecret, newSecretSalt } from './client-metadata.js';

/** DYNAMIC_REGISTRATION (src/config/env.ts). */
type DynamicRegistrationMode = 'off' | 'initial-token' | 'open';

/** What a registration is admitted by: the initial access token spent for it, or none in `open` mode. */
export interface Admission {
  readonly initialTokenId: string | null;
}

/** Stores what registration asks for, by the rules every client follows; throws oidc-provider errors (RFC 7591 codes). */
export interface ClientRegistrar {
  register(request: {
    readonly clientId: string;
    /** The metadata as the request sent it (RFC 7591 names). */
    readonly metadata: Readonly<Record<string, unknown>>;
    /** The salt the secret in the response was derived from; none when the client needs no secret. */
    readonly secretSalt: string | undefined;
    /** Spends the initial access token; called after every check has passed, before the client is stored. */
    readonly admit: () => Promise<Admission>;
  }): Promise<void>;
  /** RFC 7592 update: the metadata replaces the client's (what is left out is removed). */
  update(clientId: string, metadata: Readonly<Record<string, unknown>>): Promise<void>;
  remove(clientId: string): Promise<void>;
}

/** The key initial access tokens are stored under: HMAC-SHA256 with a key derived from the server secret. */
export function registrationTokenDigest(serverSecret: Buffer): (token: string) => string {
  const key = createSecretKey(deriveKey(serverSecret, 'linkid registration tokens v1'));
  return (token) => createHmac('sha256', key).update(token).digest('base64url');
}

/** The request oidc-provider is answering (its documented AsyncLocalStorage getter). */
const currentRequest = (): KoaContextWithOIDC | undefined => (Provider as unknown as { ctx?: KoaContextWithOIDC }).ctx;

/** What idFactory and secretFactory decided for a request, for the upsert that follows them. */
const decided = new WeakMap<object, { clientId?: string; secretSalt?: string }>();

function requestBody(ctx: KoaContextWithOIDC | undefined): Record<string, unknown> {
  const body = ctx?.oidc.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? body : {};
}

export interface RegistrationDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly serverSecret: Buffer;
  readonly registrar: ClientRegistrar;
  readonly newClientId: () => string;
}

/** The Client model's adapter: clients come from the store; registration writes go to the registrar. */
export function registeringClientAdapter(read: Pick<Adapter, 'find'>, { store, clock, serverSecret, registrar }: RegistrationDeps): Adapter {
  const digest = registrationTokenDigest(serverSecret);
  const notHere = async () => {
    throw new Error('clients are managed with the admin CLI or by dynamic registration, not through this method');
  };
  return {
    find: read.find,
    async upsert(id, metadata) {
      const ctx = currentRequest();
      if (!ctx) throw new Error('a client is stored only while answering a registration request');
      const body = requestBody(ctx);
      if (ctx.oidc.route === 'registration') {
        const initial = ctx.oidc.entities.InitialAccessToken as { jti?: string } | undefined;
        await registrar.register({
          clientId: id,
          metadata: body,
          secretSalt: typeof metadata.client_secret === 'string' ? decided.get(ctx)?.secretSalt : undefined,
          async admit() {
            if (!initial?.jti) return { initialTokenId: null };
            const spent = await store.registrationTokens.spend(digest(initial.jti), clock.now());
            if (!spent) throw new errors.InvalidToken('initial access token expired, revoked or used up');
            return { initialTokenId: spent.id };
          },
        });
      } else {
        await registrar.update(id, body);
      }
    },
    destroy: (id) => registrar.remove(id),
    consume: notHere,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    revokeByGrantId: async () => undefined,
  };
}

/**
 * The InitialAccessToken model's adapter: linkid's own tokens, found by digest while live (not
 * expired by linkid's clock, not revoked, a use left). They are made by linkid-admin, never by
 * oidc-provider. The payload has no `exp`: whether a token is live is the store's to say.
 */
export function initialAccessTokenAdapter({ store, clock, serverSecret }: Pick<RegistrationDeps, 'store' | 'clock' | 'serverSecret'>): Adapter {
  const digest = registrationTokenDigest(serverSecret);
  const notHere = async () => {
    throw new Error('initial access tokens are made with linkid-admin registration-token create');
  };
  return {
    async find(value) {
      const live = await store.registrationTokens.findLive(digest(value), clock.now());
      return live && { kind: 'InitialAccessToken', jti: value };
    },
    upsert: notHere,
    destroy: notHere,
    consume: notHere,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    revokeByGrantId: async () => undefined,
  };
}

/**
 * oidc-provider's registration features for a mode. RFC 7592 management is on whenever
 * registration is. The registration access token is rotated on every update (oidc-provider's
 * default): a token that leaked stops working the next time its app updates itself, and the new
 * one is in the update's response, where RFC 7592 section 2.2 tells the client to take it from.
 */
export function registrationConfiguration(
  mode: DynamicRegistrationMode,
  { store, serverSecret, newClientId }: Pick<RegistrationDeps, 'store' | 'serverSecret' | 'newClientId'>,
): NonNullable<Configuration['features']> {
  if (mode === 'off') return { registration: { enabled: false }, registrationManagement: { enabled: false } };
  return {
    registration: {
      enabled: true,
      initialAccessToken: mode === 'initial-token',
      idFactory(ctx) {
        const clientId = newClientId();
        decided.set(ctx, { clientId });
        return clientId;
      },
      async secretFactory(ctx) {
        // A new registration's id came from idFactory; an update's client keeps the salt it has.
        const clientId = decided.get(ctx)?.clientId ?? ctx.oidc.client?.clientId;
        if (!clientId) throw new Error('no client id to derive a secret for');
        const secretSalt = (await store.clients.find(clientId))?.secretSalt ?? newSecretSalt();
        decided.set(ctx, { clientId, secretSalt });
        return deriveClientSecret(serverSecret, clientId, secretSalt);
      },
    },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
  };
}

/** The largest registration or update body taken: a client's metadata, even with a JWKS, is a few kilobytes. */
export const REGISTRATION_BODY_LIMIT_BYTES = 32 * 1024;

/**
 * Refuses a registration or an update whose body is larger than the limit with 413, before
 * oidc-provider reads it (its own reader refuses past 56 KiB with a plain 400). oidc-provider reads
 * the raw stream itself, so the size must be declared: a body without Content-Length (chunked) is
 * refused with 411, as RFC 9110 allows, rather than read past the limit.
 */
export const refuseOversizedRegistration = async (ctx: Koa.Context, next: Koa.Next): Promise<void> => {
  if (/^\/reg(\/|$)/i.test(ctx.path) && (ctx.method === 'POST' || ctx.method === 'PUT')) {
    const length = ctx.get('content-length');
    const refusal =
      length === ''
        ? { status: 411, description: 'send the registration with a Content-Length header' }
        : Number(length) > REGISTRATION_BODY_LIMIT_BYTES
          ? { status: 413, description: `the request body is larger than ${REGISTRATION_BODY_LIMIT_BYTES} bytes` }
          : undefined;
    if (refusal) {
      ctx.status = refusal.status;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { error: 'invalid_request', error_description: refusal.description };
      return;
    }
  }
  await next();
};

/** What answerAsStored reads a client by: oidc-provider's Client model, which loads it as every request does. */
interface StoredClients {
  find(clientId: string): Promise<{ metadata(): Record<string, unknown> } | undefined>;
}

/**
 * oidc-provider answers a registration (RFC 7591 201) or an update (RFC 7592 200) with its view of
 * the request, but what linkid stores and applies can differ: REQUIRE_PAR makes every app push,
 * and the registrar keeps what the CLI's rules keep (no `application_type`, for one). The app would
 * be told one thing and held to another, and a read would then contradict the answer. RFC 7591
 * §3.2.1 lets the server replace requested values and says the answer carries those it applied, so
 * the answer is replaced by what a read of the stored client gives, with its own registration
 * access token and URI.
 */
export const answerAsStored =
  (clients: StoredClients) =>
  async (ctx: Koa.Context, next: Koa.Next): Promise<void> => {
    await next();
    // By the engine's route, not the path: its router also takes /REG, /reg/ and /Reg/:clientId.
    const route = (ctx as { oidc?: { route?: unknown } }).oidc?.route;
    const made = (route === 'registration' && ctx.status === 201) || (route === 'client_update' && ctx.status === 200);
    const answer = ctx.body as Record<string, unknown> | null | undefined;
    if (!made || !answer || typeof answer !== 'object' || typeof answer.client_id !== 'string') return;
    const stored = await clients.find(answer.client_id);
    if (!stored) return;
    const { registration_access_token, registration_client_uri } = answer;
    ctx.body = { ...stored.metadata(), registration_access_token, registration_client_uri };
  };
