// The durable send queue and the suppression list in MongoDB. A claim is one findOneAndUpdate per
// message whose filter requires it to be queued, due and unleased, so two workers never hold the
// same message; every completion is guarded by the lease owner.
import type { Model } from 'mongoose';
import { addressKey } from '../address-key.js';
import type { MailQueueStore, MailStatus, QueuedMail, SuppressionStore } from '../port.js';
import { isDuplicateKey } from './errors.js';
import type { MailDoc, SuppressionDoc } from './schemas.js';

const toMail = (doc: MailDoc): QueuedMail => ({
  id: doc._id,
  to: doc.to,
  tag: doc.tag,
  interactionUid: doc.interactionUid,
  bindingHash: doc.bindingHash,
  requestId: doc.requestId,
  sealed: doc.sealed,
  status: doc.status,
  attempts: doc.attempts,
  nextAttemptAt: doc.nextAttemptAt.getTime(),
  leaseUntil: doc.leaseUntil ? doc.leaseUntil.getTime() : null,
  giveUpAt: doc.giveUpAt.getTime(),
  lastError: doc.lastError,
  providerMessageId: doc.providerMessageId,
  createdAt: doc.createdAt.getTime(),
  updatedAt: doc.updatedAt.getTime(),
});

/**
 * The worker's claim: queued, due and unleased, oldest first. The sort follows the index
 * { status, nextAttemptAt, createdAt } so the server walks it instead of sorting in memory;
 * exported for the explain() test.
 */
export const claimQuery = (now: number) => {
  const at = new Date(now);
  return {
    filter: { status: 'queued' as const, nextAttemptAt: { $lte: at }, $or: [{ leaseUntil: null }, { leaseUntil: { $lte: at } }] },
    sort: { nextAttemptAt: 1, createdAt: 1 } as const,
  };
};

/** latestFor's query (the "check your email" page asks it), answered in index order; exported for the explain() test. */
export const latestQuery = (interactionUid: string, bindingHash: string) => ({
  filter: { interactionUid, bindingHash },
  sort: { createdAt: -1, _id: -1 } as const,
});

