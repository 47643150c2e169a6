// The durable send queue and the suppression list in SQLite. A claim is one UPDATE ... RETURNING
// on the rows it picked (up to a batch), guarded by status and lease and run in one IMMEDIATE
// transaction, so two workers never send the same message.
import type { Database } from 'better-sqlite3';
import { addressKey } from '../address-key.js';
import type { MailQueueStore, MailStatus, QueuedMail, Suppression, SuppressionStore } from '../port.js';

interface Row {
  id: string;
  recipient: string;
  tag: string;
  interaction_uid: string | null;
  binding_hash: string | null;
  request_id: string | null;
  sealed: string | null;
  status: MailStatus;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  give_up_at: number;
  last_error: string | null;
  provider_message_id: string | null;
  created_at: number;
  updated_at: number;
}

const toMail = (row: Row): QueuedMail => ({
  id: row.id,
  to: row.recipient,
  tag: row.tag,
  interactionUid: row.interaction_uid,
  bindingHash: row.binding_hash,
  requestId: row.request_id,
  sealed: row.sealed,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at,
  leaseUntil: row.lease_until,
  giveUpAt: row.give_up_at,
  lastError: row.last_error,
  providerMessageId: row.provider_message_id,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function createSqliteMailQueue(db: Database): MailQueueStore {
  const insert = db.prepare(`
    INSERT INTO mail_queue (id, recipient, tag, interaction_uid, binding_hash, request_id, sealed, status,
      attempts, next_attempt_at, lease_until, give_up_at, last_error, provider_message_id, created_at, updated_at)
    VALUES (@id, @to, @tag, @interactionUid, @bindingHash, @requestId, @sealed, @status, @attempts,
      @nextAttemptAt, @leaseUntil, @giveUpAt, @lastError, @providerMessageId, @createdAt, @updatedAt)
    ON CONFLICT (id) DO NOTHING`);
  const claim = db.prepare<{ owner: string; now: number; leaseUntil: number; limit: number }, Row>(`
    UPDATE mail_queue SET lease_owner = @owner, lease_until = @leaseUntil, attempts = attempts + 1, updated_at = @now
    WHERE id IN (
      SELECT id FROM mail_queue
      WHERE status = 'queued' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
      ORDER BY next_attempt_at, created_at LIMIT @limit)
    RETURNING *`);
  // Read first, outside any transaction: a queue with nothing due (every poll of an idle one, and a
  // sender's last look) costs one indexed read instead of taking the write lock.
  const anyDue = db.prepare<{ now: number }, { due: 1 }>(`
    SELECT 1 AS due FROM mail_queue
    WHERE status = 'queued' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now) LIMIT 1`);
  // RETURNING gives rows in no promised order; the caller gets them oldest due first, as picked.
  const claimAll = db.transaction((params: { owner: string; now: number; leaseUntil: number; limit: number }) =>
    claim.all(params).sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.created_at - b.created_at),
  );
  const sent = db.prepare(`
    UPDATE mail_queue SET status = 'sent', sealed = NULL, provider_message_id = @providerMessageId,
      lease_owner = NULL, lease_until = NULL, last_error = NULL, updated_at = @now
    WHERE id = @id AND lease_owner = @owner AND status = 'queued'`);
  const failed = db.prepare(`
    UPDATE mail_queue SET status = @status, sealed = NULL, last_error = @error,
      lease_owner = NULL, lease_until = NULL, updated_at = @now
    WHERE id = @id AND lease_owner = @owner AND status = 'queued'`);
  const retry = db.prepare(`
    UPDATE mail_queue SET next_attempt_at = @nextAttemptAt, last_error = @error,
      lease_owner = NULL, lease_until = NULL, updated_at = @now
    WHERE id = @id AND lease_owner = @owner AND status = 'queued'`);
  const latest = db.prepare<{ interactionUid: string; bindingHash: string }, Row>(`
    SELECT * FROM mail_queue WHERE interaction_uid = @interactionUid AND binding_hash = @bindingHash
    ORDER BY created_at DESC, rowid DESC LIMIT 1`);
  const delivery = db.prepare(`
    UPDATE mail_queue SET status = @status, last_error = COALESCE(@detail, last_error), updated_at = @now
    WHERE provider_message_id = @providerMessageId AND status IN ('sent', 'delivered')`);
  const sentAt = db.prepare<{ providerMessageId: string }, { status: MailStatus; updated_at: number }>(
    'SELECT status, updated_at FROM mail_queue WHERE provider_message_id = @providerMessageId',
  );
  const queued = db.prepare<[], { count: number; oldest: number | null }>(
    "SELECT COUNT(*) AS count, MIN(created_at) AS oldest FROM mail_queue WHERE status = 'queued'",
  );
  const countByStatus = db.prepare<[], { status: MailStatus; count: number }>('SELECT status, COUNT(*) AS count FROM mail_queue GROUP BY status');
  // Walks mail_queue_finished (updated_at, status != 'queued') newest first.
  const recentFailures = db.prepare<{ limit: number }, Row>(`
    SELECT * FROM mail_queue WHERE status != 'queued' AND status IN ('failed', 'suppressed')
    ORDER BY updated_at DESC, rowid DESC LIMIT @limit`);
  const purge = db.prepare(`
    DELETE FROM mail_queue WHERE rowid IN (
      SELECT rowid FROM mail_queue WHERE status != 'queued' AND updated_at < @before LIMIT @limit)`);

  return {
    async enqueue(mail) {
      return insert.run(mail).changes === 1;
    },
    async claimBatch(owner, now, leaseMs, limit) {
      // IMMEDIATE: the claim takes the write lock before it picks rows, so a sender in another
      // process waits its turn instead of failing with SQLITE_BUSY. A negative LIMIT is no limit in SQLite.
      if (!anyDue.get({ now })) return [];
      return claimAll.immediate({ owner, now, leaseUntil: now + leaseMs, limit: Math.max(0, Math.trunc(limit)) }).map(toMail);
    },
    async complete(id, owner, outcome, now) {
      const result =
        outcome.status === 'sent'
          ? sent.run({ id, owner, now, providerMessageId: outcome.providerMessageId })
          : outcome.status === 'retry'
            ? retry.run({ id, owner, now, nextAttemptAt: outcome.nextAttemptAt, error: outcome.error })
            : failed.run({ id, owner, now, status: outcome.status, error: outcome.error });
      return result.changes === 1;
    },
    async latestFor(interactionUid, bindingHash) {
      const row = latest.get({ interactionUid, bindingHash });
      return row && toMail(row);
    },
    async recordDelivery(providerMessageId, status, detail, now) {
      // A sent row's updated_at is when the provider accepted it: nothing else writes it until a report.
      return db
        .transaction(() => {
          const before = sentAt.get({ providerMessageId });
          if (delivery.run({ providerMessageId, status, detail, now }).changes === 0) return undefined;
          return { sentAt: before?.status === 'sent' ? before.updated_at : null };
          // IMMEDIATE: it reads, then writes; another process (a cluster worker) writing between
          // would make a deferred transaction fail with SQLITE_BUSY instead of waiting its turn.
        })
        .immediate();
    },
    async queued() {
      const row = queued.get();
      return { count: row?.count ?? 0, oldestCreatedAt: row?.oldest ?? null };
    },
    async summary(recentLimit) {
      const counts: Record<MailStatus, number> = { queued: 0, sent: 0, delivered: 0, failed: 0, suppressed: 0 };
      for (const row of countByStatus.all()) counts[row.status] = row.count;
      return { counts, recentFailures: recentFailures.all({ limit: Math.max(0, Math.trunc(recentLimit)) }).map(toMail) };
    },
    async purgeFinished(before, batchSize) {
      return purge.run({ before, limit: batchSize }).changes;
    },
  };
}

export function createSqliteSuppressions(db: Database): SuppressionStore {
  const insert = db.prepare(`
    INSERT INTO suppressed_addresses (email_key, reason, created_at) VALUES (@key, @reason, @now)
    ON CONFLICT (email_key) DO NOTHING`);
  const find = db.prepare<[string], { reason: string }>('SELECT reason FROM suppressed_addresses WHERE email_key = ?');
  const all = db.prepare<[], Suppression>('SELECT email_key AS email, reason, created_at AS createdAt FROM suppressed_addresses ORDER BY email_key');
  const remove = db.prepare<[string]>('DELETE FROM suppressed_addresses WHERE email_key = ?');
  return {
    async suppress(email, reason, now) {
      insert.run({ key: addressKey(email), reason, now });
    },
    async reasonFor(email) {
      return find.get(addressKey(email))?.reason;
    },
    async list() {
      return all.all();
    },
    async lift(email) {
      return remove.run(addressKey(email)).changes === 1;
    },
  };
}
