// The audit trail in SQLite: append-only rows, searched by the identifiers an operator holds (a
// request id from a page, an address, an account, a client, a reason) within a time range.
// Events past their retention are invisible here and removed by purgeExpired.
import type { Database } from 'better-sqlite3';
import { ADDRESS_HASH_FIELDS, addressKeysHeld, heldHashesAndRequests, withoutAddressHashes } from '../address-hashes.js';
import { addressKey } from '../address-key.js';
import type { AuditQuery, AuditRecord, AuditStore } from '../port.js';

interface Row {
  at: number;
  event: string;
  request_id: string | null;
  interaction_uid: string | null;
  client_id: string | null;
  account_id: string | null;
  email: string | null;
  ip: string | null;
  user_agent: string | null;
  reason: string | null;
  provider_message_id: string | null;
  versions: string;
  fields: string;
  expires_at: number;
}

const toRecord = (row: Row): AuditRecord => ({
  at: row.at,
  event: row.event,
  requestId: row.request_id,
  interactionUid: row.interaction_uid,
  clientId: row.client_id,
  accountId: row.account_id,
  email: row.email,
  ip: row.ip,
  userAgent: row.user_agent,
  reason: row.reason,
  providerMessageId: row.provider_message_id,
  versions: JSON.parse(row.versions) as Record<string, string>,
  fields: JSON.parse(row.fields) as Record<string, unknown>,
  expiresAt: row.expires_at,
});

/** Query filters and the column each one matches (by equality). */
const EQUALITY_FILTERS = [
  ['requestId', 'request_id'],
  ['interactionUid', 'interaction_uid'],
  ['clientId', 'client_id'],
  ['accountId', 'account_id'],
  ['reason', 'reason'],
  ['providerMessageId', 'provider_message_id'],
] as const;

