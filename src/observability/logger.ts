// Structured JSON logs with pino. Redaction is a second line of defence: code never passes raw
// tokens, codes or secrets to the logger in the first place.
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;

export const REDACTED_PATHS = [
  'token',
  'code',
  'client_secret',
  'secret',
  'password',
  'req.headers.cookie',
  'req.headers.authorization',
  '*.token',
  '*.code',
  '*.client_secret',
];

/**
 * Standard output, one write(2) per turn of the event loop instead of one per line: a line is
 * queued and written, with every other line of the same turn, synchronously once the turn ends,
 * so no line waits longer than that. The queue is also written when the process exits, however
 * it ends (process.exit, an uncaught error), so no line is lost to batching; pino's fully
 * asynchronous mode was refused because a crash loses the write still in flight.
 */
function stdoutByTurn(): DestinationStream {
  const out = pino.destination({ dest: 1, sync: true });
  let queued: string[] = [];
  let scheduled = false;
  const writeQueued = () => {
    scheduled = false;
    if (queued.length === 0) return;
    const chunk = queued.join('');
    queued = [];
    out.write(chunk);
  };
  process.on('exit', writeQueued);
  return {
    write(line: string) {
      queued.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(writeQueued);
      }
    },
  };
}

let stdout: DestinationStream | undefined;

export function createLogger(level: string, destination: DestinationStream = (stdout ??= stdoutByTurn())): Logger {
  return pino(
    {
      level,
      base: { service: 'linkid' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
