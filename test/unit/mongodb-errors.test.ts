// Which MongoDB errors are "the store is unavailable" (503, readiness fails) and which are bugs
// (500). Built from the driver's own error classes, as mongoose 9 / driver 7 throw them during a
// replica-set election, a restart or a network cut; no server is needed to check the table.
import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';
import { isDuplicateKey, isMongoUnavailable } from '../../src/store/mongodb/errors.js';

const { MongoServerError, MongoWriteConcernError, MongoNetworkError, MongoNetworkTimeoutError, MongoServerSelectionError, MongoStalePrimaryError } =
  mongoose.mongo;
const { MongoInvalidArgumentError, MongoNotConnectedError, MongoTopologyClosedError, MongoBulkWriteError } = mongoose.mongo;

const serverError = (code: number, errorLabels: string[] = []) => new MongoServerError({ ok: 0, code, errmsg: `code ${code}`, errorLabels });
const selectionFailed = () => new MongoServerSelectionError('Server selection timed out after 5000 ms', { error: undefined } as never);

const unavailable: [string, unknown][] = [
  ['server selection timed out', selectionFailed()],
  ['network error', new MongoNetworkError('connection 1 to 10.0.0.2:27017 closed')],
  ['network timeout', new MongoNetworkTimeoutError('connection timed out')],
  ['not connected', new MongoNotConnectedError('client must be connected')],
  ['topology closed', new MongoTopologyClosedError()],
  ['stale primary', new MongoStalePrimaryError('primary is stale')],
  ['NotWritablePrimary (10107)', serverError(10107)],
  ['PrimarySteppedDown (189)', serverError(189)],
  ['InterruptedDueToReplStateChange (11602)', serverError(11602)],
  ['ShutdownInProgress (91)', serverError(91)],
  ['InterruptedAtShutdown (11600)', serverError(11600)],
  ['NotPrimaryOrSecondary (13436)', serverError(13436)],
  ['NotPrimaryNoSecondaryOk (13435)', serverError(13435)],
  ['HostUnreachable (6)', serverError(6)],
  ['an unknown code with the RetryableWriteError label', serverError(99999, ['RetryableWriteError'])],
  ['an unknown code with the ResetPool label', serverError(99998, ['ResetPool'])],
  ['write concern timed out', new MongoWriteConcernError({ ok: 1, writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' } })],
  ['write concern failed on a stepdown', new MongoWriteConcernError({ ok: 1, writeConcernError: { code: 189, errmsg: 'stepped down' } })],
  ['mongoose server selection error', new mongoose.Error.MongooseServerSelectionError('timed out')],
  ['a wrapped network error', new Error('store failed', { cause: new MongoNetworkError('reset') })],
];

const bugs: [string, unknown][] = [
  ['duplicate key', serverError(11000)],
  ['bad value', serverError(2)],
  ['invalid argument', new MongoInvalidArgumentError('bad option')],
  ['bulk write with duplicate key', new MongoBulkWriteError({ message: 'dup', code: 11000, writeErrors: [] }, {} as never)],
  ['validation', new mongoose.Error.ValidationError()],
  ['cast', new mongoose.Error.CastError('Date', 'x', 'expiresAt')],
  ['a plain error whose message looks like a failover', new Error('not master and secondaryOk=false')],
  ['null', null],
  ['a string', 'NotWritablePrimary'],
];

describe('isMongoUnavailable', () => {
  it.each(unavailable)('%s is unavailable (503)', (_, error) => {
    expect(isMongoUnavailable(error)).toBe(true);
  });
  it.each(bugs)('%s is not unavailable (500 or a handled case)', (_, error) => {
    expect(isMongoUnavailable(error)).toBe(false);
  });
});

describe('isDuplicateKey', () => {
  it('is code 11000 and nothing else', () => {
    expect(isDuplicateKey(serverError(11000))).toBe(true);
    expect(isDuplicateKey(serverError(10107))).toBe(false);
  });
});
