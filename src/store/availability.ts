// Whether an error means the store cannot be reached right now (answer 503 and fail readiness)
// rather than a bug (answer 500). Decided by driver error codes and names, never message text.
import { isMongoUnavailable } from './mongodb/errors.js';

const SQLITE_UNAVAILABLE = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_FULL', 'SQLITE_READONLY']);

export function isStoreUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && (SQLITE_UNAVAILABLE.has(code) || code.startsWith('SQLITE_IOERR'))) return true;
  return isMongoUnavailable(error);
}
