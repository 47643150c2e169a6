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

export function createLogger(level: string, destination?: DestinationStream): Logger {
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
