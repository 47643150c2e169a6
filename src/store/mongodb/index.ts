// The MongoDB store, selected by MONGODB_URI: the store for running several linkid instances
// behind a load balancer. Commands are never buffered while disconnected (bufferCommands: false),
// so an unreachable server fails a request at once (503) instead of hanging it.
import mongoose, { type Connection } from 'mongoose';
import { RateLimiterMongo } from 'rate-limiter-flexible';
import { flexibleRateLimiter } from '../flexible-rate-limiter.js';
import { StoreConnectionError, type Store } from '../port.js';
import { auditEventSchema, createMongoAuditEvents, type AuditEventDoc } from './audit-events.js';
import { createMongoClients } from './clients.js';
import { isMongoUnavailable } from './errors.js';
import { createMongoLoginTokens } from './login-tokens.js';
import { OIDC_MODEL_NAMES, createMongoOidcModels } from './oidc-models.js';
import { createMongoMailQueue, createMongoSuppressions } from './mail-queue.js';
import {
  clientSchema,
  loginTokenSchema,
  mailSchema,
  suppressionSchema,
  userSchema,
  type ClientDoc,
  type LoginTokenDoc,
  type MailDoc,
  type SuppressionDoc,
  type UserDoc,
} from './schemas.js';
import { createMongoUsers } from './users.js';

export const RATE_LIMIT_COLLECTION = 'rate_limits';

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
    ...(/[?&]serverSelectionTimeoutMS=/i.test(uri) ? {} : { serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5_000 }),
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
  const clients = connection.model<ClientDoc>('Client', clientSchema, 'clients');
  const mails = connection.model<MailDoc>('Mail', mailSchema, 'mail_queue');
  const suppressions = connection.model<SuppressionDoc>('Suppression', suppressionSchema, 'suppressed_addresses');
  const auditEvents = connection.model<AuditEventDoc>('AuditEvent', auditEventSchema, 'audit_events');
  const oidc = createMongoOidcModels(connection);
  try {
    // Every index exists before the first request: declared ones via createIndexes, the rate
    // limiter's own (TTL on expire, unique key) created explicitly below.
    await Promise.all([
      users.createIndexes(),
      loginTokens.createIndexes(),
      clients.createIndexes(),
      mails.createIndexes(),
      suppressions.createIndexes(),
      auditEvents.createIndexes(),
      ...OIDC_MODEL_NAMES.map((name) => oidc.modelFor(name)),
    ]);
    const limits = connection.collection(RATE_LIMIT_COLLECTION);
    await limits.createIndex({ expire: -1 }, { expireAfterSeconds: 0 });
    await limits.createIndex({ key: 1 }, { unique: true });
  } catch (error) {
    await connection.close(true).catch(() => undefined);
    throw connectionError(uri, error);
  }

  // Every collection with a TTL on expiresAt; typed loosely because their documents differ.
  const purgeable = () => [...oidc.models(), loginTokens, auditEvents] as unknown as mongoose.Model<{ _id: unknown; expiresAt?: Date }>[];

  return {
    kind: 'mongodb',
    audit: createMongoAuditEvents(auditEvents),
    oidc,
    users: createMongoUsers(users),
    loginTokens: createMongoLoginTokens(loginTokens),
    clients: createMongoClients(clients),
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
    isUnavailable: isMongoUnavailable,
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
      if (!connection.db) throw new Error('MongoDB connection is closed');
      await connection.db.admin().ping();
    },
    async close() {
      await connection.close();
    },
  };
}
