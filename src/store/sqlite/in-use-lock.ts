// Who has the SQLite store open. Every process that opens it (a server, each cluster worker, an
// admin command) holds a shared lock on a small side file for as long as it has the store open;
// `restore` needs that lock exclusively, so it cannot swap the file under a running linkid, and
// a linkid cannot start during a restore. The lock is SQLite's own file lock on an empty database
// beside the store (POSIX advisory locks, held by the kernel): it goes away with the process that
// held it, even one killed with SIGKILL, so there is no stale pid file to clear by hand. It holds
// between processes of one machine, or containers sharing one volume on one host; a store on a
// network filesystem is not supported by SQLite in the first place.
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateFile } from '../../kernel/private-files.js';
import { StoreConnectionError } from '../port.js';

export const IN_USE_FILE_NAME = 'linkid.sqlite.in-use';

/** How long an opener waits for a restore to finish before it gives up. */
const OPENER_WAIT_MS = 10_000;

/** A store that cannot be opened (or had) right now: said in one line, like one that cannot be reached. */
export class StoreInUseError extends StoreConnectionError {
  constructor(message: string) {
    super(message, undefined);
    this.name = 'StoreInUseError';
  }
}

const isBusy = (error: unknown) => (error as { code?: unknown }).code === 'SQLITE_BUSY';

function open(dataDir: string, waitMs: number): Database.Database {
  const file = path.join(dataDir, IN_USE_FILE_NAME);
  ensurePrivateFile(file);
  const db = new Database(file);
  db.pragma(`busy_timeout = ${waitMs}`);
  return db;
}

export interface Held {
  release(): void;
}

/** The hold a connection's open transaction gives: released by ending it and closing. */
const heldBy = (db: Database.Database): Held => ({
  release() {
    if (!db.open) return;
    db.exec('ROLLBACK');
    db.close();
  },
});

/**
 * A shared hold for as long as the store is open: a read transaction whose SHARED lock SQLite
 * keeps until it ends. Throws StoreInUseError while a restore holds the store.
 */
export function holdShared(dataDir: string, waitMs: number = OPENER_WAIT_MS): Held {
  const db = open(dataDir, waitMs);
  try {
    db.exec('BEGIN');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (error) {
    db.close();
    if (isBusy(error)) throw new StoreInUseError(`the store in ${dataDir} is being restored; start linkid again when the restore has finished`);
    throw error;
  }
  return heldBy(db);
}

/** The store to oneself: refused at once (no waiting) while any process has it open. */
export function holdExclusive(dataDir: string): Held {
  const db = open(dataDir, 0);
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if (isBusy(error)) {
      throw new StoreInUseError(`the store in ${dataDir} is in use by a running linkid (a server, a worker or an admin command): stop it first`);
    }
    throw error;
  }
  return heldBy(db);
}
