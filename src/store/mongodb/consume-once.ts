// The single-use consume, written once for every MongoDB collection of one-time tokens (login
// tokens, email-change tokens): one findOneAndUpdate guarded by usedAt: null and expiresAt > now,
// so of any number of concurrent consumes exactly one gets the document back; everyone else reads
// the document to learn why not.
import type { Model } from 'mongoose';
import type { ConsumeOnceOutcome } from '../port.js';

/** What a one-time token's document has for its consume: its hash, expiry and use. */
interface OneTimeTokenDoc {
  hash: string;
  expiresAt: Date;
  usedAt: Date | null;
}

/** Consumes the token `hash` in `tokens` at `now`; `toRecord` turns its document into the token the winner gets. */
export async function consumeOnce<Doc extends OneTimeTokenDoc, Token>(
  tokens: Model<Doc>,
  hash: string,
  now: number,
  toRecord: (doc: Doc) => Token,
): Promise<ConsumeOnceOutcome<Token>> {
  const consumed = await tokens
    .findOneAndUpdate({ hash, usedAt: null, expiresAt: { $gt: new Date(now) } }, { $set: { usedAt: new Date(now) } }, { returnDocument: 'after' })
    .lean();
  if (consumed) return { consumed: true, token: toRecord(consumed) };
  const doc = await tokens.findOne({ hash }).lean();
  if (!doc) return { consumed: false, reason: 'token_unknown' };
  if (doc.usedAt) return { consumed: false, reason: 'token_used' };
  return { consumed: false, reason: 'token_expired' };
}
