// Schema migrations for the SQLite store, applied in order and tracked in PRAGMA user_version.
// Add a new entry at the end; never edit one that has shipped.
import type { Database } from 'better-sqlite3';
import { StoreConnectionError } from '../port.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE oidc_models (
    model       TEXT NOT NULL,
    id          TEXT NOT NULL,
    payload     TEXT NOT NULL,
    uid         TEXT,
    user_code   TEXT,
    grant_id    TEXT,
    expires_at  INTEGER,
    PRIMARY KEY (model, id)
  );
  CREATE INDEX oidc_models_uid ON oidc_models (model, uid) WHERE uid IS NOT NULL;
  CREATE INDEX oidc_models_user_code ON oidc_models (model, user_code) WHERE user_code IS NOT NULL;
  CREATE INDEX oidc_models_grant_id ON oidc_models (model, grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX oidc_models_expires_at ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    email_key      TEXT NOT NULL UNIQUE,
    created_at     INTEGER NOT NULL,
    last_login_at  INTEGER
  );

  CREATE TABLE login_tokens (
    hash             TEXT PRIMARY KEY,
    email            TEXT NOT NULL,
    interaction_uid  TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    binding_hash     TEXT NOT NULL,
    code_hmac        TEXT NOT NULL,
    ip               TEXT NOT NULL,
    user_agent       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER
  );
  CREATE INDEX login_tokens_expires_at ON login_tokens (expires_at);
  CREATE INDEX login_tokens_interaction ON login_tokens (interaction_uid);

  CREATE TABLE clients (
    client_id                  TEXT PRIMARY KEY,
    name                       TEXT NOT NULL,
    redirect_uris              TEXT NOT NULL,
    post_logout_redirect_uris  TEXT NOT NULL,
    is_public                  INTEGER NOT NULL,
    first_party                INTEGER NOT NULL,
    secret_salt                TEXT,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
  );
  `,
  // rate-limiter-flexible's RateLimiterSQLite table, created here so migrations own the schema.
  `
  CREATE TABLE rate_limits (
    key     TEXT PRIMARY KEY,
    points  INTEGER NOT NULL DEFAULT 0,
    expire  INTEGER
  );
  CREATE INDEX rate_limits_expire ON rate_limits (expire) WHERE expire IS NOT NULL;
  `,
  `
  ALTER TABLE login_tokens ADD COLUMN code_attempts INTEGER NOT NULL DEFAULT 0;
  `,
  `
  CREATE TABLE mail_queue (
    id                   TEXT PRIMARY KEY,
    recipient            TEXT NOT NULL,
    tag                  TEXT NOT NULL,
    interaction_uid      TEXT,
    binding_hash         TEXT,
    request_id           TEXT,
    sealed               TEXT,
    status               TEXT NOT NULL,
    attempts             INTEGER NOT NULL DEFAULT 0,
    next_attempt_at      INTEGER NOT NULL,
    lease_owner          TEXT,
    lease_until          INTEGER,
    give_up_at           INTEGER NOT NULL,
    last_error           TEXT,
    provider_message_id  TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
  );
  CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at) WHERE status = 'queued';
  CREATE INDEX mail_queue_interaction ON mail_queue (interaction_uid, binding_hash, created_at);
  CREATE UNIQUE INDEX mail_queue_provider_id ON mail_queue (provider_message_id) WHERE provider_message_id IS NOT NULL;
  CREATE INDEX mail_queue_finished ON mail_queue (updated_at) WHERE status != 'queued';

  CREATE TABLE suppressed_addresses (
    email_key   TEXT PRIMARY KEY,
    reason      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
  );
  `,
  // oidc-provider's artefacts are now kept under digests of their ids (src/oidc/artefacts-at-rest.ts).
  // Rows written before were keyed by the live values themselves and can no longer be found:
  // remove them rather than keep working tokens at rest until they expire. Everyone signs in again.
  `
  DELETE FROM oidc_models;
  `,
  // The replayable audit trail (src/observability/audit-trail.ts); seq keeps the order appended.
  `
  CREATE TABLE audit_events (
    seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
    at                   INTEGER NOT NULL,
    event                TEXT NOT NULL,
    request_id           TEXT,
    interaction_uid      TEXT,
    client_id            TEXT,
    account_id           TEXT,
    email                TEXT,
    email_key            TEXT,
    ip                   TEXT,
    user_agent           TEXT,
    reason               TEXT,
    provider_message_id  TEXT,
    versions             TEXT NOT NULL,
    fields               TEXT NOT NULL,
    expires_at           INTEGER NOT NULL
  );
  CREATE INDEX audit_events_at ON audit_events (at);
  CREATE INDEX audit_events_expires_at ON audit_events (expires_at);
  CREATE INDEX audit_events_request ON audit_events (request_id) WHERE request_id IS NOT NULL;
  CREATE INDEX audit_events_interaction ON audit_events (interaction_uid) WHERE interaction_uid IS NOT NULL;
  CREATE INDEX audit_events_client ON audit_events (client_id, at) WHERE client_id IS NOT NULL;
  CREATE INDEX audit_events_account ON audit_events (account_id) WHERE account_id IS NOT NULL;
  CREATE INDEX audit_events_email ON audit_events (email_key) WHERE email_key IS NOT NULL;
  CREATE INDEX audit_events_reason ON audit_events (reason, at) WHERE reason IS NOT NULL;
  CREATE INDEX audit_events_message ON audit_events (provider_message_id) WHERE provider_message_id IS NOT NULL;
  `,
  // Per-client standard metadata and linkid's per-app settings, as JSON objects.
  `
  ALTER TABLE clients ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
  ALTER TABLE clients ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
  `,
  // User administration (linkid-admin user ...): accounts an administrator disabled, and the
  // account each of oidc-provider's artefacts belongs to, so that an account's sessions, grants
  // and tokens can be found and ended. Rows written before take it from their payload.
  `
  ALTER TABLE users ADD COLUMN disabled_at INTEGER;
  ALTER TABLE oidc_models ADD COLUMN account_id TEXT;
  UPDATE oidc_models SET account_id = json_extract(payload, '$.accountId') WHERE json_type(payload, '$.accountId') = 'text';
  CREATE INDEX oidc_models_account_id ON oidc_models (model, account_id) WHERE account_id IS NOT NULL;
  `,
  // Change email with undo (src/account/email-change.ts): confirm and undo tokens, by hash only.
  `
  CREATE TABLE email_change_tokens (
    hash          TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('confirm', 'undo')),
    account_id    TEXT NOT NULL,
    email         TEXT NOT NULL,
    other_email   TEXT NOT NULL,
    binding_hash  TEXT,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
  );
  CREATE INDEX email_change_tokens_account ON email_change_tokens (account_id, kind, created_at);
  CREATE INDEX email_change_tokens_expires_at ON email_change_tokens (expires_at);
  `,
  // Recovery codes (src/account/recovery-codes.ts): one row per code of an account's current set,
  // under an HMAC of the code with the server secret; the code itself is never stored.
  `
  CREATE TABLE recovery_codes (
    account_id  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    used_at     INTEGER,
    PRIMARY KEY (account_id, digest)
  ) WITHOUT ROWID;
  `,
  // Ending everything an account had (src/account/account-sessions.ts endAll): a sign-in that
  // finished before this moment does not become a session, even if its browser resumes it later.
  `
  ALTER TABLE users ADD COLUMN sign_ins_ended_at INTEGER;
  `,
  // Approval from another browser with number matching (src/login/steps/approve-elsewhere.ts).
  `
  ALTER TABLE login_tokens ADD COLUMN approval_requested_at INTEGER;
  ALTER TABLE login_tokens ADD COLUMN approved_at INTEGER;
  ALTER TABLE login_tokens ADD COLUMN approval_finished_at INTEGER;
  `,
  // Initial access tokens for dynamic client registration (src/admin/registration-tokens.ts), by digest only.
  `
  CREATE TABLE registration_tokens (
    id          TEXT PRIMARY KEY,
    digest      TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    uses        INTEGER NOT NULL CHECK (uses > 0),
    used        INTEGER NOT NULL DEFAULT 0,
    revoked_at  INTEGER
  );
  CREATE INDEX registration_tokens_expires_at ON registration_tokens (expires_at);
  `,
  // The email form's intent (src/login/link-requests.ts): a sign-in email promised and not yet
  // queued, its delivery sealed. Rows live seconds; the sweep finds those whose lease ran out by
  // lease_until. The purge scans the few rows there are by expires_at, so that has no index.
  `
  CREATE TABLE link_requests (
    id           TEXT PRIMARY KEY,
    sealed       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    lease_owner  TEXT,
    lease_until  INTEGER NOT NULL
  );
  CREATE INDEX link_requests_lease_until ON link_requests (lease_until);
  `,
  // APIs as resources (src/admin/resources.ts): RFC 8707 resource indicators with their scopes
  // (a JSON array of {name, description}) and the lifetime of their access tokens.
  `
  CREATE TABLE resources (
    id                        TEXT PRIMARY KEY,
    identifier                TEXT NOT NULL UNIQUE,
    scopes                    TEXT NOT NULL,
    access_token_ttl_seconds  INTEGER NOT NULL CHECK (access_token_ttl_seconds > 0),
    introspection_client_id   TEXT,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL
  );
  `,
];

/**
 * Applies what is missing, all in one IMMEDIATE transaction that also reads the version: two
 * processes opening a new file at once (the server and linkid-admin, or cluster workers) take
 * turns, and the second finds nothing left to do instead of running migration 0 again.
 */
export function migrate(db: Database): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    checkNotNewer(current);
    for (const migration of MIGRATIONS.slice(current)) db.exec(migration);
    if (current < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

/** The schema version this code brings a store to. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/** A store written by a newer linkid cannot be read by this one: said in one line, with what to do. */
export function checkNotNewer(version: number): void {
  if (version > MIGRATIONS.length) {
    throw new StoreConnectionError(
      `the SQLite store has schema version ${version}, newer than this linkid knows (${MIGRATIONS.length}): run the linkid release that wrote it (or a newer one), or restore a backup made before the upgrade`,
      undefined,
    );
  }
}

export interface PendingMigration {
  /** The version the store has once this migration ran. */
  readonly version: number;
  /** Each statement's first line: what it creates, alters or deletes. */
  readonly statements: readonly string[];
}

/** What migrate() would run on a store at `version`, without running it. */
export function pendingMigrations(version: number): PendingMigration[] {
  checkNotNewer(version);
  return MIGRATIONS.slice(version).map((sql, index) => ({
    version: version + index + 1,
    statements: sql
      .split(';')
      .map((statement) => statement.trim().split('\n')[0]?.trim() ?? '')
      .filter((line) => line.length > 0),
  }));
}
