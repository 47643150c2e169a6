// The Store contract against MongoDB, whenever MONGODB_URI points at a server (npm run test:mongo
// starts a throwaway one with mongodb-memory-server). Each test gets its own database, dropped
// afterwards. Without MONGODB_URI this suite is reported as skipped, with the reason printed.
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { describe } from 'vitest';
import { openMongoStore } from '../../src/store/mongodb/index.js';
import { storeContract } from './store-contract.js';

const uri = process.env.MONGODB_URI;

if (!uri) {
  console.warn(
    '[contract] MongoDB run NOT DONE: MONGODB_URI is not set (run `npm run test:mongo` on a machine that can download mongod, or point MONGODB_URI at a server)',
  );
  describe.skip('Store contract: mongodb (MONGODB_URI not set)', () => undefined);
} else {
  let dbUri = '';
  const withDatabase = (base: string, name: string) => {
    const url = new URL(base);
    url.pathname = `/${name}`;
    return url.href;
  };
  storeContract('mongodb', {
    async open() {
      dbUri = withDatabase(uri, `linkid_contract_${randomBytes(6).toString('hex')}`);
      return openMongoStore(dbUri, { serverSelectionTimeoutMs: 10_000 });
    },
    async cleanup() {
      const connection = await mongoose.createConnection(dbUri).asPromise();
      await connection.dropDatabase();
      await connection.close();
    },
  });
}
