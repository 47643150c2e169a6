#!/usr/bin/env node
// `npx linkid-admin client ...|user ...|suppression ...|audit ...|registration-token ...` (package.json
// `bin`): manages clients, accounts, the mail suppression list and dynamic registration's initial
// access tokens, and reads the audit trail, in the same store
// the server uses (safe while it runs). Results go to stdout as JSON only: one document, or JSON
// lines for lists that can grow (accounts, suppressions, audit events). Errors are one line on stderr and a non-zero exit; the
// commands' own audit events are JSON log lines on stderr, and stored in the trail. The shebang
// survives tsc, so dist/cli/linkid-admin.js is the executable npm links as `linkid-admin`.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { AdminError } from '../admin/admin-error.js';
import type { AuditAdmin } from '../admin/audit.js';
import { oidcMetadataFromFlags } from '../admin/client-oidc-options.js';
import type { ClientAdmin } from '../admin/clients.js';
import type { RegistrationTokenAdmin } from '../admin/registration-tokens.js';
import type { ResourceAdmin } from '../admin/resources.js';
import { backupStore, migrateStore, migrationPlan, restoreStore } from '../admin/store-maintenance.js';
import type { KeyAdmin } from '../admin/keys.js';
import type { SuppressionAdmin } from '../admin/suppressions.js';
import type { UserAdmin } from '../admin/users.js';
import { ConfigError, loadConfig, type Config } from '../config/env.js';
import { systemClock } from '../kernel/clock.js';
import { createTransport } from '../mail/transport-from-config.js';
import { createLogger } from '../observability/logger.js';
import { loadOrCreateSecrets } from '../secrets/key-files.js';
import { createServices } from '../services.js';
import { openStore } from '../store/open-store.js';
import { StoreConnectionError } from '../store/port.js';

