// The store's in-use lock (src/store/sqlite/in-use-lock.ts): any number of openers share it, a
// restore needs it alone, and neither waits for the other beyond its bound.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { holdExclusive, holdShared, StoreInUseError } from '../../src/store/sqlite/in-use-lock.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const dirs: string[] = [];
const scratch = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-lock-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the in-use lock of the SQLite store', () => {
  it('lets several openers share the store, and refuses a restore while any has it', async () => {
    const dir = scratch();
    const server = openSqliteStore(dir);
    const command = openSqliteStore(dir);
    expect(() => holdExclusive(dir)).toThrow(StoreInUseError);
    await server.close();
    expect(() => holdExclusive(dir)).toThrow(/is in use by a running linkid .*stop it first/);
    await command.close();
    holdExclusive(dir).release();
  });

  it('refuses to open the store while a restore holds it, and opens it once the restore is done', async () => {
    const dir = scratch();
    const restore = holdExclusive(dir);
    expect(() => holdShared(dir, 0)).toThrow(/is being restored; start linkid again when the restore has finished/);
    expect(() => openSqliteStore(dir, { restoreWaitMs: 50 })).toThrow(StoreInUseError);
    restore.release();
    const store = openSqliteStore(dir);
    expect(store.schemaVersion).toMatch(/^sqlite:\d+$/);
    await store.close();
  });
});
