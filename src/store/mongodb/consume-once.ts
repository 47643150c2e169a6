// The single-use consume, written once for every MongoDB collection of one-time tokens (login
// tokens, email-change tokens): one findOneAndUpdate guarded by usedAt: null and expiresAt > now,
// so of any number of concurrent consumes exactly one gets the document back; everyone else reads
// the document to learn why not.
import type { Model, QueryFilter, UpdateQuery } from 'mongoose';
import type { ConsumeOnceOutcome } from '../port.js';

/** What a one-time token's document has for its consume: its hash, expiry and use. */
interface OneTimeTokenDoc {
  hash: string;
  expiresAt: Date;
  usedAt: Date | null;
}

/** A consume that also needs `filter` to match, and also sets the fields `set` names to now. */
interface ConsumeVariant {
  readonly filter: Record<string, unknown>;
  readonly set: readonly string[];
}

/** Consumes the token `hash` in `tokens` at `now`; `toRecord` turns its document into the token the winner gets. */
export async function consumeOnce<Doc extends OneTimeTokenDoc, Token>(
  tokens: Model<Doc>,
  hash: string,
  now: number,
  toRecord: (doc: Doc) => Token,
  variant?: ConsumeVariant,
): Promise<ConsumeOnceOutcome<Token>> {
  const at = new Date(now);
  const set = Object.fromEntries(['usedAt', ...(variant?.set ?? [])].map((field) => [field, at]));
  const filter = { ...variant?.filter, hash, usedAt: null, expiresAt: { $gt: at } } as QueryFilter<Doc>;
  const consumed = await tokens.findOneAndUpdate(filter, { $set: set } as UpdateQuery<Doc>, { returnDocument: 'after' }).lean<Doc>();
  if (consumed) return { consumed: true, token: toRecord(consumed) };
  const doc = await tokens.findOne({ hash }).lean();
  if (!doc) return { consumed: false, reason: 'token_unknown' };
  if (doc.usedAt) return { consumed: false, reason: 'token_used' };
  return { consumed: false, reason: 'token_expired' };
}
