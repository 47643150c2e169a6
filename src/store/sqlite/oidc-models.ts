// oidc-provider's models (sessions, grants, codes, tokens, interactions, ...) as JSON payloads in
// one table keyed by (model, id), with the lookup columns the adapter needs and the account id
// that user administration finds an account's sessions, grants and tokens by.
import type { Database } from 'better-sqlite3';
import type { OidcModelStore, OidcPayload } from '../port.js';

interface Row {
  payload: string;
}

export function createSqliteOidcModels(db: Database): OidcModelStore {
  const upsert = db.prepare(`
    INSERT INTO oidc_models (model, id, payload, uid, user_code, grant_id, account_id, expires_at)
    VALUES (@model, @id, @payload, @uid, @userCode, @grantId, @accountId, @expiresAt)
    ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, uid = excluded.uid,
      user_code = excluded.user_code, grant_id = excluded.grant_id, account_id = excluded.account_id, expires_at = excluded.expires_at`);
  const live = '(expires_at IS NULL OR expires_at > @now)';
  const find = db.prepare<{ model: string; id: string; now: number }, Row>(`SELECT payload FROM oidc_models WHERE model = @model AND id = @id AND ${live}`);
  const findByUid = db.prepare<{ model: string; uid: string; now: number }, Row>(
    `SELECT payload FROM oidc_models WHERE model = @model AND uid = @uid AND ${live} LIMIT 1`,
  );
  const findByUserCode = db.prepare<{ model: string; userCode: string; now: number }, Row>(
    `SELECT payload FROM oidc_models WHERE model = @model AND user_code = @userCode AND ${live} LIMIT 1`,
  );
  const consume = db.prepare(`
    UPDATE oidc_models SET payload = json_set(payload, '$.consumed', @consumed)
    WHERE model = @model AND id = @id AND json_extract(payload, '$.consumed') IS NULL AND ${live}`);
  const insertIfAbsent = db.prepare(`
    INSERT INTO oidc_models (model, id, payload, expires_at) VALUES (@model, @id, @payload, @expiresAt)
    ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, uid = NULL, user_code = NULL, grant_id = NULL,
      account_id = NULL, expires_at = excluded.expires_at
    WHERE oidc_models.expires_at IS NOT NULL AND oidc_models.expires_at <= @now`);
  const destroy = db.prepare('DELETE FROM oidc_models WHERE model = @model AND id = @id');
  const revoke = db.prepare('DELETE FROM oidc_models WHERE model = @model AND grant_id = @grantId');
  const byAccount = db.prepare<{ model: string; accountId: string; now: number }, Row & { id: string }>(
    `SELECT id, payload FROM oidc_models WHERE model = @model AND account_id = @accountId AND ${live}`,
  );
  const destroyByAccount = db.prepare('DELETE FROM oidc_models WHERE model = @model AND account_id = @accountId');

  const parse = (row: Row | undefined) => (row ? (JSON.parse(row.payload) as OidcPayload) : undefined);

  return {
    async upsert(model, id, payload, expiresAt) {
      upsert.run({
        model,
        id,
        payload: JSON.stringify(payload),
        uid: payload.uid ?? null,
        userCode: payload.userCode ?? null,
        grantId: payload.grantId ?? null,
        accountId: typeof payload.accountId === 'string' ? payload.accountId : null,
        expiresAt,
      });
    },
    async find(model, id, now) {
      return parse(find.get({ model, id, now }));
    },
    async findByUid(model, uid, now) {
      return parse(findByUid.get({ model, uid, now }));
    },
    async findByUserCode(model, userCode, now) {
      return parse(findByUserCode.get({ model, userCode, now }));
    },
    async consume(model, id, now) {
      return consume.run({ model, id, now, consumed: Math.floor(now / 1000) }).changes === 1;
    },
    async insertIfAbsent(model, id, payload, expiresAt, now) {
      return insertIfAbsent.run({ model, id, payload: JSON.stringify(payload), expiresAt, now }).changes === 1;
    },
    async destroy(model, id) {
      destroy.run({ model, id });
    },
    async revokeByGrantId(model, grantId) {
      revoke.run({ model, grantId });
    },
    async listByAccount(model, accountId, now) {
      return byAccount.all({ model, accountId, now }).map((row) => ({ id: row.id, payload: JSON.parse(row.payload) as OidcPayload }));
    },
    async destroyByAccount(model, accountId) {
      return destroyByAccount.run({ model, accountId }).changes;
    },
  };
}
