// The MongoDB store, selected by MONGODB_URI: the store for running several linkid instances
// behind a load balancer. Commands are never buffered while disconnected (bufferCommands: false),
// but the driver still waits for a usable server: with none reachable, start-up and every request
// wait up to serverSelectionTimeoutMS before failing (a request then answers 503). The default
// below is chosen for that wait, and readiness has its own, shorter bound.
import mongoose, { type Connection } from 'mongoose';
import { RateLimiterMongo } from 'rate-limiter-flexible';
import { flexibleRateLimiter } from '../flexible-rate-limiter.js';
import { StoreConnectionError, type Store } from '../port.js';
import { auditEventSchema, createMongoAuditEvents, type AuditEventDoc } from './audit-events.js';
import { createMongoClients } from './clients.js';
import { createMongoEmailChanges } from './email-changes.js';
import { isMongoUnavailable, mongoFailureKind } from './errors.js';
import {
  declaredIndexes,
  indexDefinition,
  nativeCollection,
  planCollectionIndexes,
  reconcileIndexes,
  type IndexDefinition,
  type IndexPlan,
} from './indexes.js';
import { createMongoLinkRequests } from './link-requests.js';
import { createMongoLoginTokens } from './login-tokens.js';
import { OIDC_MODEL_NAMES, collectionFor, createMongoOidcModels } from './oidc-models.js';
import { createMongoMailQueue, createMongoSuppressions } from './mail-queue.js';
import { createMongoRecoveryCodes } from './recovery-codes.js';
import { createMongoRegistrationTokens } from './registration-tokens.js';
import { createMongoResources } from './resources.js';
import {
  clientSchema,
  emailChangeSchema,
  linkRequestSchema,
  loginTokenSchema,
  mailSchema,
  oidcSchema,
  recoveryCodeSetSchema,
  registrationTokenSchema,
  resourceSchema,
  suppressionSchema,
  userSchema,
  type ClientDoc,
  type EmailChangeDoc,
  type LinkRequestDoc,
  type LoginTokenDoc,
  type MailDoc,
  type RecoveryCodeSetDoc,
  type RegistrationTokenDoc,
  type ResourceDoc,
  type SuppressionDoc,
  type UserDoc,
} from './schemas.js';
import { createMongoUsers } from './users.js';

export const RATE_LIMIT_COLLECTION = 'rate_limits';

/**
 * How long start-up and each request wait for a usable server. A planned step-down elects a new
 * primary within a few seconds and the driver retries the read or write once on it, so most
 * failovers cost a slow request, not an error. An unplanned one takes about 12 s (the default
 * electionTimeoutMillis is 10 s): waiting that long would leave people looking at a hung page, so
 * after 5 s they get the 503 page instead. `serverSelectionTimeoutMS` in the URI overrides it.
 */
export const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5_000;

/**
 * /readyz must answer before the load balancer's own probe timeout (1 s in Kubernetes by default,
 * 2-5 s in the common cloud load balancers), not after serverSelectionTimeoutMS: a ping slower
 * than this counts as not ready.
 */
export const READINESS_TIMEOUT_MS = 900;

/** rate-limiter-flexible's collection: its indexes are created here (disableIndexesCreation). */
const RATE_LIMIT_INDEXES: IndexDefinition[] = [indexDefinition({ expire: -1 }, { expireAfterSeconds: 0 }), indexDefinition({ key: 1 }, { unique: true })];