const USAGE = `usage:
  linkid-admin client create --name NAME --redirect-uri URI [--redirect-uri URI2] [--post-logout-redirect-uri URI] [--public] [--first-party] [--device-flow] [APP OPTIONS] [OIDC OPTIONS]
  linkid-admin client create --name NAME --device-flow [--public] [APP OPTIONS] [OIDC OPTIONS]   (an app on a device without a browser: RFC 8628, no redirect URI)
  linkid-admin client create --name NAME --admin-api [--token-endpoint-auth-method METHOD]   (a service client of the admin API: client credentials, scope linkid:admin)
  linkid-admin client update CLIENT_ID [--name NAME] [--redirect-uri URI ...] [--post-logout-redirect-uri URI ...] [--first-party | --no-first-party] [--device-flow | --no-device-flow] [APP OPTIONS] [OIDC OPTIONS]
    APP OPTIONS: [--signup open|allowlist|closed|inherit] [--signup-domains D1,D2] [--link-ttl SECONDS]
      [--consent required|skip] [--scope S ...] [--logo-uri URL] [--accent-color #rrggbb] [--support-email EMAIL]
      [--policy-uri URL] [--tos-uri URL]   (on update, an empty value removes a branding option)
    OIDC OPTIONS: [--token-endpoint-auth-method client_secret_basic|client_secret_post|client_secret_jwt|private_key_jwt|none]
      [--jwks-uri URL | --jwks FILE|JSON] [--id-token-signed-response-alg RS256|ES256|EdDSA]
      [--backchannel-logout-uri URL] [--backchannel-logout-session-required | --no-backchannel-logout-session-required]
      [--frontchannel-logout-uri URL]
      [--subject-type public|pairwise] [--sector-identifier-uri URL]   (pairwise: a 'sub' no other app sees; on update, changing
      the subject type or sector is refused unless --allow-sub-change is given: every person gets a new 'sub' in the app)
      [--require-par | --no-require-par] [--require-dpop | --no-require-dpop]
      [--request-object-signing-alg RS256|PS256|ES256|EdDSA|Ed25519|HS256]   (docs/high-security.md; on update, an empty value removes it)
  linkid-admin client list
  linkid-admin client delete CLIENT_ID
  linkid-admin client rotate-secret CLIENT_ID
  linkid-admin user list [--email-contains TEXT] [--limit N] [--after EMAIL]
  linkid-admin user show|disable|enable|revoke-sessions|delete (EMAIL | SUB)
  linkid-admin user show (EMAIL | SUB) --client CLIENT_ID   (SUB as that app knows it, pairwise or not; shows the app's 'sub' too)
  linkid-admin suppression list
  linkid-admin suppression lift EMAIL
  linkid-admin audit search (--request-id ID | --email EMAIL | --account SUB | --client CLIENT_ID | --reason REASON) [--since ISO] [--until ISO]
  linkid-admin audit replay (--interaction ID | --request-id ID)
  linkid-admin audit export --since ISO [--until ISO]
  linkid-admin registration-token create [--expires-in 1d] [--uses N]   (an initial access token for DYNAMIC_REGISTRATION=initial-token, shown once)
  linkid-admin registration-token list
  linkid-admin registration-token revoke TOKEN_ID
  linkid-admin backup FILE            (SQLite: an online, consistent copy of the store; FILE must not exist)
  linkid-admin restore FILE           (SQLite: refused while a server or command has the store open)
  linkid-admin migrate [--dry-run]    (bring the store to this release's schema now, or only say what would change)
  linkid-admin keys list
  linkid-admin keys rotate [--alg RS256|ES256|EdDSA|all]   (published now, signing after KEY_PUBLISH_AHEAD_SECONDS)
  linkid-admin keys retire KID   (stops signing now; stays in /jwks until its tokens have expired)
  linkid-admin resource create --identifier URI --scope S[=WORDS] [--scope S2[=WORDS]] [--ttl SECONDS] [--introspect]
    (an API apps get JWT access tokens for with resource=URI; WORDS are what the consent page shows; --ttl 60..3600, default 600;
     --introspect: a client that may introspect this API's tokens, printed with its secret once; the tokens are then opaque)
  linkid-admin resource list
  linkid-admin resource update RESOURCE_ID [--scope S[=WORDS] ...] [--ttl SECONDS] [--introspect | --no-introspect]
  linkid-admin resource delete RESOURCE_ID
    RESOURCE OPTIONS of client create|update: [--resource RESOURCE_ID|URI ...]   (the APIs the app may get tokens for; --resource '' clears)
      client create --name NAME --grant-type client_credentials --resource RESOURCE_ID [--token-endpoint-auth-method METHOD]
      (a service client of APIs: client credentials only, no person, no refresh token)`;

class UsageError extends Error {}

type Output = { readonly document: unknown } | { readonly lines: readonly unknown[] | AsyncIterable<unknown> };

interface Admins {
  readonly clients: ClientAdmin;
  readonly users: UserAdmin;
  readonly suppressions: SuppressionAdmin;
  readonly audit: AuditAdmin;
  readonly registrationTokens: RegistrationTokenAdmin;
  readonly keys: KeyAdmin;
  readonly resources: ResourceAdmin;
}

