// Magic-link tokens by hash. Consume is prepareConsumeOnce's one UPDATE guarded by used_at IS NULL
// and expiry, so of any number of concurrent confirms exactly one wins.
import type { Database } from 'better-sqlite3';
import type { LoginTokenRecord, LoginTokenStore } from '../port.js';
import { prepareConsumeOnce } from './consume-once.js';

interface Row {
  hash: string;
  email: string;
  interaction_uid: string;
  client_id: string;
  binding_hash: string;
  code_hmac: string;
  ip: string;
  user_agent: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  code_attempts: number;
  approval_requested_at: number | null;
  approved_at: number | null;
  approval_finished_at: number | null;
}

const toRecord = (row: Row): LoginTokenRecord => ({
  hash: row.hash,
  email: row.email,
  interactionUid: row.interaction_uid,
  clientId: row.client_id,
  bindingHash: row.binding_hash,
  codeHmac: row.code_hmac,
  ip: row.ip,
  userAgent: row.user_agent,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  usedAt: row.used_at,
  codeAttempts: row.code_attempts,
  approvalRequestedAt: row.approval_requested_at,
  approvedAt: row.approved_at,
  approvalFinishedAt: row.approval_finished_at,
});

export function createSqliteLoginTokens(db: Database): LoginTokenStore {
  const insert = db.prepare(`
    INSERT INTO login_tokens (hash, email, interaction_uid, client_id, binding_hash, code_hmac, ip,
      user_agent, created_at, expires_at, used_at, code_attempts, approval_requested_at, approved_at,
      approval_finished_at)
    VALUES (@hash, @email, @interactionUid, @clientId, @bindingHash, @codeHmac, @ip, @userAgent,
      @createdAt, @expiresAt, @usedAt, @codeAttempts, @approvalRequestedAt, @approvedAt,
      @approvalFinishedAt)`);
  const byHash = db.prepare<[string], Row>('SELECT * FROM login_tokens WHERE hash = ?');
  const consume = prepareConsumeOnce(db, 'login_tokens', toRecord);
  const approve = prepareConsumeOnce(db, 'login_tokens', toRecord, { where: 'approval_requested_at IS NOT NULL', set: 'approved_at = @now' });
  const requestApproval = db.prepare(`
    UPDATE login_tokens SET approval_requested_at = @now
    WHERE hash = @hash AND approval_requested_at IS NULL AND used_at IS NULL AND expires_at > @now`);
  const approvals = db.prepare<[string], Row>(`
    SELECT * FROM login_tokens WHERE interaction_uid = ? AND approval_requested_at IS NOT NULL
    ORDER BY created_at DESC, rowid DESC LIMIT 10`);
  const claimApproval = db.prepare(`
    UPDATE login_tokens SET approval_finished_at = @now
    WHERE hash = @hash AND approved_at IS NOT NULL AND approval_finished_at IS NULL AND expires_at > @now`);
  const pending = db.prepare<{ interactionUid: string; now: number }, Row>(`
    SELECT * FROM login_tokens
    WHERE interaction_uid = @interactionUid AND used_at IS NULL AND expires_at > @now
    ORDER BY created_at DESC, rowid DESC LIMIT 10`);
  const reserve = db.prepare(`
    UPDATE login_tokens SET code_attempts = code_attempts + 1
    WHERE hash = @hash AND used_at IS NULL AND expires_at > @now AND code_attempts < @maxAttempts`);
  const countPending = db.prepare<{ now: number }, { count: number }>('SELECT COUNT(*) AS count FROM login_tokens WHERE used_at IS NULL AND expires_at > @now');
  // No index on email: the table holds minutes of sign-ins (the purge job empties it), and this
  // runs once per deleted account.
  const deleteByEmail = db.prepare<[string]>('DELETE FROM login_tokens WHERE email = ?');

  return {
    async insert(token) {
      insert.run(token);
    },
    async listPending(interactionUid, now) {
      return pending.all({ interactionUid, now }).map(toRecord);
    },
    async reserveCodeAttempt(hash, maxAttempts, now) {
      return reserve.run({ hash, maxAttempts, now }).changes === 1;
    },
    async countPending(now) {
      return countPending.get({ now })?.count ?? 0;
    },
    async deleteByEmail(email) {
      return deleteByEmail.run(email).changes;
    },
    async findByHash(hash) {
      const row = byHash.get(hash);
      return row && toRecord(row);
    },
    async consume(hash, now) {
      return consume(hash, now);
    },
    async requestApproval(hash, now) {
      requestApproval.run({ hash, now });
      const row = byHash.get(hash);
      return row && toRecord(row);
    },
    async approve(hash, now) {
      return approve(hash, now);
    },
    async listApprovals(interactionUid) {
      return approvals.all(interactionUid).map(toRecord);
    },
    async claimApproval(hash, now) {
      return claimApproval.run({ hash, now }).changes === 1;
    },
  };
}
