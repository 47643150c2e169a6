// The store's own upkeep, for `linkid-admin backup|restore|migrate`. These work on the store's
// files (or MongoDB's indexes) directly rather than through the services: a restore must not
// open the store it replaces, and a dry run must not migrate what it only looks at.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config/env.js';
import { openStore } from '../store/open-store.js';
import { backupSqlite, BackupError, restoreSqlite, type BackupReport, type RestoreReport } from '../store/sqlite/backup.js';
import { SQLITE_FILE_NAME } from '../store/sqlite/index.js';
import { pendingMigrations, SQLITE_SCHEMA_VERSION, type PendingMigration } from '../store/sqlite/schema.js';
import { AdminError } from './admin-error.js';

type StoreConfig = Pick<Config, 'mongodbUri' | 'dataDir'>;

const MONGODB_BACKUPS =
  'the store is MongoDB: back it up with `mongodump --oplog` (or a snapshot of a replica-set member) and restore with `mongorestore --oplogReplay`; see docs/operations.md#backups';

const asAdminError = (error: unknown): never => {
  if (error instanceof BackupError) throw new AdminError('invalid_argument', error.message);
  throw error;
};

export async function backupStore(config: StoreConfig, file: string): Promise<BackupReport> {
  if (config.mongodbUri) throw new AdminError('invalid_argument', MONGODB_BACKUPS);
  return backupSqlite(config.dataDir, file).catch(asAdminError);
}

export function restoreStore(config: StoreConfig, file: string): RestoreReport {
  if (config.mongodbUri) throw new AdminError('invalid_argument', MONGODB_BACKUPS);
  try {
    return restoreSqlite(config.dataDir, file);
  } catch (error) {
    return asAdminError(error);
  }
}

export type MigrationPlan =
  | { readonly store: 'sqlite'; readonly file: string; readonly current: string; readonly target: string; readonly migrations: readonly PendingMigration[] }
  | Awaited<ReturnType<typeof planMongo>>;

async function planMongo(uri: string) {
  const { planMongoUpgrade } = await import('../store/mongodb/index.js');
  const plan = await planMongoUpgrade(uri);
  return { store: 'mongodb' as const, target: plan.schemaVersion, indexChanges: plan.collections };
}

/** The SQLite file's version, read without opening it as a store (which would migrate it). */
function sqliteVersion(file: string): number {
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/** What the next start (or `migrate`) would change, changing nothing. */
export async function migrationPlan(config: StoreConfig): Promise<MigrationPlan> {
  if (config.mongodbUri) return planMongo(config.mongodbUri);
  const file = path.join(config.dataDir, SQLITE_FILE_NAME);
  const current = sqliteVersion(file);
  try {
    return { store: 'sqlite', file, current: `sqlite:${current}`, target: `sqlite:${SQLITE_SCHEMA_VERSION}`, migrations: pendingMigrations(current) };
  } catch (error) {
    throw new AdminError('invalid_argument', (error as Error).message);
  }
}

/** Brings the store to this linkid's schema now, as a start would, and says from what to what. */
export async function migrateStore(config: StoreConfig): Promise<{ readonly from: string; readonly to: string }> {
  const before = await migrationPlan(config);
  const store = await openStore(config);
  try {
    return { from: before.store === 'sqlite' ? before.current : 'mongodb', to: store.schemaVersion };
  } finally {
    await store.close();
  }
}