const OPTIONS = {
  name: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  public: { type: 'boolean' },
  'first-party': { type: 'boolean' },
  'no-first-party': { type: 'boolean' },
  'device-flow': { type: 'boolean' },
  'no-device-flow': { type: 'boolean' },
  'email-contains': { type: 'string' },
  limit: { type: 'string' },
  after: { type: 'string' },
  signup: { type: 'string' },
  'signup-domains': { type: 'string' },
  'link-ttl': { type: 'string' },
  consent: { type: 'string' },
  scope: { type: 'string', multiple: true },
  'logo-uri': { type: 'string' },
  'accent-color': { type: 'string' },
  'support-email': { type: 'string' },
  'policy-uri': { type: 'string' },
  'tos-uri': { type: 'string' },
  'token-endpoint-auth-method': { type: 'string' },
  'jwks-uri': { type: 'string' },
  jwks: { type: 'string' },
  'id-token-signed-response-alg': { type: 'string' },
  'backchannel-logout-uri': { type: 'string' },
  'backchannel-logout-session-required': { type: 'boolean' },
  'no-backchannel-logout-session-required': { type: 'boolean' },
  'frontchannel-logout-uri': { type: 'string' },
  'require-par': { type: 'boolean' },
  'no-require-par': { type: 'boolean' },
  'require-dpop': { type: 'boolean' },
  'no-require-dpop': { type: 'boolean' },
  'request-object-signing-alg': { type: 'string' },
  'request-id': { type: 'string' },
  interaction: { type: 'string' },
  email: { type: 'string' },
  account: { type: 'string' },
  client: { type: 'string' },
  reason: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'expires-in': { type: 'string' },
  uses: { type: 'string' },
  alg: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  'admin-api': { type: 'boolean' },
  'subject-type': { type: 'string' },
  'sector-identifier-uri': { type: 'string' },
  'allow-sub-change': { type: 'boolean' },
  // APIs as resources: `resource ...`, and --resource / --grant-type of `client create|update`.
  identifier: { type: 'string' },
  ttl: { type: 'string' },
  introspect: { type: 'boolean' },
  'no-introspect': { type: 'boolean' },
  resource: { type: 'string', multiple: true },
  'grant-type': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

/**
 * `--interaction -Ab3…` as `--interaction=-Ab3…`: interaction uids, account ids and request ids
 * are random and may start with a dash, which parseArgs would otherwise read as another option.
 * The value after an option that takes one is always that option's value. Likewise a sub given
 * as an argument (`user show -Ab3…`): a single-dash word other than -h is an argument, passed
 * after `--` so parseArgs keeps it as one.
 */
function joinOptionValues(argv: readonly string[]): string[] {
  const joined: string[] = [];
  const dashed: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i] ?? '';
    const name = token.startsWith('--') ? token.slice(2) : undefined;
    const next = argv[i + 1];
    if (token === '--') {
      dashed.push(...argv.slice(i + 1));
      break;
    } else if (name && name in OPTIONS && OPTIONS[name as keyof typeof OPTIONS].type === 'string' && next !== undefined) {
      joined.push(`${token}=${next}`);
      i += 1;
    } else if (/^-[^-]/.test(token) && token !== '-h') {
      dashed.push(token);
    } else {
      joined.push(token);
    }
  }
  return dashed.length > 0 ? [...joined, '--', ...dashed] : joined;
}

async function run(admins: Admins, argv: string[]): Promise<Output> {
  const { values, positionals } = parseArgs({ args: joinOptionValues(argv), allowPositionals: true, strict: true, options: OPTIONS });
  const [resource, command, id, ...extra] = positionals;
  if (values.help) throw new UsageError('');
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  switch (resource) {
    case 'client':
      return { document: await runClient(admins.clients, command, id, values) };
    case 'user':
      return runUser(admins.users, command, id, values);
    case 'suppression':
      return runSuppression(admins.suppressions, command, id, values);
    case 'audit':
      if (id) throw new UsageError(`unexpected argument: ${id}`);
      return runAudit(admins.audit, command, values);
    case 'registration-token':
      return { document: await runRegistrationToken(admins.registrationTokens, command, id, values) };
    case 'keys':
      return runKeys(admins.keys, command, id, values);
    case 'resource':
      return { document: await runResource(admins.resources, command, id, values) };
    default:
      throw new UsageError(resource ? `unknown resource: ${resource}` : 'missing command');
  }
}

/** The per-app policy and branding options, as `client create` and `client update` both take them. */
const appOptionsOf = (values: Values) => ({
  signup: values.signup as never,
  signupDomains: values['signup-domains'],
  linkTtlSeconds: values['link-ttl'],
  consent: values.consent as never,
  scopes: values.scope,
  logoUri: values['logo-uri'],
  accentColor: values['accent-color'],
  supportEmail: values['support-email'],
  policyUri: values['policy-uri'],
  tosUri: values['tos-uri'],
  resources: values.resource,
});

