// How linkid knows the store takes no writes: each store's errors by kind (codes and names, never
// message text), the SQLite store's look at DATA_DIR's file system, and the store health's window
// after a failed write, which ends by itself.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError, type StoreFailureKind } from '../../src/kernel/store-failure.js';
import { createLogger } from '../../src/observability/logger.js';
import { createStoreHealth } from '../../src/observability/store-health.js';
import { mongoFailureKind } from '../../src/store/mongodb/errors.js';
import { openSqliteStore, sqliteFailureKind } from '../../src/store/sqlite/index.js';

describe('the kind of a store error', () => {
  it.each([
    ['SQLITE_FULL', 'full'],
    ['SQLITE_READONLY', 'readonly'],
    ['SQLITE_READONLY_DBMOVED', 'readonly'],
    ['SQLITE_IOERR_WRITE', 'io'],
    ['SQLITE_IOERR', 'io'],
    ['SQLITE_CANTOPEN', 'io'],
    ['SQLITE_BUSY', 'busy'],
    ['SQLITE_LOCKED', 'busy'],
    ['SQLITE_CONSTRAINT_UNIQUE', undefined],
    ['SQLITE_ERROR', undefined],
  ])('SQLite %s is %s', (code, kind) => {
    expect(sqliteFailureKind(new Database.SqliteError('whatever the text says', code))).toBe(kind);
  });

  it('MongoDB: out of disk space is full, an overloaded write busy, a node gone unreachable, a bug none', () => {
    const { MongoServerError, MongoNetworkError, MongoWriteConcernError } = mongoose.mongo;
    expect(mongoFailureKind(new MongoServerError({ ok: 0, code: 14031, errmsg: 'x' }))).toBe('full');
    expect(mongoFailureKind(new MongoWriteConcernError({ ok: 1, writeConcernError: { code: 64, errmsg: 'x' } }))).toBe('busy');
    expect(mongoFailureKind(new MongoServerError({ ok: 0, code: 10107, errmsg: 'x' }))).toBe('unreachable');
    expect(mongoFailureKind(new MongoNetworkError('connection closed'))).toBe('unreachable');
    expect(mongoFailureKind(new MongoServerError({ ok: 0, code: 11000, errmsg: 'duplicate key' }))).toBeUndefined();
  });
});

const quiet = () => createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() }));

describe('the store health', () => {
  function healthWith(check: () => StoreFailureKind | undefined) {
    let at = 0;
    const counted: StoreFailureKind[] = [];
    const health = createStoreHealth({ store: { writeCheck: check }, logger: quiet(), count: (kind) => counted.push(kind), now: () => at });
    return { health, counted, advance: (ms: number) => (at += ms) };
  }

  it('refuses writes for 5 s after a failed write, then tries again by itself', () => {
    const { health, counted, advance } = healthWith(() => undefined);
    health.failed('full', new Error('x'));
    expect(health.writeFailure()).toBe('full');
    expect(() => health.assertWritable()).toThrow(StoreUnavailableError);
    advance(4_999);
    expect(health.writeFailure()).toBe('full');
    advance(1);
    expect(health.writeFailure()).toBeUndefined();
    expect(() => health.assertWritable()).not.toThrow();
    // The failure and the refused request, each once.
    expect(counted).toEqual(['full', 'full']);
  });

  it('counts a busy or unreachable store without refusing writes for it', () => {
    const { health, counted } = healthWith(() => undefined);
    health.failed('busy', new Error('x'));
    health.failed('unreachable', new Error('x'));
    expect(health.writeFailure()).toBeUndefined();
    expect(counted).toEqual(['busy', 'unreachable']);
  });

  it("takes the store's own check, asked each time, so it follows the disk both ways", () => {
    let disk: StoreFailureKind | undefined = 'readonly';
    const { health } = healthWith(() => disk);
    expect(health.writeFailure()).toBe('readonly');
    disk = undefined;
    expect(health.writeFailure()).toBeUndefined();
  });
});

const root = process.platform === 'linux' && process.getuid?.() === 0;
if (!root) console.warn('[store health] the read-only tmpfs case is NOT RUN: mounting needs root on Linux');

describe.skipIf(!root)("the SQLite store's look at DATA_DIR", () => {
  it('says readonly on a read-only file system and full below the reserve, writing nothing', async () => {
    const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-ro-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]);
    try {
      const dataDir = path.join(mountPoint, 'data');
      const store = openSqliteStore(dataDir, { minFreeBytes: 1024 * 1024 });
      expect(store.writeCheck()).toBeUndefined();
      const roomy = openSqliteStore(path.join(mountPoint, 'other'), { minFreeBytes: 8 * 1024 * 1024 });
      expect(roomy.writeCheck()).toBe('full');
      await roomy.close();
      // The kernel refuses to make a file system read-only while a file is open for writing:
      // close the store (its check looks at the file system, not the connection), then remount.
      await store.close();
      execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
      expect(store.writeCheck()).toBe('readonly');
      execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
      expect(store.writeCheck()).toBeUndefined();
    } finally {
      execFileSync('umount', ['-l', mountPoint]);
      fs.rmdirSync(mountPoint);
    }
  });
});
