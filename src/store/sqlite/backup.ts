// Backups of the SQLite store, and restoring one (`linkid-admin backup FILE`, `restore FILE`).
//
// A backup is SQLite's online backup of the live file, copied in one step from one read snapshot:
// with WAL, a reader never blocks writers, so the server goes on answering while it runs, and
// the copy is the store as it was at one instant (never half of a sign-in). It is written beside
// FILE under a temporary name, checked, and only then given FILE's name, so a FILE that exists is
// always a whole backup.
//
// A restore checks the file first (a SQLite database, whole by SQLite's integrity check, with
// linkid's tables and a schema this linkid knows), needs the store to itself (in-use-lock.ts:
// no server, worker or admin command may have it open) and swaps the file in with one rename.
// The store it replaces is kept beside it under a dated name; nothing is deleted.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../../kernel/private-files.js';
import { holdExclusive, holdShared } from './in-use-lock.js';
import { SQLITE_FILE_NAME } from './index.js';
import { checkNotNewer, SQLITE_SCHEMA_VERSION } from './schema.js';

/** A backup or restore that cannot be done, said in one line. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export interface StoreFileSummary {
  /** `sqlite:N`, as /version and the store report it. */
  readonly schemaVersion: string;
  readonly bytes: number;
  /** Rows per table. */
  readonly tables: Readonly<Record<string, number>>;
}

/** Tables every linkid store has had since its first schema version. */
const LINKID_TABLES = ['oidc_models', 'users', 'login_tokens', 'clients'];

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

const temporaryName = (file: string, purpose: string) => `${file}.${purpose}-${process.pid}-${randomBytes(4).toString('hex')}`;

function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A rename or link survives a power cut only once its directory is on disk too. */
function syncDir(dir: string): void {
  syncFile(dir);
}

