// Everything a running linkid's store holds, whichever store it is, for tests that search all of
// it for values that must not be there (an address after deletion, a raw token): every row of
// every SQLite table, or every document of every MongoDB collection of its database. Table and
// collection names are the same in both stores (oidc-provider's artefacts aside: one table
// `oidc_models` on SQLite, one `oidc_<model>` collection each on MongoDB); field names follow each
// store's own spelling (`interaction_uid`, `interactionUid`), so read fields through the port.
import path from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite/index.js';
import type { BuiltLinkid } from './linkid.js';
import { databaseDocuments } from './test-databases.js';

export type StoredRecords = Record<string, Record<string, unknown>[]>;

export async function storedRecords(
  linkid: Pick<BuiltLinkid, 'dataDir'> & { readonly config: Pick<BuiltLinkid['config'], 'mongodbUri'> },
): Promise<StoredRecords> {
  if (linkid.config.mongodbUri) return databaseDocuments(linkid.config.mongodbUri);
  const db = new Database(path.join(linkid.dataDir, SQLITE_FILE_NAME), { readonly: true });
  try {
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    return Object.fromEntries(tables.map(({ name }) => [name, db.prepare<[], Record<string, unknown>>(`SELECT * FROM "${name}"`).all()]));
  } finally {
    db.close();
  }
}

/** The names of the tables (collections) with a record whose JSON holds `text`, ignoring case. */
export const holding = (records: StoredRecords, text: string): string[] =>
  Object.entries(records)
    .filter(([, rows]) => JSON.stringify(rows).toLowerCase().includes(text.toLowerCase()))
    .map(([name]) => name);
