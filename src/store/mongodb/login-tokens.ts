// Magic-link tokens in MongoDB. Consume is consumeOnce's one findOneAndUpdate guarded by
// usedAt: null and expiresAt > now, so of any number of concurrent confirms exactly one wins.
import type { Model } from 'mongoose';
import type { LoginTokenRecord, LoginTokenStore } from '../port.js';
import { consumeOnce } from './consume-once.js';
import type { LoginTokenDoc } from './schemas.js';

const toRecord = (doc: LoginTokenDoc): LoginTokenRecord => ({
  hash: doc.hash,
  email: doc.email,
  interactionUid: doc.interactionUid,
  clientId: doc.clientId,
  bindingHash: doc.bindingHash,
  codeHmac: doc.codeHmac,
  ip: doc.ip,
  userAgent: doc.userAgent,
  createdAt: doc.createdAt.getTime(),
  expiresAt: doc.expiresAt.getTime(),
  usedAt: doc.usedAt ? doc.usedAt.getTime() : null,
  codeAttempts: doc.codeAttempts ?? 0,
  approvalRequestedAt: doc.approvalRequestedAt ? doc.approvalRequestedAt.getTime() : null,
  approvedAt: doc.approvedAt ? doc.approvedAt.getTime() : null,
  approvalFinishedAt: doc.approvalFinishedAt ? doc.approvalFinishedAt.getTime() : null,
});

const dateOrNull = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** listPending's query, which its index { interactionUid, createdAt, _id } answers in order; exported for the explain() test. */
export const pendingQuery = (interactionUid: string, now: number) => ({
  filter: { interactionUid, usedAt: null, expiresAt: { $gt: new Date(now) } },
  sort: { createdAt: -1, _id: -1 } as const,
});

export function createMongoLoginTokens(tokens: Model<LoginTokenDoc>): LoginTokenStore {
  return {
    async insert(token) {
      await tokens.create({
        ...token,
        createdAt: new Date(token.createdAt),
        expiresAt: new Date(token.expiresAt),
        usedAt: dateOrNull(token.usedAt),
        approvalRequestedAt: dateOrNull(token.approvalRequestedAt),
        approvedAt: dateOrNull(token.approvedAt),
        approvalFinishedAt: dateOrNull(token.approvalFinishedAt),
      });
    },
    async listPending(interactionUid, now) {
      const { filter, sort } = pendingQuery(interactionUid, now);
      const docs = await tokens.find(filter).sort(sort).limit(10).lean();
      return docs.map(toRecord);
    },
    async reserveCodeAttempt(hash, maxAttempts, now) {
      const result = await tokens.updateOne(
        { hash, usedAt: null, expiresAt: { $gt: new Date(now) }, codeAttempts: { $lt: maxAttempts } },
        { $inc: { codeAttempts: 1 } },
      );
      return result.matchedCount === 1;
    },
    async countPending(now) {
      return tokens.countDocuments({ usedAt: null, expiresAt: { $gt: new Date(now) } });
    },
    async deleteByEmail(email) {
      return (await tokens.deleteMany({ email })).deletedCount;
    },
    async findByHash(hash) {
      const doc = await tokens.findOne({ hash }).lean();
      return doc ? toRecord(doc) : undefined;
    },
    async consume(hash, now) {
      return consumeOnce(tokens, hash, now, toRecord);
    },
    async requestApproval(hash, now) {
      const at = new Date(now);
      await tokens.updateOne({ hash, approvalRequestedAt: null, usedAt: null, expiresAt: { $gt: at } }, { $set: { approvalRequestedAt: at } });
      const doc = await tokens.findOne({ hash }).lean();
      return doc ? toRecord(doc) : undefined;
    },
    async approve(hash, now) {
      return consumeOnce(tokens, hash, now, toRecord, { filter: { approvalRequestedAt: { $ne: null } }, set: ['approvedAt'] });
    },
    async listApprovals(interactionUid) {
      // The { interactionUid, createdAt, _id } index narrows to one sign-in's few tokens.
      const docs = await tokens
        .find({ interactionUid, approvalRequestedAt: { $ne: null } })
        .sort({ createdAt: -1, _id: -1 })
        .limit(10)
        .lean();
      return docs.map(toRecord);
    },
    async claimApproval(hash, now) {
      const at = new Date(now);
      const result = await tokens.updateOne(
        { hash, approvedAt: { $ne: null }, approvalFinishedAt: null, expiresAt: { $gt: at } },
        { $set: { approvalFinishedAt: at } },
      );
      return result.modifiedCount === 1;
    },
  };
}
