// APIs as resources (RFC 8707) in SQLite: one row each, its scopes a JSON array. The identifier is
// unique, so two resources can never claim the same audience.
import type { Database } from 'better-sqlite3';
import { DuplicateError, type ResourceRecord, type ResourceScope, type ResourceStore } from '../port.js';

interface Row {
  id: string;
  identifier: string;
  scopes: string;
  access_token_ttl_seconds: number;
  introspection_client_id: string | null;
  created_at: number;
  updated_at: number;
}

const toRecord = (row: Row): ResourceRecord => ({
  id: row.id,
  identifier: row.identifier,
  scopes: JSON.parse(row.scopes) as ResourceScope[],
  accessTokenTtlSeconds: row.access_token_ttl_seconds,
  introspectionClientId: row.introspection_client_id,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function createSqliteResources(db: Database): ResourceStore {
  const insert = db.prepare(`
    INSERT INTO resources (id, identifier, scopes, access_token_ttl_seconds, introspection_client_id, created_at, updated_at)
    VALUES (@id, @identifier, @scopes, @accessTokenTtlSeconds, @introspectionClientId, @createdAt, @updatedAt)
    ON CONFLICT DO NOTHING`);
  const byId = db.prepare<[string], Row>('SELECT * FROM resources WHERE id = ?');
  const byIdentifier = db.prepare<[string], Row>('SELECT * FROM resources WHERE identifier = ?');
  const all = db.prepare<[], Row>('SELECT * FROM resources ORDER BY created_at, id');
  const remove = db.prepare('DELETE FROM resources WHERE id = ?');
  // A field left out keeps its value; introspection_client_id may be set to null, so it has its own flag.
  const change = db.prepare(`
    UPDATE resources SET
      scopes = COALESCE(@scopes, scopes),
      access_token_ttl_seconds = COALESCE(@ttl, access_token_ttl_seconds),
      introspection_client_id = CASE WHEN @setIntrospection = 1 THEN @introspectionClientId ELSE introspection_client_id END,
      updated_at = @now
    WHERE id = @id`);

  return {
    async create(resource) {
      const changes = insert.run({ ...resource, scopes: JSON.stringify(resource.scopes) }).changes;
      if (changes === 0) throw new DuplicateError(`resource ${resource.identifier}`);
    },
    async find(id) {
      const row = byId.get(id);
      return row && toRecord(row);
    },
    async findByIdentifier(identifier) {
      const row = byIdentifier.get(identifier);
      return row && toRecord(row);
    },
    async list() {
      return all.all().map(toRecord);
    },
    async update(id, changes, now) {
      return (
        change.run({
          id,
          now,
          scopes: changes.scopes === undefined ? null : JSON.stringify(changes.scopes),
          ttl: changes.accessTokenTtlSeconds ?? null,
          setIntrospection: changes.introspectionClientId === undefined ? 0 : 1,
          introspectionClientId: changes.introspectionClientId ?? null,
        }).changes === 1
      );
    },
    async delete(id) {
      return remove.run(id).changes === 1;
    },
  };
}
