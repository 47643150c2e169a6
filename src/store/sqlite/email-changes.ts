// The change-email flow's tokens by hash. Consume is prepareConsumeOnce's one UPDATE guarded by
// used_at IS NULL and expiry, so of any number of concurrent confirms (or undos) exactly one wins.
import type { Database } from 'better-sqlite3';
import type { EmailChangeRecord, EmailChangeStore } from '../port.js';
import { prepareConsumeOnce } from './consume-once.js';

interface Row {
  hash: string;
  kind: 'confirm' | 'undo';
  account_id: string;
  email: string;
  other_email: string;
  binding_hash: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

const toRecord = (row: Row): EmailChangeRecord => ({
  hash: row.hash,
  kind: row.kind,
  accountId: row.account_id,
  email: row.email,
  otherEmail: row.other_email,
  bindingHash: row.binding_hash,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  usedAt: row.used_at,
});

export function createSqliteEmailChanges(db: Database): EmailChangeStore {
  const insert = db.prepare(`
    INSERT INTO email_change_tokens (hash, kind, account_id, email, other_email, binding_hash, created_at, expires_at, used_at)
    VALUES (@hash, @kind, @accountId, @email, @otherEmail, @bindingHash, @createdAt, @expiresAt, @usedAt)`);
  const byHash = db.prepare<[string], Row>('SELECT * FROM email_change_tokens WHERE hash = ?');
  const consume = prepareConsumeOnce(db, 'email_change_tokens', toRecord);
  const voidAfterUndo = db.prepare(`
    UPDATE email_change_tokens SET used_at = @now
    WHERE account_id = @accountId AND used_at IS NULL AND expires_at > @now
      AND (kind = 'confirm' OR created_at > @undoCreatedAt)`);
  const deleteForAccount = db.prepare('DELETE FROM email_change_tokens WHERE account_id = ?');

  return {
    async insert(token) {
      insert.run(token);
    },
    async findByHash(hash) {
      const row = byHash.get(hash);
      return row && toRecord(row);
    },
    async consume(hash, now) {
      return consume(hash, now);
    },
    async voidAfterUndo(accountId, undoCreatedAt, now) {
      return voidAfterUndo.run({ accountId, undoCreatedAt, now }).changes;
    },
    async deleteForAccount(accountId) {
      return deleteForAccount.run(accountId).changes;
    },
  };
}
