// Everything linkid keeps on disk (the SQLite database and its -wal and -shm, generated keys,
// outbox mail) is for the server's user alone: files 0600, directories 0700. The modes are set
// with chmod after creation instead of being left to the process umask, which would let
// SQLite's 0644 and mkdir's 0777 through as 0644 and 0755 under the usual umask of 022.
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates `dir` and any missing parents as private directories. Directories that already exist
 * keep their mode: an operator may have prepared them (a mounted volume, say) on purpose.
 */
export function ensurePrivateDir(dir: string): void {
  const first = fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) return;
  const top = path.resolve(first);
  for (let current = path.resolve(dir); current.startsWith(top); current = path.dirname(current)) {
    fs.chmodSync(current, PRIVATE_DIR_MODE);
    if (current === top) break;
  }
}

/**
 * Makes `file` private if it exists and is ours; files linkid created before it set modes get
 * tightened on the next start. One owned by another user is left as it is (EPERM).
 */
export function restrictIfPresent(file: string): void {
  try {
    fs.chmodSync(file, PRIVATE_FILE_MODE);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EPERM') throw error;
  }
}

/** Creates `file` empty if it is missing, and makes it private. */
export function ensurePrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  restrictIfPresent(file);
}

/** Writes a new file (failing if it exists) that is private from its first byte. */
export function writeNewPrivateFileSync(file: string, data: string): void {
  const fd = fs.openSync(file, 'wx', PRIVATE_FILE_MODE);
  try {
    fs.fchmodSync(fd, PRIVATE_FILE_MODE);
    fs.writeFileSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
}

export async function writeNewPrivateFile(file: string, data: string): Promise<void> {
  const handle = await fs.promises.open(file, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}
