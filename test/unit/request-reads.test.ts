// A request reads each client from the real SQLite store once; a write inside the request is read
// back; a change made outside the request (another process, here the unwrapped store) is seen by
// the next request; outside any request every read goes to the store; a failed read is not kept.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ClientStore, Store } from '../../src/store/port.js';
import { keepClientReads, withRequestReads } from '../../src/store/request-reads.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { clientRecord } from '../contract/store-contract.js';

const NOW = 1_900_000_000_000;
let dir: string;
let store: Store;
let reads: number;
let failNext: boolean;
let clients: ClientStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-request-reads-'));
  store = openSqliteStore(dir);
  reads = 0;
  failNext = false;
  const counted: ClientStore = {
    ...store.clients,
    find: async (clientId) => {
      reads += 1;
      if (failNext) {
        failNext = false;
        throw new Error('store unreachable');
      }
      return store.clients.find(clientId);
    },
    update: (clientId, changes, now) => store.clients.update(clientId, changes, now),
  };
  clients = keepClientReads(counted);
  await store.clients.create(clientRecord({ clientId: 'notes', name: 'Notes' }));
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('reads a client once per request, however many steps ask', async () => {
  await withRequestReads(async () => {
    const [first, second] = await Promise.all([clients.find('notes'), clients.find('notes')]);
    expect(first?.name).toBe('Notes');
    expect(second).toEqual(first);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await clients.find('notes'))?.name).toBe('Notes');
    expect(await clients.find('nobody')).toBeUndefined();
  });
  expect(reads).toBe(2);
});

it('reads back a change the request itself made', async () => {
  await withRequestReads(async () => {
    expect((await clients.find('notes'))?.name).toBe('Notes');
    await clients.update('notes', { name: 'Notes 2' }, NOW);
    expect((await clients.find('notes'))?.name).toBe('Notes 2');
  });
});

it("sees another process's change at the next request, and reads every time outside a request", async () => {
  await withRequestReads(async () => expect((await clients.find('notes'))?.name).toBe('Notes'));
  await store.clients.update('notes', { name: 'Renamed elsewhere' }, NOW);
  await withRequestReads(async () => expect((await clients.find('notes'))?.name).toBe('Renamed elsewhere'));
  reads = 0;
  await clients.find('notes');
  await clients.find('notes');
  expect(reads).toBe(2);
});

it('does not keep a failed read', async () => {
  await withRequestReads(async () => {
    failNext = true;
    await expect(clients.find('notes')).rejects.toThrow('store unreachable');
    expect((await clients.find('notes'))?.name).toBe('Notes');
  });
  expect(reads).toBe(2);
});
