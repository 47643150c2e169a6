// The single-use consume, written once for every SQLite table of one-time tokens (login tokens,
// email-change tokens): one UPDATE that sets used_at only where it is null and the token has not
// expired, so of any number of concurrent consumes exactly one sees changes === 1; the row read
// back afterwards is the consumed token for the winner and the reason for everyone else.
import type { Database } from 'better-sqlite3';
import type { ConsumeOnceOutcome } from '../port.js';

/** The tables of one-time tokens: keyed by hash, each with expires_at and used_at. */
type OneTimeTokenTable = 'login_tokens' | 'email_change_tokens';

/** A consume that also needs `where` to hold, and also sets `set` (SQL over the table's own columns and @now). */
interface ConsumeVariant {
  readonly where: string;
  readonly set: string;
}

/** Prepares `table`'s consume; `toRecord` turns its row into the token the winner gets. */
export function prepareConsumeOnce<Row extends { used_at: number | null }, Token>(
  db: Database,
  table: OneTimeTokenTable,
  toRecord: (row: Row) => Token,
  variant?: ConsumeVariant,
): (hash: string, now: number) => ConsumeOnceOutcome<Token> {
  const set = variant ? `, ${variant.set}` : '';
  const where = variant ? ` AND ${variant.where}` : '';
  const consume = db.prepare(`UPDATE ${table} SET used_at = @now${set} WHERE hash = @hash AND used_at IS NULL AND expires_at > @now${where}`);
  const byHash = db.prepare<[string], Row>(`SELECT * FROM ${table} WHERE hash = ?`);
  return (hash, now) => {
    const won = consume.run({ hash, now }).changes === 1;
    const row = byHash.get(hash);
    if (won && row) return { consumed: true, token: toRecord(row) };
    if (!row) return { consumed: false, reason: 'token_unknown' };
    if (row.used_at !== null) return { consumed: false, reason: 'token_used' };
    return { consumed: false, reason: 'token_expired' };
  };
}