async function runClient(admin: ClientAdmin, command: string | undefined, id: string | undefined, values: Values): Promise<unknown> {
  const needsId = () => {
    if (!id) throw new UsageError(`client ${command} needs a CLIENT_ID`);
    return id;
  };
  switch (command) {
    case 'create':
      if (id) throw new UsageError(`unexpected argument: ${id}`);
      if (values['admin-api'])
        return admin.create({ name: values.name ?? '', adminApi: true, grantType: values['grant-type'] as never, ...serviceClientOptions(values) });
      if (values['allow-sub-change']) throw new UsageError('--allow-sub-change is for client update (a new app has no users yet)');
      if (values['no-device-flow'])
        throw new UsageError('--no-device-flow is for client update (an app is made without the device flow unless --device-flow is given)');
      return admin.create({
        name: values.name ?? '',
        grantType: values['grant-type'] as never,
        redirectUris: values['redirect-uri'] ?? [],
        postLogoutRedirectUris: values['post-logout-redirect-uri'] ?? [],
        isPublic: values.public ?? false,
        firstParty: values['first-party'],
        deviceFlow: values['device-flow'] ?? false,
        ...appOptionsOf(values),
        metadata: oidcMetadata(values),
      });
    case 'update': {
      if (values['admin-api']) throw new UsageError('--admin-api is for client create (a client cannot become, or stop being, a service client)');
      if (values['grant-type']) throw new UsageError('--grant-type is for client create (a client cannot become, or stop being, a service client)');
      if (values['first-party'] && values['no-first-party']) throw new UsageError('--first-party and --no-first-party contradict each other');
      if (values.public) throw new UsageError('--public cannot be changed: register a new client instead');
      if (values['device-flow'] && values['no-device-flow']) throw new UsageError('--device-flow and --no-device-flow contradict each other');
      return admin.update(needsId(), {
        name: values.name,
        redirectUris: values['redirect-uri'],
        postLogoutRedirectUris: values['post-logout-redirect-uri'],
        firstParty: values['first-party'] ? true : values['no-first-party'] ? false : undefined,
        deviceFlow: values['device-flow'] ? true : values['no-device-flow'] ? false : undefined,
        ...appOptionsOf(values),
        metadata: oidcMetadata(values),
        ...(values['allow-sub-change'] ? { allowSubjectChange: true } : {}),
      });
    }
    case 'list':
      return admin.list();
    case 'delete':
      return admin.delete(needsId());
    case 'rotate-secret':
      return admin.rotateSecret(needsId());
    default:
      throw new UsageError(command ? `unknown command: client ${command}` : 'missing command');
  }
}

/**
 * `client create --admin-api`: every other flag given is handed on, so the one line that refuses it
 * names it (a service client takes no redirect URI, is never public, ...).
 */
const serviceClientOptions = (values: Values) => ({
  redirectUris: values['redirect-uri'],
  postLogoutRedirectUris: values['post-logout-redirect-uri'],
  isPublic: values.public,
  firstParty: values['first-party'],
  deviceFlow: values['device-flow'],
  ...appOptionsOf(values),
  metadata: oidcMetadata(values),
});

async function runUser(admin: UserAdmin, command: string | undefined, who: string | undefined, values: Values): Promise<Output> {
  const allowed: readonly string[] = command === 'list' ? ['email-contains', 'limit', 'after'] : command === 'show' ? ['client'] : [];
  const option = Object.keys(values).find((name) => name !== 'help' && !allowed.includes(name));
  if (option) throw new UsageError(`--${option} is not an option of user ${command ?? ''}`.trimEnd());
  const needsWho = () => {
    if (who === undefined) throw new UsageError(`user ${command ?? ''} needs an EMAIL or a SUB`);
    return who;
  };
  switch (command) {
    case 'list':
      if (who !== undefined) throw new UsageError(`unexpected argument: ${who}`);
      return { lines: admin.list({ emailContains: values['email-contains'], after: values.after, limit: values.limit }) };
    case 'show':
      return { document: values.client === undefined ? await admin.show(needsWho()) : await admin.showForApp(needsWho(), values.client) };
    case 'disable':
      return { document: await admin.disable(needsWho()) };
    case 'enable':
      return { document: await admin.enable(needsWho()) };
    case 'revoke-sessions':
      return { document: await admin.revokeSessions(needsWho()) };
    case 'delete':
      return { document: await admin.delete(needsWho()) };
    default:
      throw new UsageError(command ? `unknown command: user ${command}` : 'missing command');
  }
}

/** The OIDC option flags as metadata changes; a contradiction among them is a usage error. */
function oidcMetadata(values: Values): Record<string, unknown> {
  try {
    return oidcMetadataFromFlags(values);
  } catch (error) {
    throw new AdminError('invalid_argument', (error as Error).message);
  }
}

