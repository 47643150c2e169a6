// Recovery codes in MongoDB: an account's set is one document (schemas.ts), so replacing it is one
// replaceOne, and consuming a code one updateOne that matches only an unused element with that
// digest and marks it used through the positional operator: of any number of concurrent consumes
// exactly one modifies the document.
import type { Model } from 'mongoose';
import type { RecoveryCodeStore } from '../port.js';
import type { RecoveryCodeSetDoc } from './schemas.js';

export function createMongoRecoveryCodes(sets: Model<RecoveryCodeSetDoc>): RecoveryCodeStore {
  return {
    async replaceSet(accountId, digests, now) {
      const codes = [...new Set(digests)].map((digest) => ({ digest, usedAt: null }));
      await sets.replaceOne({ _id: accountId }, { _id: accountId, createdAt: new Date(now), codes }, { upsert: true });
    },
    async consume(accountId, digest, now) {
      const result = await sets.updateOne({ _id: accountId, codes: { $elemMatch: { digest, usedAt: null } } }, { $set: { 'codes.$.usedAt': new Date(now) } });
      return result.modifiedCount === 1;
    },
    async countUnused(accountId) {
      const set = await sets.findById(accountId).lean();
      return set ? set.codes.filter((code) => code.usedAt === null || code.usedAt === undefined).length : 0;
    },
    async deleteForAccount(accountId) {
      const set = await sets.findOneAndDelete({ _id: accountId }).lean();
      return set ? set.codes.length : 0;
    },
  };
}
