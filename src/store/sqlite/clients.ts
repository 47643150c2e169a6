// Registered relying parties. The secret itself is never stored: only the salt it is derived
// from with the server secret (see src/oidc/client-metadata.ts).
import type { Database } from 'better-sqlite3';
import { DuplicateError, type ClientRecord, type ClientStore } from '../port.js';

interface Row {
  client_id: string;
  name: string;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  is_public: number;
  first_party: number;
  secret_salt: string | null;
  metadata: string;
  settings: string;
  created_at: number;
  updated_at: number;
}

const toRecord = (row: Row): ClientRecord => ({
  clientId: row.client_id,
  name: row.name,
  redirectUris: JSON.parse(row.redirect_uris) as string[],
  postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
  isPublic: row.is_public === 1,
  firstParty: row.first_party === 1,
  secretSalt: row.secret_salt,
  metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  settings: JSON.parse(row.settings) as Record<string, unknown>,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function createSqliteClients(db: Database): ClientStore {
  const insert = db.prepare(`
    INSERT INTO clients (client_id, name, redirect_uris, post_logout_redirect_uris, is_public,
      first_party, secret_salt, metadata, settings, created_at, updated_at)
    VALUES (@clientId, @name, @redirectUris, @postLogoutRedirectUris, @isPublic, @firstParty,
      @secretSalt, @metadata, @settings, @createdAt, @updatedAt)
    ON CONFLICT (client_id) DO NOTHING`);
  const byId = db.prepare<[string], Row>('SELECT * FROM clients WHERE client_id = ?');
  const all = db.prepare<[], Row>('SELECT * FROM clients ORDER BY created_at, client_id');
  const remove = db.prepare('DELETE FROM clients WHERE client_id = ?');
  const setSalt = db.prepare('UPDATE clients SET secret_salt = @secretSalt, updated_at = @now WHERE client_id = @clientId');
  // A field left out of the changes keeps its value (COALESCE with a NULL parameter).
  const change = db.prepare(`
    UPDATE clients SET
      name = COALESCE(@name, name),
      redirect_uris = COALESCE(@redirectUris, redirect_uris),
      post_logout_redirect_uris = COALESCE(@postLogoutRedirectUris, post_logout_redirect_uris),
      first_party = COALESCE(@firstParty, first_party),
      metadata = COALESCE(@metadata, metadata),
      settings = COALESCE(@settings, settings),
      updated_at = @now
    WHERE client_id = @clientId`);
  const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

  return {
    async create(client) {
      const changes = insert.run({
        ...client,
        redirectUris: JSON.stringify(client.redirectUris),
        postLogoutRedirectUris: JSON.stringify(client.postLogoutRedirectUris),
        isPublic: client.isPublic ? 1 : 0,
        firstParty: client.firstParty ? 1 : 0,
        metadata: JSON.stringify(client.metadata),
        settings: JSON.stringify(client.settings),
      }).changes;
      if (changes === 0) throw new DuplicateError(`client ${client.clientId}`);
    },
    async find(clientId) {
      const row = byId.get(clientId);
      return row && toRecord(row);
    },
    async list() {
      return all.all().map(toRecord);
    },
    async delete(clientId) {
      return remove.run(clientId).changes === 1;
    },
    async setSecretSalt(clientId, secretSalt, now) {
      return setSalt.run({ clientId, secretSalt, now }).changes === 1;
    },
    async update(clientId, changes, now) {
      const result = change.run({
        clientId,
        now,
        name: changes.name ?? null,
        redirectUris: json(changes.redirectUris),
        postLogoutRedirectUris: json(changes.postLogoutRedirectUris),
        firstParty: changes.firstParty === undefined ? null : changes.firstParty ? 1 : 0,
        metadata: json(changes.metadata),
        settings: json(changes.settings),
      });
      return result.changes === 1;
    },
  };
}
