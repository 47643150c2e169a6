// The durable store an oidc-provider deployment would write first: one SQLite table of JSON
// payloads with lookup columns, WAL with synchronous=NORMAL (as linkid's own store), prepared
// statements, expiry checked on read. No digests of ids and no sealed members: everything linkid
// adds for secrets at rest is left out, so "the bare engine on this adapter" is the fair anchor for
// work bound to a durable store (issue 28). Bench only; nothing in src/ uses it.
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Row {
  readonly payload: string;
  readonly expires_at: number | null;
  readonly consumed_at: number | null;
}

export function plainSqliteAdapter(dir: string): (model: string) => Adapter {
  const db = new Database(path.join(dir, 'plain-oidc.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS oidc (
    model TEXT NOT NULL,
    id TEXT NOT NULL,
    payload TEXT NOT NULL,
    grant_id TEXT,
    user_code TEXT,
    uid TEXT,
    expires_at INTEGER,
    consumed_at INTEGER,
    PRIMARY KEY (model, id)
  );
  CREATE INDEX IF NOT EXISTS oidc_grant ON oidc (grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS oidc_user_code ON oidc (model, user_code) WHERE user_code IS NOT NULL;
  CREATE INDEX IF NOT EXISTS oidc_uid ON oidc (model, uid) WHERE uid IS NOT NULL;`);

  const upsert = db.prepare<[string, string, string, string | null, string | null, string | null, number | null]>(
    `INSERT INTO oidc (model, id, payload, grant_id, user_code, uid, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
       user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at`,
  );
  const byId = db.prepare<[string, string], Row>('SELECT payload, expires_at, consumed_at FROM oidc WHERE model = ? AND id = ?');
  const byUid = db.prepare<[string, string], Row>('SELECT payload, expires_at, consumed_at FROM oidc WHERE model = ? AND uid = ?');
  const byUserCode = db.prepare<[string, string], Row>('SELECT payload, expires_at, consumed_at FROM oidc WHERE model = ? AND user_code = ?');
  const remove = db.prepare<[string, string]>('DELETE FROM oidc WHERE model = ? AND id = ?');
  const consume = db.prepare<[number, string, string]>('UPDATE oidc SET consumed_at = ? WHERE model = ? AND id = ?');
  const revoke = db.prepare<[string]>('DELETE FROM oidc WHERE grant_id = ?');

  const now = () => Math.floor(Date.now() / 1000);
  const read = (row: Row | undefined): AdapterPayload | undefined => {
    if (!row || (row.expires_at !== null && row.expires_at <= now())) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
  };

  return (model: string): Adapter => ({
    async upsert(id, payload, expiresIn) {
      const text = (value: unknown) => (typeof value === 'string' ? value : null);
      upsert.run(model, id, JSON.stringify(payload), text(payload.grantId), text(payload.userCode), text(payload.uid), expiresIn ? now() + expiresIn : null);
    },
    find: async (id) => read(byId.get(model, id)),
    findByUid: async (uid) => read(byUid.get(model, uid)),
    findByUserCode: async (userCode) => read(byUserCode.get(model, userCode)),
    async destroy(id) {
      remove.run(model, id);
    },
    async consume(id) {
      consume.run(now(), model, id);
    },
    async revokeByGrantId(grantId) {
      revoke.run(grantId);
    },
  });
}
