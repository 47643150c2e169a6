// A start that cannot go on ends with one line on stderr and exit code 1, whichever process found
// the problem. A cluster worker hands its line to the primary instead of writing it, so the
// operator reads it once (not once per worker) and the primary decides what follows: stop the
// whole start, or log it and try a replacement later.
import cluster from 'node:cluster';
import { ConfigError } from '../config/env.js';
import { MailConfigError } from '../mail/mail-transport.js';
import { StoreConnectionError } from '../store/port.js';
import type { ClusterMessage } from './messages.js';

/** A failure whose message is already the line for the operator (a worker's, relayed by the primary). */
export class StartFailure extends Error {
  override readonly name = 'StartFailure';
}

export function startFailureMessage(error: unknown): string {
  if (error instanceof ConfigError || error instanceof StoreConnectionError || error instanceof MailConfigError || error instanceof StartFailure) {
    return error.message;
  }
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return `Cannot listen: port already in use (${(error as Error).message})`;
  return `linkid failed to start: ${(error as Error).message}`;
}

function writeAndExit(message: string): void {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

export function reportStartFailure(error: unknown): void {
  const message = startFailureMessage(error);
  if (!cluster.isWorker || !process.send) {
    writeAndExit(message);
    return;
  }
  const failed: ClusterMessage = { linkid: 'start-failed', message };
  // Without a primary to tell (it died meanwhile), the line goes to stderr after all.
  process.send(failed, undefined, {}, (sendError: Error | null) => (sendError ? writeAndExit(message) : process.exit(1)));
}
