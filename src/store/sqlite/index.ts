// The embedded default store: one SQLite file in DATA_DIR, WAL mode so the server and the admin
// CLI can use it at once. Expired rows are invisible to reads and removed by purgeExpired in
// small batches, so no delete holds the write lock for long.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { fileFailureKind, type StoreFailureKind } from '../../kernel/store-failure.js';
import { ensurePrivateDir, ensurePrivateFile, restrictIfPresent } from '../../kernel/private-files.js';
import type { Store } from '../port.js';
import { createSqliteAuditEvents } from './audit-events.js';
import { createSqliteClients } from './clients.js';
import { createSqliteEmailChanges } from './email-changes.js';
import { createSqliteLinkRequests } from './link-requests.js';
import { createSqliteLoginTokens } from './login-tokens.js';
import { createSqliteMailQueue, createSqliteSuppressions } from './mail-queue.js';
import { createSqliteOidcModels } from './oidc-models.js';
import { createSqliteRateLimiters } from './rate-limiter.js';
import { createSqliteRecoveryCodes } from './recovery-codes.js';
import { createSqliteRegistrationTokens } from './registration-tokens.js';
import { createSqliteResources } from './resources.js';
import { migrate } from './schema.js';
import { createSqliteUsers } from './users.js';
import { holdShared } from './in-use-lock.js';

export const SQLITE_FILE_NAME = 'linkid.sqlite';

/**
 * Error codes that mean the database cannot be used right now, not that a query is wrong, by
 * their primary code (better-sqlite3 gives extended ones: SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED).
 */
const FAILURE_KINDS: ReadonlyMap<string, StoreFailureKind> = new Map([
  ['SQLITE_FULL', 'full'],
  ['SQLITE_READONLY', 'readonly'],
  ['SQLITE_IOERR', 'io'],
  ['SQLITE_CANTOPEN', 'io'],
  ['SQLITE_BUSY', 'busy'],
  ['SQLITE_LOCKED', 'busy'],
]);

/** The kind of a better-sqlite3 error, or of a file-system error met beside it; undefined for anything else. */
export function sqliteFailureKind(error: unknown): StoreFailureKind | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  return FAILURE_KINDS.get(/^SQLITE_[A-Z]+/.exec(code)?.[0] ?? '') ?? fileFailureKind(error);
}

/** Free space DATA_DIR keeps by default before linkid stops taking writes (DATA_DIR_MIN_FREE_MB). */
export const DEFAULT_MIN_FREE_BYTES = 16 * 1024 * 1024;

/**
 * Whether DATA_DIR can take writes, asked of the file system (two system calls, no write): SQLite
 * itself cannot tell, since a write that fits in pages it already has succeeds on a full disk and
 * the next one that needs a page fails, after linkid has accepted the work.
 */
function fileSystemWriteCheck(dataDir: string, file: string, minFreeBytes: number): StoreFailureKind | undefined {
  try {
    fs.accessSync(dataDir, fs.constants.W_OK);
    fs.accessSync(file, fs.constants.W_OK);
    const space = fs.statfsSync(dataDir, { bigint: true });
    return space.bavail * space.bsize < BigInt(minFreeBytes) ? 'full' : undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? 'readonly' : (fileFailureKind(error) ?? 'io');
  }
}

export interface SqliteStoreOptions {
  /** How long a write waits for another writer's lock before failing with SQLITE_BUSY. */
  readonly busyTimeoutMs?: number;
  /** How long opening waits for a restore in progress to finish (default 10 s). */
  readonly restoreWaitMs?: number;
  /** Below this much free space in DATA_DIR, writeCheck says `full` (default 16 MiB). */
  readonly minFreeBytes?: number;
}

/** The store's file opened with the settings every opener uses, and its schema brought up to date. */
function openMigrated(file: string, options: SqliteStoreOptions): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // Deleted rows are overwritten rather than left readable in free pages of the file.
    db.pragma('secure_delete = ON');
    // With WAL, NORMAL syncs the WAL at checkpoints rather than at every commit: a commit is still
    // atomic and the database is never corrupted, but a power cut or kernel crash (not a crash of
    // linkid: written pages are in the OS) can forget the last commits before it. What those can
    // be: tokens, sessions and sign-ins issued just before (done again), limit points (not
    // counted), a consumed code, link or refresh token usable once more together with the loss of
    // what it was exchanged for, a mail marked sent that is sent again. FULL would add an fsync to
    // every write of every request (about 5x the cost of a write here) against an event that also
    // takes the server down; NORMAL is the setting SQLite documents for WAL.
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function openSqliteStore(dataDir: string, options: SqliteStoreOptions = {}): Store {
  ensurePrivateDir(dataDir);
  const file = path.join(dataDir, SQLITE_FILE_NAME);
  // SQLite creates its -wal and -shm with the database file's own mode, so a private database
  // file before the first open makes all three private.
  ensurePrivateFile(file);
  for (const suffix of ['-wal', '-shm', '-journal']) restrictIfPresent(`${file}${suffix}`);
  // Held until close: `linkid-admin restore` refuses while any process has the store open.
  const inUse = holdShared(dataDir, options.restoreWaitMs);
  let db: Database.Database;
  try {
    db = openMigrated(file, options);
  } catch (error) {
    inUse.release();
    throw error;
  }

  const purgeStatements = [
    ['oidc_models', 'expires_at'],
    ['login_tokens', 'expires_at'],
    ['email_change_tokens', 'expires_at'],
    ['rate_limits', 'expire'],
    ['audit_events', 'expires_at'],
    ['registration_tokens', 'expires_at'],
    ['link_requests', 'expires_at'],
  ].map(([table, column]) =>
    db.prepare(`DELETE FROM ${table} WHERE rowid IN (
      SELECT rowid FROM ${table} WHERE ${column} IS NOT NULL AND ${column} <= @now LIMIT @limit)`),
  );
  const ping = db.prepare('SELECT 1');

  return {
    kind: 'sqlite',
    schemaVersion: `sqlite:${String(db.pragma('user_version', { simple: true }))}`,
    audit: createSqliteAuditEvents(db),
    oidc: createSqliteOidcModels(db),
    users: createSqliteUsers(db),
    loginTokens: createSqliteLoginTokens(db),
    emailChanges: createSqliteEmailChanges(db),
    clients: createSqliteClients(db),
    recoveryCodes: createSqliteRecoveryCodes(db),
    registrationTokens: createSqliteRegistrationTokens(db),
    linkRequests: createSqliteLinkRequests(db),
    resources: createSqliteResources(db),
    mailQueue: createSqliteMailQueue(db),
    suppressions: createSqliteSuppressions(db),
    createRateLimiter: createSqliteRateLimiters(db),
    failureKind: sqliteFailureKind,
    writeCheck: () => fileSystemWriteCheck(dataDir, file, options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES),
    async purgeExpired(now, batchSize) {
      return purgeStatements.reduce((total, statement) => total + statement.run({ now, limit: batchSize }).changes, 0);
    },
    async ping() {
      ping.get();
    },
    async close() {
      if (db.open) db.close();
      inUse.release();
    },
  };
}
