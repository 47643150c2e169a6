// Initial access tokens for dynamic client registration in SQLite, by digest only. Spending a use
// is one UPDATE guarded by every condition that makes a token live (not expired, not revoked, a
// use left), so of any number of concurrent spends exactly as many succeed as there were uses.
import type { Database } from 'better-sqlite3';
import type { RegistrationTokenRecord, RegistrationTokenStore } from '../port.js';

interface Row {
  id: string;
  digest: string;
  created_at: number;
  expires_at: number;
  uses: number;
  used: number;
  revoked_at: number | null;
}

const toRecord = (row: Row): RegistrationTokenRecord => ({
  id: row.id,
  digest: row.digest,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  uses: row.uses,
  used: row.used,
  revokedAt: row.revoked_at,
});

const LIVE = 'digest = @digest AND expires_at > @now AND revoked_at IS NULL AND used < uses';

export function createSqliteRegistrationTokens(db: Database): RegistrationTokenStore {
  const insert = db.prepare(`
    INSERT INTO registration_tokens (id, digest, created_at, expires_at, uses, used, revoked_at)
    VALUES (@id, @digest, @createdAt, @expiresAt, @uses, @used, @revokedAt)`);
  const findLive = db.prepare<{ digest: string; now: number }, Row>(`SELECT * FROM registration_tokens WHERE ${LIVE}`);
  const spend = db.prepare<{ digest: string; now: number }, Row>(`UPDATE registration_tokens SET used = used + 1 WHERE ${LIVE} RETURNING *`);
  const list = db.prepare<[], Row>('SELECT * FROM registration_tokens ORDER BY created_at DESC, id');
  const revoke = db.prepare('UPDATE registration_tokens SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL');

  return {
    async insert(token) {
      insert.run(token);
    },
    async findLive(digest, now) {
      return ((row) => row && toRecord(row))(findLive.get({ digest, now }));
    },
    async spend(digest, now) {
      return ((row) => row && toRecord(row))(spend.get({ digest, now }));
    },
    async list() {
      return list.all().map(toRecord);
    },
    async revoke(id, now) {
      return revoke.run({ id, now }).changes === 1;
    },
  };
}
