// The engine linkid wraps, bare: oidc-provider 9 with its in-memory adapter and its development
// login form (any login, no password check), signing with linkid's own keys (read from linkid's
// key file) and serving the same client, scopes, claims, lifetimes and features as linkid. The
// difference between the two is what linkid adds: its store, its pages, its checks and its logs.
//
// With STORE_DIR set it keeps its artefacts (sessions, grants, codes, tokens, interactions) in
// linkid's own SQLite store through linkid's own adapter (digested ids, sealed members) instead of
// in memory: the engine and linkid's store, without linkid's pages, checks and logs. Clients stay
// static. Compared with the in-memory run, it says what durable storage alone costs.
//
// With PLAIN_STORE_DIR set instead it keeps them in a plain SQLite table (./plain-sqlite-adapter.ts:
// no digests, no sealing): the engine on the durable store a deployment would write first, the
// anchor for linkid's store-bound figures (issue 28).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type * as LinkidAdapter from '../../src/oidc/adapter.ts';
import type * as LinkidSqlite from '../../src/store/sqlite/index.ts';
import { plainSqliteAdapter } from './plain-sqlite-adapter.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`bare-provider: ${name} is not set`);
  return value;
};

const issuer = env('ISSUER');
const jwks = JSON.parse(fs.readFileSync(env('SIGNING_KEYS_FILE'), 'utf8')) as NonNullable<Configuration['jwks']>;
const clients = JSON.parse(env('CLIENTS')) as NonNullable<Configuration['clients']>;
const HOUR = 3600;
const THIRTY_DAYS = 30 * 24 * HOUR;
const ownTokenOnly = async (_ctx: KoaContextWithOIDC, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId;

/** linkid's adapter over linkid's SQLite store, from the built tree the bench runs (dist/). */
async function linkidAdapter(storeDir: string): Promise<NonNullable<Configuration['adapter']>> {
  const dist = (file: string) => pathToFileURL(path.resolve(import.meta.dirname, '../../dist', file)).href;
  const { createAdapterFactory } = (await import(dist('oidc/adapter.js'))) as typeof LinkidAdapter;
  const { openSqliteStore } = (await import(dist('store/sqlite/index.js'))) as typeof LinkidSqlite;
  return createAdapterFactory(openSqliteStore(storeDir), { now: () => Date.now() }, randomBytes(32));
}

const storeDir = process.env.STORE_DIR;
const plainStoreDir = process.env.PLAIN_STORE_DIR;
const configuration: Configuration = {
  ...(storeDir ? { adapter: await linkidAdapter(storeDir) } : plainStoreDir ? { adapter: plainSqliteAdapter(plainStoreDir) } : {}),
  clients,
  jwks,
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, email: sub, email_verified: true }) }),
  responseTypes: ['code'],
  pkce: { required: () => true },
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
  features: {
    devInteractions: { enabled: true },
    userinfo: { enabled: true },
    revocation: { enabled: true, allowedPolicy: ownTokenOnly },
    introspection: { enabled: true, allowedPolicy: ownTokenOnly },
    rpInitiatedLogout: { enabled: true },
  },
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256', 'ES256'],
    userinfoSigningAlgValues: ['RS256', 'ES256'],
    introspectionSigningAlgValues: ['RS256', 'ES256'],
  },
  rotateRefreshToken: () => true,
  issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'] },
  scopes: ['openid', 'offline_access', 'email'],
  conformIdTokenClaims: true,
  ttl: { AccessToken: HOUR, AuthorizationCode: 60, IdToken: HOUR, Interaction: HOUR, Session: 14 * 24 * HOUR, Grant: THIRTY_DAYS, RefreshToken: THIRTY_DAYS },
};

const provider = new Provider(issuer, configuration);
http.createServer(provider.callback()).listen(Number(env('PORT')), '127.0.0.1');
// A clean exit on SIGTERM, so `node --cpu-prof` writes its profile (bench/profile.ts).
process.once('SIGTERM', () => process.exit(0));
