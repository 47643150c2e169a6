// One store operation failing as it does when the store cannot be used right now, in the terms of
// the store under test: better-sqlite3's SQLITE_BUSY (another writer holds the lock) on SQLite, the
// driver's network error (the connection to the server was cut) on MongoDB. An error in SQLite's
// terms is, rightly, a bug to the MongoDB store (500, not 503), so a fault must be the store's own.
import Database from 'better-sqlite3';
import mongoose from 'mongoose';
import type { Store } from '../../src/store/port.js';

/** The error `store`'s own driver throws when it cannot reach its data; the store is asked to agree. */
export function unavailableError(store: Pick<Store, 'kind' | 'failureKind'>): Error {
  const error =
    store.kind === 'sqlite'
      ? new Database.SqliteError('database is locked', 'SQLITE_BUSY')
      : new mongoose.mongo.MongoNetworkError('connection 1 to 127.0.0.1:27017 closed');
  if (store.failureKind(error) === undefined) throw new Error(`the ${store.kind} store does not take ${error.name} for unavailable`);
  return error;
}