export function createSqliteAuditEvents(db: Database): AuditStore {
  const insert = db.prepare(`INSERT INTO audit_events
    (at, event, request_id, interaction_uid, client_id, account_id, email, email_key, ip, user_agent, reason, provider_message_id, versions, fields, expires_at)
    VALUES (@at, @event, @requestId, @interactionUid, @clientId, @accountId, @email, @emailKey, @ip, @userAgent, @reason, @providerMessageId, @versions, @fields, @expiresAt)`);
  // A deleted account's addresses and their hashes: the rows are found by the account's, the
  // request's and the address's indexes and by a read-only scan of the fields (events such as
  // suppression.lifted name an address only by its hash), so the write lock is held only for the
  // rows that change.
  const hashFieldPresent = ADDRESS_HASH_FIELDS.map((field) => `json_type(fields, '$.${field}') IS NOT NULL`).join(' OR ');
  const addressEventsOfAccount = db.prepare<{ accountId: string }, { request_id: string | null; fields: string }>(
    `SELECT request_id, fields FROM audit_events WHERE account_id = @accountId AND (${hashFieldPresent})`,
  );
  const addressesOfAccount = db.prepare<{ accountId: string }, { email: string }>(
    'SELECT DISTINCT email FROM audit_events WHERE account_id = @accountId AND email IS NOT NULL',
  );
  const addressesOfRequests = db.prepare<{ requestIds: string }, { email: string }>(
    'SELECT DISTINCT email FROM audit_events WHERE request_id IN (SELECT value FROM json_each(@requestIds)) AND email IS NOT NULL',
  );
  const naming = db.prepare<{ accountId: string; emailKeys: string }, { seq: number }>(
    `SELECT seq FROM audit_events WHERE (account_id = @accountId AND (email IS NOT NULL OR ${hashFieldPresent}))
      OR (email_key IN (SELECT value FROM json_each(@emailKeys)) AND email IS NOT NULL)`,
  );
  const hashing = db.prepare<{ hashes: string }, { seq: number }>(
    `SELECT seq FROM audit_events WHERE ${ADDRESS_HASH_FIELDS.map((field) => `json_extract(fields, '$.${field}') IN (SELECT value FROM json_each(@hashes))`).join(' OR ')}`,
  );
  const rowAt = db.prepare<[number], { account_id: string | null; email: string | null; email_key: string | null; fields: string }>(
    'SELECT account_id, email, email_key, fields FROM audit_events WHERE seq = ?',
  );
  const rewrite = db.prepare(`UPDATE audit_events SET email = CASE WHEN @forget = 1 THEN NULL ELSE email END,
    email_key = CASE WHEN @forget = 1 THEN NULL ELSE email_key END, fields = @fields WHERE seq = @seq`);
  // Each row is read again under the lock: another instance may have rewritten its fields since the scan.
  const scrubAll = db.transaction((seqs: readonly number[], person: { accountId: string; emailKeys: ReadonlySet<string>; held: ReadonlySet<string> }) => {
    let changed = 0;
    for (const seq of seqs) {
      const row = rowAt.get(seq);
      if (!row) continue;
      const own = row.account_id === person.accountId;
      const fields = JSON.stringify(withoutAddressHashes(JSON.parse(row.fields) as Record<string, unknown>, own, person.held));
      const forget = row.email !== null && (own || (row.email_key !== null && person.emailKeys.has(row.email_key)));
      if (!forget && fields === row.fields) continue;
      rewrite.run({ seq, forget: forget ? 1 : 0, fields });
      changed += 1;
    }
    return changed;
  });
  /** The addresses the account held (address-hashes.ts): their hashes, and the keys of those named in clear. */
  const heldBy = (accountId: string, email: string, emailHash: string) => {
    const addressEvents = addressEventsOfAccount
      .all({ accountId })
      .map((row) => ({ requestId: row.request_id, fields: JSON.parse(row.fields) as Record<string, unknown> }));
    const { held, requestIds } = heldHashesAndRequests(emailHash, addressEvents);
    const named = [...addressesOfAccount.all({ accountId }), ...addressesOfRequests.all({ requestIds: JSON.stringify(requestIds) })].map((row) => row.email);
    return { held, emailKeys: addressKeysHeld(email, named, held) };
  };
  const appendAll = db.transaction((records: readonly AuditRecord[]) => {
    for (const record of records) {
      insert.run({
        ...record,
        emailKey: record.email === null ? null : addressKey(record.email),
        versions: JSON.stringify(record.versions),
        fields: JSON.stringify(record.fields),
      });
    }
  });
  return {
    async append(records) {
      appendAll(records);
    },
    async search(query: AuditQuery, now) {
      const where = ['expires_at > @now'];
      const params: Record<string, unknown> = { now };
      for (const [key, column] of EQUALITY_FILTERS) {
        if (query[key] === undefined) continue;
        where.push(`${column} = @${key}`);
        params[key] = query[key];
      }
      if (query.email !== undefined) {
        where.push('email_key = @emailKey');
        params.emailKey = addressKey(query.email);
      }
      if (query.since !== undefined) {
        where.push('at >= @since');
        params.since = query.since;
      }
      if (query.until !== undefined) {
        where.push('at < @until');
        params.until = query.until;
      }
      params.limit = query.limit ?? -1;
      const rows = db.prepare(`SELECT * FROM audit_events WHERE ${where.join(' AND ')} ORDER BY at, seq LIMIT @limit`).all(params) as Row[];
      return rows.map(toRecord);
    },
    async forgetAddress({ accountId, email, emailHash }) {
      const { held, emailKeys } = heldBy(accountId, email, emailHash);
      const seqs = new Set(
        [...naming.all({ accountId, emailKeys: JSON.stringify(emailKeys) }), ...hashing.all({ hashes: JSON.stringify(held) })].map((row) => row.seq),
      );
      return scrubAll([...seqs], { accountId, emailKeys: new Set(emailKeys), held: new Set(held) });
    },
  };
}
