// The change-email flow's tokens in MongoDB. Consume is consumeOnce's one findOneAndUpdate
// guarded by usedAt: null and expiresAt > now, so of any number of concurrent consumes exactly
// one wins.
import type { Model } from 'mongoose';
import type { EmailChangeRecord, EmailChangeStore } from '../port.js';
import { consumeOnce } from './consume-once.js';
import type { EmailChangeDoc } from './schemas.js';

const toRecord = (doc: EmailChangeDoc): EmailChangeRecord => ({
  hash: doc.hash,
  kind: doc.kind,
  accountId: doc.accountId,
  email: doc.email,
  otherEmail: doc.otherEmail,
  bindingHash: doc.bindingHash ?? null,
  createdAt: doc.createdAt.getTime(),
  expiresAt: doc.expiresAt.getTime(),
  usedAt: doc.usedAt ? doc.usedAt.getTime() : null,
});

export function createMongoEmailChanges(tokens: Model<EmailChangeDoc>): EmailChangeStore {
  return {
    async insert(token) {
      await tokens.create({
        ...token,
        createdAt: new Date(token.createdAt),
        expiresAt: new Date(token.expiresAt),
        usedAt: token.usedAt === null ? null : new Date(token.usedAt),
      });
    },
    async findByHash(hash) {
      const doc = await tokens.findOne({ hash }).lean();
      return doc ? toRecord(doc) : undefined;
    },
    async consume(hash, now) {
      return consumeOnce(tokens, hash, now, toRecord);
    },
    async voidAfterUndo(accountId, undoCreatedAt, now) {
      const result = await tokens.updateMany(
        { accountId, usedAt: null, expiresAt: { $gt: new Date(now) }, $or: [{ kind: 'confirm' }, { createdAt: { $gt: new Date(undoCreatedAt) } }] },
        { $set: { usedAt: new Date(now) } },
      );
      return result.modifiedCount;
    },
    async deleteForAccount(accountId) {
      return (await tokens.deleteMany({ accountId })).deletedCount;
    },
  };
}
