// Recognising MongoDB driver errors by label, code and name, never by message text. "Unavailable"
// must cover what a replica-set election or a restart produces, not only a dead socket: those are
// a 503 (try again shortly), and a 500 would page someone for a failover that healed itself.
import type { StoreFailureKind } from '../../kernel/store-failure.js';

export const isDuplicateKey = (error: unknown): boolean => (error as { code?: unknown }).code === 11000;

/**
 * Labels the driver (driver 7) or the server attach to errors that are about the deployment's
 * state, not the operation: a retry against the (new) primary can succeed.
 */
const UNAVAILABLE_LABELS = ['RetryableWriteError', 'ResetPool', 'SystemOverloadedError', 'RetryableError', 'PoolRequestedRetry'] as const;

/**
 * Server codes of a node that cannot serve right now: the retryable-reads/writes specifications'
 * list (which is what the driver itself retries on), plus write-concern timeouts and an
 * unsatisfiable read preference, both seen while a majority is being elected.
 */
export const UNAVAILABLE_CODES: ReadonlyMap<number, string> = new Map([
  [6, 'HostUnreachable'],
  [7, 'HostNotFound'],
  [64, 'WriteConcernTimeout'],
  [89, 'NetworkTimeout'],
  [91, 'ShutdownInProgress'],
  [133, 'FailedToSatisfyReadPreference'],
  [134, 'ReadConcernMajorityNotAvailableYet'],
  [189, 'PrimarySteppedDown'],
  [262, 'ExceededTimeLimit'],
  [9001, 'SocketException'],
  [10058, 'LegacyNotPrimary'],
  [10107, 'NotWritablePrimary'],
  [11600, 'InterruptedAtShutdown'],
  [11602, 'InterruptedDueToReplStateChange'],
  [13435, 'NotPrimaryNoSecondaryOk'],
  [13436, 'NotPrimaryOrSecondary'],
  [14031, 'OutOfDiskSpace'],
]);

/** Codes (and labels) whose kind is not "unreachable": the server answered, but cannot take the write now. */
const KIND_OF_CODE: ReadonlyMap<number, StoreFailureKind> = new Map([
  [14031, 'full'],
  [64, 'busy'],
  [262, 'busy'],
]);

/**
 * Error class names (driver 7 and mongoose 9) that mean the deployment could not be reached or
 * changed under the operation. MongoNetworkError covers its subclasses' names only through the
 * list, because `name` is a getter per class.
 */
const UNAVAILABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoPoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoServerClosedError',
  'MongoClientClosedError',
  'MongoStalePrimaryError',
  'MongoWriteConcernError',
  'MongoOperationTimeoutError',
]);

interface DriverErrorShape {
  name?: unknown;
  code?: unknown;
  errorLabels?: unknown;
  hasErrorLabel?: unknown;
  writeConcernError?: { code?: unknown };
  result?: { writeConcernError?: { code?: unknown } };
  cause?: unknown;
}

function hasLabel(error: DriverErrorShape, label: string): boolean {
  if (typeof error.hasErrorLabel === 'function') return Boolean((error.hasErrorLabel as (label: string) => unknown).call(error, label));
  return Array.isArray(error.errorLabels) && error.errorLabels.includes(label);
}

const codeOf = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

function unavailableHere(error: DriverErrorShape): boolean {
  if (UNAVAILABLE_NAMES.has(String(error.name))) return true;
  if (UNAVAILABLE_LABELS.some((label) => hasLabel(error, label))) return true;
  const codes = [codeOf(error.code), codeOf(error.writeConcernError?.code), codeOf(error.result?.writeConcernError?.code)];
  return codes.some((code) => code !== undefined && UNAVAILABLE_CODES.has(code));
}

/** Why a driver error that is "unavailable" is so: a full disk, an overloaded server, else unreachable. */
function kindHere(error: DriverErrorShape): StoreFailureKind {
  if (hasLabel(error, 'SystemOverloadedError')) return 'busy';
  const codes = [codeOf(error.code), codeOf(error.writeConcernError?.code), codeOf(error.result?.writeConcernError?.code)];
  for (const code of codes) {
    const kind = code === undefined ? undefined : KIND_OF_CODE.get(code);
    if (kind) return kind;
  }
  return 'unreachable';
}

/**
 * Whether the store cannot serve right now (as opposed to a bad query or a bug), and why. Follows
 * `cause` a few levels, because mongoose and our own code wrap driver errors.
 */
export function mongoFailureKind(error: unknown): StoreFailureKind | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth += 1) {
    if (unavailableHere(current)) return kindHere(current);
    current = (current as DriverErrorShape).cause;
  }
  return undefined;
}

/** The store cannot serve right now (as opposed to a bad query or a bug). */
export const isMongoUnavailable = (error: unknown): boolean => mongoFailureKind(error) !== undefined;
