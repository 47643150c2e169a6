// Initial access tokens for dynamic client registration in MongoDB, by digest only. Spending a use
// is one findOneAndUpdate whose filter holds every condition that makes a token live (not
// expired, not revoked, a use left) and whose update increments `used`: MongoDB applies it to one
// document atomically, so of any number of concurrent spends exactly as many succeed as there
// were uses.
import type { Model } from 'mongoose';
import type { RegistrationTokenRecord, RegistrationTokenStore } from '../port.js';
import type { RegistrationTokenDoc } from './schemas.js';

const toRecord = (doc: RegistrationTokenDoc): RegistrationTokenRecord => ({
  id: doc._id,
  digest: doc.digest,
  createdAt: doc.createdAt.getTime(),
  expiresAt: doc.expiresAt.getTime(),
  uses: doc.uses,
  used: doc.used,
  revokedAt: doc.revokedAt ? doc.revokedAt.getTime() : null,
});

const live = (digest: string, now: number) => ({
  digest,
  expiresAt: { $gt: new Date(now) },
  revokedAt: null,
  $expr: { $lt: ['$used', '$uses'] },
});

export function createMongoRegistrationTokens(tokens: Model<RegistrationTokenDoc>): RegistrationTokenStore {
  return {
    async insert(token) {
      await tokens.create({
        _id: token.id,
        digest: token.digest,
        createdAt: new Date(token.createdAt),
        expiresAt: new Date(token.expiresAt),
        uses: token.uses,
        used: token.used,
        revokedAt: token.revokedAt === null ? null : new Date(token.revokedAt),
      });
    },
    async findLive(digest, now) {
      const doc = await tokens.findOne(live(digest, now)).lean<RegistrationTokenDoc>();
      return doc ? toRecord(doc) : undefined;
    },
    async spend(digest, now) {
      const doc = await tokens.findOneAndUpdate(live(digest, now), { $inc: { used: 1 } }, { returnDocument: 'after' }).lean<RegistrationTokenDoc>();
      return doc ? toRecord(doc) : undefined;
    },
    async list() {
      const docs = await tokens.find({}).sort({ createdAt: -1, _id: 1 }).lean<RegistrationTokenDoc[]>();
      return docs.map(toRecord);
    },
    async revoke(id, now) {
      const result = await tokens.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: new Date(now) } });
      return result.modifiedCount === 1;
    },
  };
}
