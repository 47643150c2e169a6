// Accounts: a random stable id and the address that proves it, found by email_key (the address
// with ASCII case folded; see ../address-key.ts). Listed in email_key order, the unique index's
// own, so a page after a cursor is a range scan of that index.
import type { Database } from 'better-sqlite3';
import { addressKey } from '../address-key.js';
import type { User, UserStore } from '../port.js';

interface Row {
  id: string;
  email: string;
  created_at: number;
  last_login_at: number | null;
  disabled_at: number | null;
  sign_ins_ended_at: number | null;
}

const toUser = (row: Row): User => ({
  id: row.id,
  email: row.email,
  createdAt: row.created_at,
  lastLoginAt: row.last_login_at,
  disabledAt: row.disabled_at,
  signInsEndedAt: row.sign_ins_ended_at,
});

export function createSqliteUsers(db: Database): UserStore {
  const byId = db.prepare<[string], Row>('SELECT * FROM users WHERE id = ?');
  const byKey = db.prepare<[string], Row>('SELECT * FROM users WHERE email_key = ?');
  const insert = db.prepare(`
    INSERT INTO users (id, email, email_key, created_at) VALUES (@id, @email, @emailKey, @now)
    ON CONFLICT (email_key) DO NOTHING`);
  const touch = db.prepare('UPDATE users SET last_login_at = @now WHERE id = @id');
  // instr, not LIKE: what an operator types is matched as text, % and _ included.
  const page = db.prepare<{ after: string; needle: string; limit: number }, Row>(
    'SELECT * FROM users WHERE email_key > @after AND instr(email_key, @needle) > 0 ORDER BY email_key LIMIT @limit',
  );
  const setDisabled = db.prepare('UPDATE users SET disabled_at = @disabledAt WHERE id = @id');
  const endSignIns = db.prepare('UPDATE users SET sign_ins_ended_at = max(coalesce(sign_ins_ended_at, 0), @at) WHERE id = @id');
  const remove = db.prepare('DELETE FROM users WHERE id = ?');
  const changeEmail = db.prepare('UPDATE users SET email = @email, email_key = @emailKey WHERE id = @id');

  return {
    async findById(id) {
      const row = byId.get(id);
      return row && toUser(row);
    },
    async findByEmail(email) {
      const row = byKey.get(addressKey(email));
      return row && toUser(row);
    },
    async findOrCreate(email, newId, now) {
      const emailKey = addressKey(email);
      const created = insert.run({ id: newId, email, emailKey, now }).changes === 1;
      const row = byKey.get(emailKey);
      if (!row) throw new Error('the account just written cannot be read back');
      return { user: toUser(row), created };
    },
    async recordLogin(id, now) {
      touch.run({ id, now });
    },
    async list(query) {
      return page
        .all({ after: query.after === undefined ? '' : addressKey(query.after), needle: addressKey(query.emailContains ?? ''), limit: query.limit })
        .map(toUser);
    },
    async setDisabled(id, disabledAt) {
      return setDisabled.run({ id, disabledAt }).changes === 1;
    },
    async endSignIns(id, at) {
      return endSignIns.run({ id, at }).changes === 1;
    },
    async delete(id) {
      return remove.run(id).changes === 1;
    },
    async changeEmail(id, newEmail) {
      try {
        return changeEmail.run({ id, email: newEmail, emailKey: addressKey(newEmail) }).changes === 1 ? 'changed' : 'unknown';
      } catch (error) {
        // The unique index on email_key: another account holds the address.
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') return 'taken';
        throw error;
      }
    },
  };
}
