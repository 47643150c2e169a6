// APIs as resources: RFC 8707 resource indicators and RFC 9068 JWT access tokens. Rules:
// - `resource=` must name a resource an administrator created (linkid-admin resource create) and
//   the asking app was allowed (`client update --resource ID`, kept in its settings as `resources`):
//   anything else is invalid_target, before any sign-in;
// - a token for a resource carries its identifier as `aud`, only the requested scopes the resource
//   has, and lives the resource's TTL; it is a JWT (`typ: at+jwt`) signed with the OP's own keys, so
//   the API verifies it offline against /jwks;
// - except for a resource made with --introspect: oidc-provider stores nothing of a JWT access
//   token and refuses any JWT at the introspection endpoint (unsupported_token_type), so such a
//   resource gets opaque tokens, stored like every other token, that its own client introspects;
// - an app that named a resource at /auth gets the token for it at the token endpoint even without
//   repeating `resource=` (useGrantedResource); an app that named none keeps today's opaque token
//   for userinfo;
// - a service client made with --grant-type client_credentials that may use exactly one resource
//   gets a token for it without naming it; with several it must name one;
// - a refresh whose resource would be refused is refused before its refresh token is spent
//   (refreshTargetCheck).
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { ClientRecord, ResourceRecord, Store } from '../../store/port.js';
import { isResourceServiceClient } from '../client-credentials.js';

type ResourceIndicators = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;

/** The ids of the resources an app may get tokens for (`client create|update --resource ID`). */
export function resourceIdsOf(client: Partial<Pick<ClientRecord, 'settings'>>): string[] {
  const ids = client.settings?.resources;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}

/** The id of the resource a client introspects for (made by `resource create --introspect`), if it is such a client. */
export function introspectedResourceOf(client: Partial<Pick<ClientRecord, 'settings'>>): string | undefined {
  const id = client.settings?.introspects_resource;
  return typeof id === 'string' ? id : undefined;
}

/** Whether a resource's tokens are opaque (it introspects them) or JWTs (its API verifies them offline). */
export const accessTokenFormatOf = (resource: Pick<ResourceRecord, 'introspectionClientId'>): 'opaque' | 'jwt' =>
  resource.introspectionClientId ? 'opaque' : 'jwt';

export interface ResourceDeps {
  readonly store: Pick<Store, 'resources' | 'clients'>;
  /** The algorithm JWT access tokens are signed with: one the key ring holds a key for. */
  readonly signingAlg: 'RS256' | 'ES256' | 'EdDSA';
}

/** What oidc-provider is told of a resource an app asks for; InvalidTarget for one unknown, or not the app's. */
function resourceServerInfo({ store, signingAlg }: ResourceDeps) {
  const allowedResource = async (identifier: string, clientId: string): Promise<ResourceRecord> => {
    const resource = await store.resources.findByIdentifier(identifier);
    if (!resource) throw new errors.InvalidTarget('the resource is unknown');
    const client = await store.clients.find(clientId);
    if (!client || !resourceIdsOf(client).includes(resource.id)) throw new errors.InvalidTarget('the client may not use this resource');
    return resource;
  };
  return async (_ctx: KoaContextWithOIDC, identifier: string, client: { clientId: string }) => {
    const resource = await allowedResource(identifier, client.clientId);
    const format = accessTokenFormatOf(resource);
    return {
      scope: resource.scopes.map((scope) => scope.name).join(' '),
      audience: resource.identifier,
      accessTokenTTL: resource.accessTokenTtlSeconds,
      accessTokenFormat: format,
      ...(format === 'jwt' ? { jwt: { sign: { alg: signingAlg } } } : {}),
    };
  };
}

export function resourceIndicatorsConfiguration(deps: ResourceDeps): ResourceIndicators {
  const { store } = deps;
  /** The one resource a service client gets without naming it at the token endpoint. */
  const serviceClientResource = async (ctx: KoaContextWithOIDC, clientId: string): Promise<string | undefined> => {
    if (ctx.oidc.route !== 'token' || ctx.oidc.params?.grant_type !== 'client_credentials') return undefined;
    const client = await store.clients.find(clientId);
    if (!client || !isResourceServiceClient(client)) return undefined;
    const ids = resourceIdsOf(client);
    if (ids.length !== 1) throw new errors.InvalidTarget(ids.length === 0 ? 'the client may use no resource' : 'name the resource: the client may use several');
    const resource = await store.resources.find(ids[0] ?? '');
    if (!resource) throw new errors.InvalidTarget('the client may use no resource');
    return resource.identifier;
  };

  return {
    enabled: true,
    getResourceServerInfo: resourceServerInfo(deps),
    async defaultResource(ctx, client, oneOf) {
      if (oneOf) return oneOf.length === 1 ? oneOf[0] : oneOf;
      return serviceClientResource(ctx, client.clientId);
    },
    // The app asked for the API at /auth: its token is the API's, whether or not it repeats resource=.
    useGrantedResource: () => true,
  };
}

/** What a refresh token knows of its resources (oidc-provider's RefreshToken). */
interface RefreshTokenResources {
  readonly resource?: string | string[];
  readonly resourceIndicators: ReadonlySet<string>;
}

/**
 * oidc-provider spends a rotated refresh token (rotateRefreshToken, then consume) before it works
 * out the access token's resource, so a refresh naming a resource the app may not use (unknown,
 * never granted, or taken from the app since) would answer invalid_target with the token already
 * spent: the app keeps the old one, and its next refresh, a replay, revokes the whole grant. This
 * runs from rotateRefreshToken, just before the spend, and refuses the same requests first: the
 * resource chosen as oidc-provider chooses it with this configuration (the one named, else the
 * granted one, since useGrantedResource is always true; several is refused), then the same
 * getResourceServerInfo the access token will get.
 */
export function refreshTargetCheck(deps: ResourceDeps) {
  const getResourceServerInfo = resourceServerInfo(deps);
  return async (ctx: KoaContextWithOIDC): Promise<void> => {
    const token = ctx.oidc.entities.RefreshToken as RefreshTokenResources | undefined;
    const client = ctx.oidc.client;
    if (!token || !client) return;
    const named = ctx.oidc.params?.resource as string | string[] | undefined;
    let resource = named || token.resource;
    if (!named && (resource === undefined || (Array.isArray(resource) && resource.length === 0))) return;
    if (Array.isArray(resource)) {
      if (resource.length !== 1)
        throw new errors.InvalidTarget('only a single resource indicator value must be requested/resolved during Access Token Request');
      resource = resource[0];
    }
    if (!resource) return;
    if (!token.resourceIndicators.has(resource)) throw new errors.InvalidTarget();
    await getResourceServerInfo(ctx, resource, client);
  };
}

/** The identifier of the API whose tokens `clientId` may introspect, if it is that API's introspection client. */
export function introspectedAudience(store: Pick<Store, 'resources' | 'clients'>) {
  return async (clientId: string): Promise<string | undefined> => {
    const client = await store.clients.find(clientId);
    const resourceId = client && introspectedResourceOf(client);
    if (resourceId === undefined) return undefined;
    const resource = await store.resources.find(resourceId);
    return resource?.introspectionClientId === clientId ? resource.identifier : undefined;
  };
}