/** Checks an opened copy as a whole and counts its rows; throws BackupError for anything off. */
function summarise(db: Database.Database, file: string, label: string): StoreFileSummary {
  let problems: string[];
  try {
    problems = (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check);
  } catch (error) {
    throw new BackupError(`${label} is not a usable SQLite database: ${(error as Error).message}`);
  }
  if (problems.length !== 1 || problems[0] !== 'ok') throw new BackupError(`${label} fails SQLite's integrity check: ${problems[0] ?? 'no answer'}`);
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map(
    (row) => row.name,
  );
  const missing = LINKID_TABLES.filter((table) => !tables.includes(table));
  if (missing.length > 0) throw new BackupError(`${label} is not a linkid store: it has no ${missing.join(', ')} table`);
  const version = db.pragma('user_version', { simple: true }) as number;
  try {
    checkNotNewer(version);
  } catch (error) {
    throw new BackupError(`${label}: ${(error as Error).message}`);
  }
  const counts = Object.fromEntries(tables.map((table) => [table, (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n]));
  return { schemaVersion: `sqlite:${version}`, bytes: fs.statSync(file).size, tables: counts };
}

export interface BackupReport extends StoreFileSummary {
  readonly backup: string;
  readonly tookMs: number;
}

/** Copies the live store in `dataDir` to `target` (which must not exist) while it may be in use. */
export async function backupSqlite(dataDir: string, target: string, now: () => number = Date.now): Promise<BackupReport> {
  const started = now();
  const live = path.join(dataDir, SQLITE_FILE_NAME);
  const file = path.resolve(target);
  if (!fs.existsSync(live) || fs.statSync(live).size === 0) throw new BackupError(`there is no store to back up in ${dataDir} (no ${SQLITE_FILE_NAME})`);
  if (fs.existsSync(file)) throw new BackupError(`${file} exists: a backup never overwrites a file, give a new name`);
  if (!fs.existsSync(path.dirname(file)) || !fs.statSync(path.dirname(file)).isDirectory()) {
    throw new BackupError(`cannot write ${file}: no such directory ${path.dirname(file)}`);
  }
  // A restore cannot begin while the backup reads.
  const held = holdShared(dataDir);
  const partial = temporaryName(file, 'partial');
  try {
    const source = new Database(live, { fileMustExist: true });
    try {
      source.pragma('busy_timeout = 5000');
      // Everything in one step, from one read snapshot (the first step's size is better-sqlite3's
      // own; from the second on, the rest at once): a copy made in many small steps restarts
      // whenever a writer commits in between, and may never finish under load.
      await source.backup(partial, { progress: () => 0x7fffffff });
    } finally {
      source.close();
    }
    fs.chmodSync(partial, PRIVATE_FILE_MODE);
    const copy = new Database(partial, { fileMustExist: true });
    let summary: StoreFileSummary;
    try {
      // The copy is self-contained: no -wal beside it to lose when it is moved.
      copy.pragma('journal_mode = DELETE');
      summary = summarise(copy, partial, 'the backup');
    } finally {
      copy.close();
    }
    syncFile(partial);
    // link(2) rather than rename(2): a FILE made meanwhile by someone else is never replaced.
    try {
      fs.linkSync(partial, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupError(`${file} exists: a backup never overwrites a file, give a new name`);
      throw error;
    }
    syncDir(path.dirname(file));
    return { backup: file, ...summary, bytes: fs.statSync(file).size, tookMs: now() - started };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw new BackupError(`cannot write ${file}: no space left on the device`);
    if ((error as NodeJS.ErrnoException).code === 'EACCES') throw new BackupError(`cannot write ${file}: permission denied`);
    throw error;
  } finally {
    fs.rmSync(partial, { force: true });
    fs.rmSync(`${partial}-journal`, { force: true });
    held.release();
  }
}

export interface RestoreReport extends StoreFileSummary {
  readonly restored: string;
  /** Where the store that was replaced is kept, if there was one. */
  readonly previous: string | null;
  /** The schema version the next start brings it to (the restored file's own when current). */
  readonly migratesTo: string;
}

function checkSource(source: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BackupError(code === 'ENOENT' || code === 'ENOTDIR' ? `no such file: ${source}` : `cannot read ${source}: ${(error as Error).message}`);
  }
  if (!stat.isFile()) throw new BackupError(`${source} is not a file`);
  let header = Buffer.alloc(0);
  try {
    const fd = fs.openSync(source, 'r');
    try {
      header = Buffer.alloc(SQLITE_HEADER.length);
      fs.readSync(fd, header, 0, header.length, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw new BackupError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (error as Error).message}`);
  }
  if (!header.equals(SQLITE_HEADER)) throw new BackupError(`${source} is not a SQLite database (not a linkid backup)`);
}

/**
 * Puts the backup `source` in place of the store in `dataDir`. Refused while any process has the
 * store open; the file is checked as a copy in `dataDir` before anything is replaced.
 */
export function restoreSqlite(dataDir: string, sourceArg: string, now: () => number = Date.now): RestoreReport {
  const source = path.resolve(sourceArg);
  checkSource(source);
  ensurePrivateDir(dataDir);
  const live = path.join(dataDir, SQLITE_FILE_NAME);
  if (fs.existsSync(live) && fs.realpathSync(live) === fs.realpathSync(source)) throw new BackupError(`${source} is the store itself`);
  const held = holdExclusive(dataDir);
  const incoming = temporaryName(live, 'restoring');
  try {
    fs.copyFileSync(source, incoming, fs.constants.COPYFILE_EXCL);
    fs.chmodSync(incoming, PRIVATE_FILE_MODE);
    const copy = new Database(incoming, { fileMustExist: true });
    let summary: StoreFileSummary;
    try {
      summary = summarise(copy, incoming, source);
      copy.pragma('journal_mode = DELETE');
    } catch (error) {
      throw error instanceof BackupError ? error : new BackupError(`${source} is not a usable SQLite database: ${(error as Error).message}`);
    } finally {
      copy.close();
    }
    syncFile(incoming);
    let previous: string | null = null;
    if (fs.existsSync(live) && fs.statSync(live).size > 0) {
      // A process killed while it had the store open can leave commits in the -wal only: fold
      // them into the file first, so the kept copy is the whole store it replaced.
      const old = new Database(live, { fileMustExist: true });
      try {
        old.pragma('wal_checkpoint(TRUNCATE)');
        old.pragma('journal_mode = DELETE');
      } finally {
        old.close();
      }
      previous = `${live}.before-restore-${new Date(now()).toISOString().replace(/[:.]/g, '-')}`;
      fs.linkSync(live, previous);
    }
    // One rename: at every instant DATA_DIR holds either the old store or the restored one.
    fs.renameSync(incoming, live);
    for (const suffix of ['-wal', '-shm']) fs.rmSync(`${live}${suffix}`, { force: true });
    syncDir(dataDir);
    const version = Number(summary.schemaVersion.slice('sqlite:'.length));
    return { restored: source, ...summary, previous, migratesTo: `sqlite:${Math.max(version, SQLITE_SCHEMA_VERSION)}` };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw new BackupError(`cannot restore into ${dataDir}: no space left on the device`);
    throw error;
  } finally {
    fs.rmSync(incoming, { force: true });
    fs.rmSync(`${incoming}-journal`, { force: true });
    held.release();
  }
}