async function runSuppression(admin: SuppressionAdmin, command: string | undefined, email: string | undefined, values: Values): Promise<Output> {
  const option = Object.keys(values).find((name) => name !== 'help');
  if (option) throw new UsageError(`--${option} is not an option of suppression ${command ?? ''}`.trimEnd());
  switch (command) {
    case 'list':
      if (email) throw new UsageError(`unexpected argument: ${email}`);
      return { lines: await admin.list() };
    case 'lift':
      if (!email) throw new UsageError('suppression lift needs an EMAIL');
      return { document: await admin.lift(email) };
    default:
      throw new UsageError(command ? `unknown command: suppression ${command}` : 'missing command');
  }
}

const AUDIT_OPTIONS: Readonly<Record<string, readonly (keyof Values)[]>> = {
  search: ['request-id', 'email', 'account', 'client', 'reason', 'since', 'until'],
  replay: ['interaction', 'request-id'],
  export: ['since', 'until'],
};

async function runAudit(admin: AuditAdmin, command: string | undefined, values: Values): Promise<Output> {
  const allowed = command === undefined ? undefined : AUDIT_OPTIONS[command];
  if (!allowed) throw new UsageError(command ? `unknown command: audit ${command}` : 'missing command');
  const option = (Object.keys(values) as (keyof Values)[]).find((name) => name !== 'help' && !allowed.includes(name));
  if (option) throw new UsageError(`--${option} is not an option of audit ${command}`);
  const { since, until } = values;
  switch (command) {
    case 'search':
      return {
        lines: await admin.search({
          requestId: values['request-id'],
          email: values.email,
          accountId: values.account,
          clientId: values.client,
          reason: values.reason,
          since,
          until,
        }),
      };
    case 'replay':
      return { lines: await admin.replay({ interactionUid: values.interaction, requestId: values['request-id'] }) };
    default:
      return { lines: await admin.export({ since, until }) };
  }
}

async function runRegistrationToken(admin: RegistrationTokenAdmin, command: string | undefined, id: string | undefined, values: Values): Promise<unknown> {
  const allowed: readonly string[] = command === 'create' ? ['expires-in', 'uses'] : [];
  const option = Object.keys(values).find((name) => name !== 'help' && !allowed.includes(name));
  if (option) throw new UsageError(`--${option} is not an option of registration-token ${command ?? ''}`.trimEnd());
  if (command !== 'revoke' && id) throw new UsageError(`unexpected argument: ${id}`);
  switch (command) {
    case 'create':
      return admin.create({
        ...(values['expires-in'] === undefined ? {} : { expiresIn: values['expires-in'] }),
        ...(values.uses === undefined ? {} : { uses: values.uses }),
      });
    case 'list':
      return admin.list();
    case 'revoke':
      if (!id) throw new UsageError('registration-token revoke needs a TOKEN_ID');
      return admin.revoke(id);
    default:
      throw new UsageError(command ? `unknown command: registration-token ${command}` : 'missing command');
  }
}

const RESOURCE_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  create: ['identifier', 'scope', 'ttl', 'introspect'],
  update: ['scope', 'ttl', 'introspect', 'no-introspect'],
  list: [],
  delete: [],
};

/** `resource create|list|update|delete`: APIs as RFC 8707 resources (src/admin/resources.ts). */
async function runResource(admin: ResourceAdmin, command: string | undefined, id: string | undefined, values: Values): Promise<unknown> {
  const allowed = command === undefined ? undefined : RESOURCE_OPTIONS[command];
  if (!allowed) throw new UsageError(command ? `unknown command: resource ${command}` : 'missing command');
  const option = Object.keys(values).find((name) => name !== 'help' && !allowed.includes(name));
  if (option) throw new UsageError(`--${option} is not an option of resource ${command}`);
  if ((command === 'create' || command === 'list') && id) throw new UsageError(`unexpected argument: ${id}`);
  const needsId = () => {
    if (!id) throw new UsageError(`resource ${command} needs a RESOURCE_ID (linkid-admin resource list shows them)`);
    return id;
  };
  switch (command) {
    case 'create':
      return admin.create({ identifier: values.identifier as string, scopes: values.scope ?? [], ttl: values.ttl, introspect: values.introspect ?? false });
    case 'update':
      if (values.introspect && values['no-introspect']) throw new UsageError('--introspect and --no-introspect contradict each other');
      return admin.update(needsId(), {
        scopes: values.scope,
        ttl: values.ttl,
        introspect: values.introspect ? true : values['no-introspect'] ? false : undefined,
      });
    case 'list':
      return admin.list();
    default:
      return admin.delete(needsId());
  }
}

