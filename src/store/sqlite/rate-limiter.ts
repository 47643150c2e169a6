// The RateLimiter port on SQLite with statements prepared once. rate-limiter-flexible's
// RateLimiterSQLite prepared its statement and built a transaction on every call (eight per
// sign-in); this keeps its table, its keys (`prefix:key`) and its arithmetic, so counters carry
// over an upgrade and a MongoDB-backed cluster counts the same way:
// - consume adds a point in one upsert: a live window (expire in the future, or none) keeps its
//   expiry and grows; an expired one starts again at 1 with a fresh expiry. One statement is
//   atomic, so concurrent consumes from any process never lose a point.
// - past the limit the call is refused, with the time until the window ends; the call that
//   first crosses it, when the rule has a block duration, rewrites the row to end that much later.
// - reward is the same upsert taking a point away (a refund; on an expired window it starts the
//   next one a point in credit, as rate-limiter-flexible does).
// - peek reads the live row only.
// Times are wall-clock (Date.now()), as in rate-limiter-flexible: windows are real time.
import type { Database } from 'better-sqlite3';
import type { RateLimiter, RateLimitOutcome, RateLimitRule } from '../port.js';

interface Row {
  points: number;
  expire: number | null;
}

export function createSqliteRateLimiters(db: Database): (rule: RateLimitRule) => RateLimiter {
  const add = db.prepare<[string, number, number | null, number, number], Row>(`
    INSERT INTO rate_limits (key, points, expire) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET
      points = CASE WHEN expire IS NULL OR expire > ? THEN points + excluded.points ELSE excluded.points END,
      expire = CASE WHEN expire IS NULL OR expire > ? THEN expire ELSE excluded.expire END
    RETURNING points, expire`);
  const block = db.prepare<[string, number, number]>('INSERT OR REPLACE INTO rate_limits (key, points, expire) VALUES (?, ?, ?)');
  const live = db.prepare<[string, number], Row>('SELECT points, expire FROM rate_limits WHERE key = ? AND (expire > ? OR expire IS NULL)');

  return (rule) => {
    const windowMs = rule.durationSeconds * 1000;
    const blockMs = (rule.blockDurationSeconds ?? 0) * 1000;
    const keyOf = (key: string) => (rule.keyPrefix ? `${rule.keyPrefix}:${key}` : key);
    const upsert = (key: string, points: number): Row => {
      const now = Date.now();
      const row = add.get(keyOf(key), points, windowMs > 0 ? now + windowMs : null, now, now);
      if (!row) throw new Error('rate_limits upsert returned no row');
      return row;
    };
    const refused = (row: Row, now: number): RateLimitOutcome => ({ allowed: false, retryAfterMs: row.expire === null ? -1 : Math.max(row.expire - now, 0) });

    return {
      async consume(key) {
        const row = upsert(key, 1);
        if (row.points <= rule.points) return { allowed: true };
        if (blockMs > 0 && row.points === rule.points + 1) {
          block.run(keyOf(key), row.points, Date.now() + blockMs);
          return { allowed: false, retryAfterMs: blockMs };
        }
        return refused(row, Date.now());
      },
      async reward(key) {
        upsert(key, -1);
      },
      async peek(key) {
        const now = Date.now();
        const row = live.get(keyOf(key), now);
        return row && row.points >= rule.points ? refused(row, now) : { allowed: true };
      },
    };
  };
}