/** linkid's collections besides oidc-provider's, each with the indexes the code declares for it. */
const OWN_COLLECTIONS: readonly (readonly [string, IndexDefinition[]])[] = [
  ['users', declaredIndexes(userSchema)],
  ['login_tokens', declaredIndexes(loginTokenSchema)],
  ['email_change_tokens', declaredIndexes(emailChangeSchema)],
  ['clients', declaredIndexes(clientSchema)],
  ['mail_queue', declaredIndexes(mailSchema)],
  ['suppressed_addresses', declaredIndexes(suppressionSchema)],
  [RATE_LIMIT_COLLECTION, RATE_LIMIT_INDEXES],
  ['audit_events', declaredIndexes(auditEventSchema)],
  ['recovery_codes', declaredIndexes(recoveryCodeSetSchema)],
  ['registration_tokens', declaredIndexes(registrationTokenSchema)],
  ['link_requests', declaredIndexes(linkRequestSchema)],
  ['resources', declaredIndexes(resourceSchema)],
];

/** MongoDB has no migrations: bump this by hand when a collection's shape or indexes change. */
const MONGODB_SCHEMA_VERSION = 7;

export interface MongoStoreOptions {
  /** How long to wait for a server before giving up, at start and on each operation. */
  readonly serverSelectionTimeoutMs?: number;
}

/** The URI without credentials, for messages and logs. */
export function redactMongoUri(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/)[^@/]*@/, '$1***@');
}

const connectionError = (uri: string, cause: unknown) =>
  new StoreConnectionError(`cannot connect to MongoDB at ${redactMongoUri(uri)}: ${(cause as Error).message}`, cause);

async function connect(uri: string, options: MongoStoreOptions): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    appName: 'linkid',
    autoIndex: false,
    autoCreate: false,
    bufferCommands: false,
    // The URI's own serverSelectionTimeoutMS wins over our default; the driver would do the opposite.
    ...(/[?&]serverSelectionTimeoutMS=/i.test(uri)
      ? {}
      : { serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS }),
  });
  try {
    await connection.asPromise();
    return connection;
  } catch (error) {
    await connection.close(true).catch(() => undefined);
    throw connectionError(uri, error);
  }
}

