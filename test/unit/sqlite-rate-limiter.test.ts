// The SQLite store counts rate limits with statements of its own, in the table, under the keys and
// with the arithmetic of rate-limiter-flexible's RateLimiterSQLite, which it replaced. Checked
// against that library itself, on the same file through a second connection (as an older linkid
// process would hold it): counters carry over in both directions, and the same sequence of
// consumes, refunds and peeks gets the same answers from both.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flexibleRateLimiter } from '../../src/store/flexible-rate-limiter.js';
import type { RateLimiter, RateLimitRule, Store } from '../../src/store/port.js';
import { openSqliteStore, SQLITE_FILE_NAME } from '../../src/store/sqlite/index.js';

let dir: string;
let store: Store;
let other: Database.Database;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-limiter-'));
  store = openSqliteStore(dir);
  other = new Database(path.join(dir, SQLITE_FILE_NAME));
});
afterEach(async () => {
  other.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** rate-limiter-flexible on the second connection, as the SQLite store configured it before. */
const library = (rule: RateLimitRule): RateLimiter =>
  flexibleRateLimiter(
    new RateLimiterSQLite({
      storeClient: other,
      storeType: 'better-sqlite3',
      tableName: 'rate_limits',
      tableCreated: true,
      keyPrefix: rule.keyPrefix,
      points: rule.points,
      duration: rule.durationSeconds,
      blockDuration: rule.blockDurationSeconds ?? 0,
    }),
  );

/** An outcome with its wait rounded to seconds, as the sign-in flow reports it. */
const seconds = (outcome: Awaited<ReturnType<RateLimiter['consume']>>) => (outcome.allowed ? 'allowed' : `refused ${Math.ceil(outcome.retryAfterMs / 1000)}s`);

describe('SQLite rate limiter', () => {
  it('shares its counters with rate-limiter-flexible in both directions', async () => {
    const rule = { keyPrefix: 'rl_shared', points: 3, durationSeconds: 600 };
    const ours = store.createRateLimiter(rule);
    const theirs = library(rule);
    expect(await theirs.consume('k')).toEqual({ allowed: true });
    expect(await theirs.consume('k')).toEqual({ allowed: true });
    expect(await ours.consume('k')).toEqual({ allowed: true });
    expect(seconds(await ours.consume('k'))).toBe('refused 600s');
    expect(seconds(await theirs.consume('k'))).toBe('refused 600s');
    // Five points taken, two of them refused: three refunds leave one consume.
    for (let i = 0; i < 3; i += 1) await ours.reward('k');
    expect(await theirs.peek('k')).toEqual({ allowed: true });
    expect(await theirs.consume('k')).toEqual({ allowed: true });
    expect((await ours.peek('k')).allowed).toBe(false);
  });

  it('answers a sequence of consumes, refunds and peeks as rate-limiter-flexible does', async () => {
    const rules: RateLimitRule[] = [
      { keyPrefix: 'seq_a', points: 2, durationSeconds: 60 },
      { keyPrefix: 'seq_b', points: 1, durationSeconds: 1, blockDurationSeconds: 120 },
      { keyPrefix: 'seq_c', points: 3, durationSeconds: 0 },
    ];
    const steps = ['consume', 'peek', 'consume', 'consume', 'peek', 'reward', 'reward', 'peek', 'consume', 'consume', 'reward', 'consume', 'peek'] as const;
    for (const rule of rules) {
      const answers: Record<'ours' | 'theirs', string[]> = { ours: [], theirs: [] };
      for (const [who, limiter] of [
        ['ours', store.createRateLimiter({ ...rule, keyPrefix: `${rule.keyPrefix}_ours` })],
        ['theirs', library({ ...rule, keyPrefix: `${rule.keyPrefix}_theirs` })],
      ] as const) {
        for (const step of steps) {
          if (step === 'reward') await limiter.reward('k');
          else answers[who].push(`${step} ${seconds(await limiter[step]('k'))}`);
        }
      }
      expect(answers.ours, rule.keyPrefix).toEqual(answers.theirs);
    }
  });
});
