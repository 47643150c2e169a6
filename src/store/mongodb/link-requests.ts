// The email form's intents in MongoDB (src/login/link-requests.ts). A claim is one
// findOneAndUpdate per request whose filter requires its lease to have run out: MongoDB applies
// it to one document atomically, so of any number of claimers exactly one gets each request.
import type { Model } from 'mongoose';
import type { LinkRequestRecord, LinkRequestStore } from '../port.js';
import type { LinkRequestDoc } from './schemas.js';

const toRecord = (doc: LinkRequestDoc): LinkRequestRecord => ({
  id: doc._id,
  sealed: doc.sealed,
  createdAt: doc.createdAt.getTime(),
  expiresAt: doc.expiresAt.getTime(),
  leaseOwner: doc.leaseOwner,
  leaseUntil: doc.leaseUntil.getTime(),
});

export function createMongoLinkRequests(requests: Model<LinkRequestDoc>): LinkRequestStore {
  return {
    async insert(request) {
      await requests.create({
        _id: request.id,
        sealed: request.sealed,
        createdAt: new Date(request.createdAt),
        expiresAt: new Date(request.expiresAt),
        leaseOwner: request.leaseOwner,
        leaseUntil: new Date(request.leaseUntil),
      });
    },
    async claim(owner, now, leaseMs, limit) {
      const at = new Date(now);
      const claimed: LinkRequestRecord[] = [];
      while (claimed.length < limit) {
        const doc = await requests
          .findOneAndUpdate(
            { leaseUntil: { $lte: at }, expiresAt: { $gt: at } },
            { $set: { leaseOwner: owner, leaseUntil: new Date(now + leaseMs) } },
            { sort: { leaseUntil: 1 }, returnDocument: 'after' },
          )
          .lean<LinkRequestDoc>();
        if (!doc) break;
        claimed.push(toRecord(doc));
      }
      return claimed;
    },
    async delete(id) {
      return (await requests.deleteOne({ _id: id })).deletedCount === 1;
    },
  };
}