export function createMongoMailQueue(mails: Model<MailDoc>): MailQueueStore {
  const leased = (id: string, owner: string) => ({ _id: id, leaseOwner: owner, status: 'queued' as const });
  return {
    async enqueue(mail) {
      try {
        await mails.create({
          _id: mail.id,
          to: mail.to,
          tag: mail.tag,
          interactionUid: mail.interactionUid,
          bindingHash: mail.bindingHash,
          requestId: mail.requestId,
          sealed: mail.sealed,
          status: mail.status,
          attempts: mail.attempts,
          nextAttemptAt: new Date(mail.nextAttemptAt),
          leaseOwner: null,
          leaseUntil: mail.leaseUntil === null ? null : new Date(mail.leaseUntil),
          giveUpAt: new Date(mail.giveUpAt),
          lastError: mail.lastError,
          providerMessageId: mail.providerMessageId,
          createdAt: new Date(mail.createdAt),
          updatedAt: new Date(mail.updatedAt),
        });
        return true;
      } catch (error) {
        // Only _id is unique among a queued message's fields (providerMessageId is null until sent).
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },
    async claimBatch(owner, now, leaseMs, limit) {
      const at = new Date(now);
      const { filter, sort } = claimQuery(now);
      const update = { $set: { leaseOwner: owner, leaseUntil: new Date(now + leaseMs), updatedAt: at }, $inc: { attempts: 1 } };
      // One findOneAndUpdate per message: atomic for each, so a batch never shares a message with
      // another worker's, without a multi-document transaction (which needs a replica set).
      const claimed: QueuedMail[] = [];
      while (claimed.length < limit) {
        const doc = await mails.findOneAndUpdate(filter, update, { sort, returnDocument: 'after' }).lean();
        if (!doc) break;
        claimed.push(toMail(doc));
      }
      return claimed;
    },
    async complete(id, owner, outcome, now) {
      const at = new Date(now);
      const release = { leaseOwner: null, leaseUntil: null, updatedAt: at };
      const update =
        outcome.status === 'sent'
          ? { $set: { ...release, status: 'sent', sealed: null, providerMessageId: outcome.providerMessageId, lastError: null } }
          : outcome.status === 'retry'
            ? { $set: { ...release, nextAttemptAt: new Date(outcome.nextAttemptAt), lastError: outcome.error } }
            : { $set: { ...release, status: outcome.status, sealed: null, lastError: outcome.error } };
      return (await mails.updateOne(leased(id, owner), update)).matchedCount === 1;
    },
    async latestFor(interactionUid, bindingHash) {
      const { filter, sort } = latestQuery(interactionUid, bindingHash);
      const doc = await mails.findOne(filter).sort(sort).lean();
      return doc ? toMail(doc) : undefined;
    },
    async recordDelivery(providerMessageId, status, detail, now) {
      // A sent message's updatedAt is when the provider accepted it: nothing else writes it until a report.
      const before = await mails.findOne({ providerMessageId, status: 'sent' }, { updatedAt: 1 }).lean();
      const result = await mails.updateMany(
        { providerMessageId, status: { $in: ['sent', 'delivered'] } },
        { $set: { status, updatedAt: new Date(now), ...(detail === null ? {} : { lastError: detail }) } },
      );
      if (result.matchedCount === 0) return undefined;
      return { sentAt: before ? before.updatedAt.getTime() : null };
    },
    async queued() {
      const [count, oldest] = await Promise.all([
        mails.countDocuments({ status: 'queued' }),
        mails.findOne({ status: 'queued' }, { createdAt: 1 }).sort({ createdAt: 1 }).lean(),
      ]);
      return { count, oldestCreatedAt: oldest ? oldest.createdAt.getTime() : null };
    },
    async summary(recentLimit) {
      const counts: Record<MailStatus, number> = { queued: 0, sent: 0, delivered: 0, failed: 0, suppressed: 0 };
      const [groups, failures] = await Promise.all([
        mails.aggregate<{ _id: MailStatus; count: number }>([{ $group: { _id: '$status', count: { $sum: 1 } } }]),
        mails
          .find({ status: { $in: ['failed', 'suppressed'] } })
          .sort({ updatedAt: -1, _id: -1 })
          .limit(Math.max(0, Math.trunc(recentLimit)))
          .lean(),
      ]);
      for (const group of groups) counts[group._id] = group.count;
      return { counts, recentFailures: failures.map(toMail) };
    },
    async purgeFinished(before, batchSize) {
      const finished = await mails
        .find({ status: { $ne: 'queued' }, updatedAt: { $lt: new Date(before) } }, { _id: 1 })
        .limit(batchSize)
        .lean();
      if (finished.length === 0) return 0;
      return (await mails.deleteMany({ _id: { $in: finished.map((doc) => doc._id) } })).deletedCount;
    },
  };
}

export function createMongoSuppressions(suppressions: Model<SuppressionDoc>): SuppressionStore {
  return {
    async suppress(email, reason, now) {
      await suppressions.updateOne({ _id: addressKey(email) }, { $setOnInsert: { reason, createdAt: new Date(now) } }, { upsert: true });
    },
    async reasonFor(email) {
      return (await suppressions.findById(addressKey(email)).lean())?.reason;
    },
    async list() {
      // Sorted on _id, so the sort walks the _id index instead of holding every document in memory.
      const docs = await suppressions.find().sort({ _id: 1 }).lean();
      return docs.map((doc) => ({ email: doc._id, reason: doc.reason, createdAt: doc.createdAt.getTime() }));
    },
    async lift(email) {
      return (await suppressions.deleteOne({ _id: addressKey(email) })).deletedCount === 1;
    },
  };
}
