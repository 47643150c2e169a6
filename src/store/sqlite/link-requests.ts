// The email form's intents in SQLite (src/login/link-requests.ts). A claim is one UPDATE ...
// RETURNING on the rows it picked, guarded by expiry and lease and run in one IMMEDIATE
// transaction, so of any number of claimers (workers, processes) exactly one gets each row.
import type { Database } from 'better-sqlite3';
import type { LinkRequestRecord, LinkRequestStore } from '../port.js';

interface Row {
  id: string;
  sealed: string;
  created_at: number;
  expires_at: number;
  lease_owner: string | null;
  lease_until: number;
}

const toRecord = (row: Row): LinkRequestRecord => ({
  id: row.id,
  sealed: row.sealed,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  leaseOwner: row.lease_owner,
  leaseUntil: row.lease_until,
});

export function createSqliteLinkRequests(db: Database): LinkRequestStore {
  const insert = db.prepare(`
    INSERT INTO link_requests (id, sealed, created_at, expires_at, lease_owner, lease_until)
    VALUES (@id, @sealed, @createdAt, @expiresAt, @leaseOwner, @leaseUntil)`);
  const claim = db.prepare<{ owner: string; now: number; leaseUntil: number; limit: number }, Row>(`
    UPDATE link_requests SET lease_owner = @owner, lease_until = @leaseUntil
    WHERE id IN (
      SELECT id FROM link_requests WHERE lease_until <= @now AND expires_at > @now ORDER BY lease_until LIMIT @limit)
    RETURNING *`);
  const claimAll = db.transaction((params: { owner: string; now: number; leaseUntil: number; limit: number }) => claim.all(params));
  const remove = db.prepare<[string]>('DELETE FROM link_requests WHERE id = ?');

  return {
    async insert(request) {
      insert.run(request);
    },
    async claim(owner, now, leaseMs, limit) {
      // IMMEDIATE: the write lock before the pick, so a claimer in another process waits its turn.
      return claimAll.immediate({ owner, now, leaseUntil: now + leaseMs, limit: Math.max(0, Math.trunc(limit)) }).map(toRecord);
    },
    async delete(id) {
      return remove.run(id).changes === 1;
    },
  };
}
