// `npm run test:mongo`: starts a throwaway single-node MongoDB replica set with
// mongodb-memory-server (it downloads mongod on first use, so this needs internet), then runs the
// given vitest arguments with MONGODB_URI pointing at it. `npm test` never uses this file.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { MongoMemoryReplSet } from 'mongodb-memory-server';

const replSet = await MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger' } });
const uri = replSet.getUri();
console.log(`[test:mongo] throwaway MongoDB replica set at ${uri}`);
const vitest = createRequire(import.meta.url).resolve('vitest/vitest.mjs');
const result = spawnSync(process.execPath, [vitest, 'run', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, MONGODB_URI: uri },
});
await replSet.stop();
process.exit(result.status ?? 1);
