// The embedded default store: one SQLite file in DATA_DIR, WAL mode so the server and the admin
// CLI can use it at once. Expired rows are invisible to reads and removed by purgeExpired in
// small batches, so no delete holds the write lock for long.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../port.js';
import { createSqliteClients } from './clients.js';
import { createSqliteLoginTokens } from './login-tokens.js';
import { createSqliteOidcModels } from './oidc-models.js';
import { migrate } from './schema.js';
import { createSqliteUsers } from './users.js';

export const SQLITE_FILE_NAME = 'linkid.sqlite';

export function openSqliteStore(dataDir: string): Store {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, SQLITE_FILE_NAME));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);

  const purgeStatements = ['oidc_models', 'login_tokens'].map((table) =>
    db.prepare(`DELETE FROM ${table} WHERE rowid IN (
      SELECT rowid FROM ${table} WHERE expires_at IS NOT NULL AND expires_at <= @now LIMIT @limit)`));
  const ping = db.prepare('SELECT 1');

  return {
    kind: 'sqlite',
    oidc: createSqliteOidcModels(db),
    users: createSqliteUsers(db),
    loginTokens: createSqliteLoginTokens(db),
    clients: createSqliteClients(db),
    async purgeExpired(now, batchSize) {
      return purgeStatements.reduce((total, statement) => total + statement.run({ now, limit: batchSize }).changes, 0);
    },
    async ping() {
      ping.get();
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
