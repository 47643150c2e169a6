// MongoDB databases for tests, when MONGODB_URI points at a server (`npm run test:mongo`): every
// suite works in a database of its own, named at random and dropped afterwards, so a second run
// against the same server starts as empty as the first. Also a dump of a whole database, for
// tests that search everything stored for values that must not be there.
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';

/** Set when a MongoDB server is available to tests (see test/support/with-mongodb.ts). */
export const TEST_MONGODB_URI = process.env.MONGODB_URI || undefined;

/** `base` with its database replaced by `name`; options (replicaSet, auth) are kept. */
export function databaseUri(base: string, name: string): string {
  // Not new URL(): a replica set's host list (db-1:27017,db-2:27017) is no valid URL authority.
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/.exec(base);
  if (!match) throw new Error('MONGODB_URI is not a mongodb:// or mongodb+srv:// URI');
  return `${match[1]}/${name}${match[2] ?? ''}`;
}

/** A fresh database on the test server, named `<prefix>_<random>`. */
export function newTestDatabaseUri(prefix: string): string {
  if (!TEST_MONGODB_URI) throw new Error('MONGODB_URI is not set');
  return databaseUri(TEST_MONGODB_URI, `${prefix}_${randomBytes(6).toString('hex')}`);
}

export async function dropDatabase(uri: string): Promise<void> {
  const connection = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  try {
    await connection.dropDatabase();
  } finally {
    await connection.close();
  }
}

/** Every document of every collection in the database, as canonical extended JSON values, collection by collection. */
export async function databaseDocuments(uri: string): Promise<Record<string, Record<string, unknown>[]>> {
  const connection = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  try {
    const db = connection.db!;
    const dump: Record<string, Record<string, unknown>[]> = {};
    for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      const documents = await db.collection(name).find().toArray();
      dump[name] = documents.map((document) => mongoose.mongo.BSON.EJSON.serialize(document, { relaxed: false }));
    }
    return dump;
  } finally {
    await connection.close();
  }
}

/** Every document of every collection in the database, as extended JSON text, collection by collection. */
export async function dumpDatabase(uri: string): Promise<Record<string, string>> {
  const documents = await databaseDocuments(uri);
  return Object.fromEntries(Object.entries(documents).map(([name, list]) => [name, JSON.stringify(list)]));
}
