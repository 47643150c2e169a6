// Recovery codes in SQLite: one row per code, keyed by account and digest. A new set replaces the
// old one in one transaction; consume is one UPDATE guarded by used_at IS NULL, so of any number
// of concurrent consumes exactly one sees changes === 1.
import type { Database } from 'better-sqlite3';
import type { RecoveryCodeStore } from '../port.js';

export function createSqliteRecoveryCodes(db: Database): RecoveryCodeStore {
  const removeAll = db.prepare('DELETE FROM recovery_codes WHERE account_id = ?');
  const insert = db.prepare('INSERT INTO recovery_codes (account_id, digest, created_at) VALUES (@accountId, @digest, @now)');
  const consume = db.prepare(`
    UPDATE recovery_codes SET used_at = @now
    WHERE account_id = @accountId AND digest = @digest AND used_at IS NULL`);
  const countUnused = db.prepare<[string], { count: number }>('SELECT COUNT(*) AS count FROM recovery_codes WHERE account_id = ? AND used_at IS NULL');
  const replace = db.transaction((accountId: string, digests: readonly string[], now: number) => {
    removeAll.run(accountId);
    for (const digest of new Set(digests)) insert.run({ accountId, digest, now });
  });

  return {
    async replaceSet(accountId, digests, now) {
      replace.immediate(accountId, digests, now);
    },
    async consume(accountId, digest, now) {
      return consume.run({ accountId, digest, now }).changes === 1;
    },
    async countUnused(accountId) {
      return countUnused.get(accountId)?.count ?? 0;
    },
    async deleteForAccount(accountId) {
      return removeAll.run(accountId).changes;
    },
  };
}