/** backup, restore and migrate work on the store itself, before (and instead of) opening it as a store. */
const STORE_COMMANDS = new Set(['backup', 'restore', 'migrate']);

async function runStoreCommand(config: Config, argv: readonly string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, file, ...extra] = positionals;
  if (values.help) throw new UsageError('');
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  if (command === 'migrate') {
    if (file) throw new UsageError(`unexpected argument: ${file}`);
    return values['dry-run'] ? migrationPlan(config) : migrateStore(config);
  }
  if (values['dry-run']) throw new UsageError(`--dry-run is an option of migrate, not of ${command}`);
  if (!file) throw new UsageError(`${command} needs a FILE`);
  return command === 'backup' ? backupStore(config, file) : restoreStore(config, file);
}

async function runKeys(admin: KeyAdmin, command: string | undefined, kid: string | undefined, values: Values): Promise<Output> {
  const option = Object.keys(values).find((name) => name !== 'help' && !(command === 'rotate' && name === 'alg'));
  if (option) throw new UsageError(`--${option} is not an option of keys ${command ?? ''}`.trimEnd());
  if (command !== 'retire' && kid !== undefined) throw new UsageError(`unexpected argument: ${kid}`);
  const actor = { via: 'admin-cli' } as const;
  switch (command) {
    case 'list':
      return { lines: admin.list().keys };
    case 'rotate':
      return { document: await admin.rotate(values.alg, actor) };
    case 'retire':
      if (!kid) throw new UsageError('keys retire needs a KID (linkid-admin keys list shows them)');
      return { document: await admin.retire(kid, actor) };
    default:
      throw new UsageError(command ? `unknown command: keys ${command}` : 'missing command');
  }
}

async function main(): Promise<number> {
  const config = loadConfig();
  if (STORE_COMMANDS.has(process.argv[2] ?? '')) {
    process.stdout.write(`${JSON.stringify(await runStoreCommand(config, process.argv.slice(2)), null, 2)}\n`);
    return 0;
  }
  const secrets = await loadOrCreateSecrets(config);
  const store = await openStore(config);
  // stdout carries only results, so the audit log lines of these commands go to stderr.
  const logger = createLogger(config.logLevel, pino.destination({ fd: 2, sync: true }));
  // The server's services, on the same store. The CLI sends no mail (a transport that is never
  // started) and renders no page; the apps of sessions a user command ends hear of it by
  // back-channel logout with one attempt each, since this process ends with the command (a failed
  // post is logged and audited as `failed`).
  const services = createServices(config, {
    store,
    transport: createTransport(config, systemClock),
    clock: systemClock,
    logger,
    secrets,
    backchannelRetryDelaysMs: [],
  });
  try {
    const output = await run(services.admin, process.argv.slice(2));
    if ('lines' in output) {
      // A line as soon as it is read: a long list streams instead of waiting for its end.
      for await (const line of output.lines) process.stdout.write(`${JSON.stringify(line)}\n`);
    } else {
      process.stdout.write(`${JSON.stringify(output.document, null, 2)}\n`);
    }
    return 0;
  } finally {
    await services.idle();
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message ? `error: ${error.message}\n` : ''}${USAGE}\n`);
      process.exit(2);
    }
    const known =
      error instanceof AdminError ||
      error instanceof ConfigError ||
      error instanceof StoreConnectionError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`error: ${known ? (error as Error).message : `admin command failed: ${(error as Error).message}`}\n`);
    process.exit(error instanceof AdminError && error.code === 'not_found' ? 1 : 2);
  },
);
