// The Store contract against the real SQLite file store.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { storeContract } from './store-contract.js';

let dir: string | undefined;

storeContract('sqlite', {
  async open() {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-contract-'));
    return openSqliteStore(dir);
  },
  async cleanup() {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  },
});