export async function openMongoStore(uri: string, options: MongoStoreOptions = {}): Promise<Store> {
  const connection = await connect(uri, options);
  const users = connection.model<UserDoc>('User', userSchema, 'users');
  const loginTokens = connection.model<LoginTokenDoc>('LoginToken', loginTokenSchema, 'login_tokens');
  const emailChanges = connection.model<EmailChangeDoc>('EmailChangeToken', emailChangeSchema, 'email_change_tokens');
  const clients = connection.model<ClientDoc>('Client', clientSchema, 'clients');
  const mails = connection.model<MailDoc>('Mail', mailSchema, 'mail_queue');
  const suppressions = connection.model<SuppressionDoc>('Suppression', suppressionSchema, 'suppressed_addresses');
  const auditEvents = connection.model<AuditEventDoc>('AuditEvent', auditEventSchema, 'audit_events');
  const recoveryCodeSets = connection.model<RecoveryCodeSetDoc>('RecoveryCodeSet', recoveryCodeSetSchema, 'recovery_codes');
  const registrationTokens = connection.model<RegistrationTokenDoc>('RegistrationToken', registrationTokenSchema, 'registration_tokens');
  const linkRequests = connection.model<LinkRequestDoc>('LinkRequest', linkRequestSchema, 'link_requests');
  const resources = connection.model<ResourceDoc>('Resource', resourceSchema, 'resources');
  const oidc = createMongoOidcModels(connection);
  try {
    // Every index is as the code declares it before the first request: changed definitions are
    // dropped and recreated, ones no longer declared are dropped (see indexes.ts).
    await Promise.all([
      ...OWN_COLLECTIONS.map(([name, indexes]) => reconcileIndexes(nativeCollection(connection, name), indexes)),
      ...OIDC_MODEL_NAMES.map((name) => oidc.modelFor(name)),
    ]);
  } catch (error) {
    await connection.close(true).catch(() => undefined);
    // Losing the server half-way is still "cannot connect"; anything else is the index step's own failure.
    if (isMongoUnavailable(error)) throw connectionError(uri, error);
    throw new StoreConnectionError(`cannot bring MongoDB indexes up to date at ${redactMongoUri(uri)}: ${(error as Error).message}`, error);
  }

  // Every collection with a TTL on expiresAt; typed loosely because their documents differ.
  const purgeable = () =>
    [...oidc.models(), loginTokens, emailChanges, auditEvents, registrationTokens, linkRequests] as unknown as mongoose.Model<{
      _id: unknown;
      expiresAt?: Date;
    }>[];

  return {
    kind: 'mongodb',
    schemaVersion: `mongodb:${MONGODB_SCHEMA_VERSION}`,
    audit: createMongoAuditEvents(auditEvents),
    oidc,
    users: createMongoUsers(users),
    loginTokens: createMongoLoginTokens(loginTokens),
    emailChanges: createMongoEmailChanges(emailChanges),
    clients: createMongoClients(clients),
    recoveryCodes: createMongoRecoveryCodes(recoveryCodeSets),
    registrationTokens: createMongoRegistrationTokens(registrationTokens),
    linkRequests: createMongoLinkRequests(linkRequests),
    resources: createMongoResources(resources),
    mailQueue: createMongoMailQueue(mails),
    suppressions: createMongoSuppressions(suppressions),
    createRateLimiter(rule) {
      return flexibleRateLimiter(
        new RateLimiterMongo({
          storeClient: connection.getClient(),
          dbName: connection.name,
          tableName: RATE_LIMIT_COLLECTION,
          disableIndexesCreation: true,
          keyPrefix: rule.keyPrefix,
          points: rule.points,
          duration: rule.durationSeconds,
          blockDuration: rule.blockDurationSeconds ?? 0,
        }),
      );
    },
    failureKind: mongoFailureKind,
    // A server's free space is not linkid's to see: a write refused for it (OutOfDiskSpace) tells.
    writeCheck: () => undefined,
    // TTL indexes do this on their own within about a minute; purging here as well keeps both
    // stores to one contract and lets tests check it.
    async purgeExpired(now, batchSize) {
      let removed = 0;
      for (const model of purgeable()) {
        const expired = await model
          .find({ expiresAt: { $lte: new Date(now) } }, { _id: 1 })
          .limit(batchSize)
          .lean();
        if (expired.length === 0) continue;
        removed += (await model.deleteMany({ _id: { $in: expired.map((doc) => doc._id) } })).deletedCount;
      }
      return removed;
    },
    async ping() {
      const db = connection.db;
      if (!db) throw new Error('MongoDB connection is closed');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`MongoDB did not answer a ping within ${READINESS_TIMEOUT_MS} ms`)), READINESS_TIMEOUT_MS);
      });
      try {
        await Promise.race([db.admin().ping(), late]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await connection.close();
    },
  };
}

export interface MongoUpgradePlan {
  readonly schemaVersion: string;
  /** Collections whose indexes the next start changes, with what it drops and creates. */
  readonly collections: readonly ({ readonly collection: string } & IndexPlan)[];
}

/** What the next start would change in the indexes, read without changing anything. */
export async function planMongoUpgrade(uri: string, options: MongoStoreOptions = {}): Promise<MongoUpgradePlan> {
  const connection = await connect(uri, options);
  try {
    const all = [...OWN_COLLECTIONS, ...OIDC_MODEL_NAMES.map((name) => [collectionFor(name), declaredIndexes(oidcSchema)] as const)];
    const plans = await Promise.all(
      all.map(async ([collection, indexes]) => ({ collection, ...(await planCollectionIndexes(nativeCollection(connection, collection), indexes)) })),
    );
    return { schemaVersion: `mongodb:${MONGODB_SCHEMA_VERSION}`, collections: plans.filter((plan) => plan.drop.length > 0 || plan.create.length > 0) };
  } catch (error) {
    if (isMongoUnavailable(error)) throw connectionError(uri, error);
    throw error;
  } finally {
    await connection.close(true).catch(() => undefined);
  }
}
