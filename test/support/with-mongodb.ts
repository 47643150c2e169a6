// `npm run test:mongo`: runs the given vitest arguments with MONGODB_URI pointing at a MongoDB
// server. When MONGODB_URI is already set (CI's mongo:8 service, a local replica set), that server
// is used; only otherwise is a throwaway single-node replica set started with
// mongodb-memory-server, which downloads mongod on first use and so needs internet. Every suite
// works in databases of its own and drops them, so two runs against one server see no leftovers.
// `npm test` never uses this file.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const given = process.env.MONGODB_URI;
let stop = async (): Promise<void> => undefined;
let uri: string;
if (given) {
  uri = given;
  console.log(`[test:mongo] using the MongoDB at MONGODB_URI (${uri.replace(/^(mongodb(?:\+srv)?:\/\/)[^@/]*@/, '$1***@')})`);
} else {
  const { MongoMemoryReplSet } = await import('mongodb-memory-server');
  const replSet = await MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger' } });
  uri = replSet.getUri();
  stop = async () => {
    await replSet.stop();
  };
  console.log(`[test:mongo] throwaway MongoDB replica set at ${uri}`);
}
// vitest exports no path to its CLI; its package.json (exported) sits next to the bin it names.
const vitestPackage = createRequire(import.meta.url).resolve('vitest/package.json');
const vitest = path.join(path.dirname(vitestPackage), 'vitest.mjs');
const result = spawnSync(process.execPath, [vitest, 'run', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, MONGODB_URI: uri },
});
await stop();
process.exit(result.status ?? 1);
