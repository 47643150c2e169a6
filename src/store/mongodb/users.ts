// Accounts in MongoDB. findOrCreate is one upsert on the unique emailKey index, so concurrent
// first sign-ins of one address create one user. Lists page through that index in its order.
import type { Model } from 'mongoose';
import { addressKey } from '../address-key.js';
import type { User, UserStore } from '../port.js';
import { isDuplicateKey } from './errors.js';
import type { UserDoc } from './schemas.js';

const toUser = (doc: UserDoc): User => ({
  id: doc._id,
  email: doc.email,
  createdAt: doc.createdAt.getTime(),
  lastLoginAt: doc.lastLoginAt ? doc.lastLoginAt.getTime() : null,
  // Documents written before accounts could be disabled have no disabledAt.
  disabledAt: doc.disabledAt ? doc.disabledAt.getTime() : null,
  // Likewise signInsEndedAt, before sign-ins could be ended.
  signInsEndedAt: doc.signInsEndedAt ? doc.signInsEndedAt.getTime() : null,
});

/** What an operator typed, matched as text: every regular-expression character escaped. */
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function createMongoUsers(users: Model<UserDoc>): UserStore {
  const byKey = async (emailKey: string) => {
    const doc = await users.findOne({ emailKey }).lean();
    return doc ? toUser(doc) : undefined;
  };

  return {
    async findById(id) {
      const doc = await users.findById(id).lean();
      return doc ? toUser(doc) : undefined;
    },
    findByEmail: (email) => byKey(addressKey(email)),
    async findOrCreate(email, newId, now) {
      const emailKey = addressKey(email);
      try {
        const result = await users.findOneAndUpdate(
          { emailKey },
          // emailKey comes from the filter on insert.
          { $setOnInsert: { _id: newId, email, createdAt: new Date(now), lastLoginAt: null } },
          { upsert: true, returnDocument: 'after', includeResultMetadata: true, lean: true },
        );
        return { user: toUser(result.value as UserDoc), created: !result.lastErrorObject?.updatedExisting };
      } catch (error) {
        // Two upserts raced past the query and one lost on the unique index: the user exists now.
        if (!isDuplicateKey(error)) throw error;
        const user = await byKey(emailKey);
        if (!user) throw error;
        return { user, created: false };
      }
    },
    async recordLogin(id, now) {
      await users.updateOne({ _id: id }, { $set: { lastLoginAt: new Date(now) } });
    },
    async list(query) {
      const needle = addressKey(query.emailContains ?? '');
      // Ordered and paged by the unique emailKey index.
      const emailKey = { $gt: query.after === undefined ? '' : addressKey(query.after), ...(needle ? { $regex: literally(needle) } : {}) };
      const docs = await users.find({ emailKey }).sort({ emailKey: 1 }).limit(query.limit).lean();
      return docs.map(toUser);
    },
    async setDisabled(id, disabledAt) {
      const result = await users.updateOne({ _id: id }, { $set: { disabledAt: disabledAt === null ? null : new Date(disabledAt) } });
      return result.matchedCount === 1;
    },
    async endSignIns(id, at) {
      // $max: one atomic write that never moves the mark back (a missing field counts as lower).
      const result = await users.updateOne({ _id: id }, { $max: { signInsEndedAt: new Date(at) } });
      return result.matchedCount === 1;
    },
    async delete(id) {
      return (await users.deleteOne({ _id: id })).deletedCount === 1;
    },
    async changeEmail(id, newEmail) {
      try {
        const result = await users.updateOne({ _id: id }, { $set: { email: newEmail, emailKey: addressKey(newEmail) } });
        return result.matchedCount === 1 ? 'changed' : 'unknown';
      } catch (error) {
        // The unique emailKey index: another account holds the address.
        if (isDuplicateKey(error)) return 'taken';
        throw error;
      }
    },
  };
}
