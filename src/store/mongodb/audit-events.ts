// The audit trail in MongoDB: one append-only collection, removed by a TTL index on expiresAt
// once past its retention (reads hide expired events themselves: the TTL monitor lags). The
// ObjectId _id breaks ties between events of the same millisecond in the order appended.
import { Schema, type Model, type QueryFilter } from 'mongoose';
import { ADDRESS_HASH_FIELDS, addressKeysHeld, heldHashesAndRequests } from '../address-hashes.js';
import { addressKey } from '../address-key.js';
import type { AuditQuery, AuditRecord, AuditStore } from '../port.js';

export interface AuditEventDoc {
  at: Date;
  event: string;
  requestId: string | null;
  interactionUid: string | null;
  clientId: string | null;
  accountId: string | null;
  email: string | null;
  emailKey: string | null;
  ip: string | null;
  userAgent: string | null;
  reason: string | null;
  providerMessageId: string | null;
  versions: Record<string, string>;
  fields: Record<string, unknown>;
  expiresAt: Date;
}

const nullableString = { type: String, default: null };

export const auditEventSchema = new Schema<AuditEventDoc>(
  {
    at: { type: Date, required: true },
    event: { type: String, required: true },
    requestId: nullableString,
    interactionUid: nullableString,
    clientId: nullableString,
    accountId: nullableString,
    email: nullableString,
    emailKey: nullableString,
    ip: nullableString,
    userAgent: nullableString,
    reason: nullableString,
    providerMessageId: nullableString,
    versions: { type: Schema.Types.Mixed, required: true },
    fields: { type: Schema.Types.Mixed, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false, strict: true },
);
const present = (field: string) => ({ partialFilterExpression: { [field]: { $type: 'string' } } });
auditEventSchema.index({ at: 1, _id: 1 });
auditEventSchema.index({ requestId: 1, at: 1 }, present('requestId'));
auditEventSchema.index({ interactionUid: 1, at: 1 }, present('interactionUid'));
auditEventSchema.index({ clientId: 1, at: 1 }, present('clientId'));
auditEventSchema.index({ accountId: 1, at: 1 }, present('accountId'));
auditEventSchema.index({ emailKey: 1, at: 1 }, present('emailKey'));
auditEventSchema.index({ reason: 1, at: 1 }, present('reason'));
auditEventSchema.index({ providerMessageId: 1 }, present('providerMessageId'));
auditEventSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

const toRecord = (doc: AuditEventDoc): AuditRecord => ({
  at: doc.at.getTime(),
  event: doc.event,
  requestId: doc.requestId ?? null,
  interactionUid: doc.interactionUid ?? null,
  clientId: doc.clientId ?? null,
  accountId: doc.accountId ?? null,
  email: doc.email ?? null,
  ip: doc.ip ?? null,
  userAgent: doc.userAgent ?? null,
  reason: doc.reason ?? null,
  providerMessageId: doc.providerMessageId ?? null,
  versions: { ...doc.versions },
  fields: { ...doc.fields },
  expiresAt: doc.expiresAt.getTime(),
});

export function createMongoAuditEvents(events: Model<AuditEventDoc>): AuditStore {
  return {
    async append(records) {
      if (records.length === 0) return;
      // One round trip, ordered: the ObjectIds, which break ties between events of one
      // millisecond, follow the order given. Without a transaction (which needs a replica set)
      // a failure can leave the events before the failing one written: never out of order.
      await events.insertMany(
        records.map((record) => ({
          ...record,
          at: new Date(record.at),
          emailKey: record.email === null ? null : addressKey(record.email),
          versions: { ...record.versions },
          fields: { ...record.fields },
          expiresAt: new Date(record.expiresAt),
        })),
        { ordered: true },
      );
    },
    async search(query: AuditQuery, now) {
      const filter: QueryFilter<AuditEventDoc> = { expiresAt: { $gt: new Date(now) } };
      for (const key of ['requestId', 'interactionUid', 'clientId', 'accountId', 'reason', 'providerMessageId'] as const) {
        if (query[key] !== undefined) filter[key] = { $eq: query[key] };
      }
      if (query.email !== undefined) filter.emailKey = { $eq: addressKey(query.email) };
      if (query.since !== undefined || query.until !== undefined) {
        filter.at = {
          ...(query.since === undefined ? {} : { $gte: new Date(query.since) }),
          ...(query.until === undefined ? {} : { $lt: new Date(query.until) }),
        };
      }
      let found = events.find(filter).sort({ at: 1, _id: 1 });
      if (query.limit !== undefined) found = found.limit(query.limit);
      return (await found.lean<AuditEventDoc[]>()).map(toRecord);
    },
    async forgetAddress({ accountId, email, emailHash }) {
      // The hashes in fields have no index (few events carry one): this part is a collection
      // scan, rare enough for a deletion.
      const own: QueryFilter<AuditEventDoc> = { accountId: { $eq: accountId } };
      const hashFieldPresent = ADDRESS_HASH_FIELDS.map((field) => ({ [`fields.${field}`]: { $exists: true } }));
      const addressEvents = await events
        .find({ ...own, $or: hashFieldPresent }, { requestId: 1, fields: 1 })
        .lean<{ requestId?: string | null; fields: Record<string, unknown> }[]>();
      const { held, requestIds } = heldHashesAndRequests(emailHash, addressEvents);
      // Addresses in clear near the account (address-hashes.ts): only those whose hash is held are
      // its to forget. (`$type` as in the partial indexes' filters, so the look-ups can use them.)
      const named = [
        ...(await events.distinct('email', { ...own, email: { $type: 'string' } })),
        ...(requestIds.length === 0 ? [] : await events.distinct('email', { requestId: { $type: 'string', $in: requestIds }, email: { $type: 'string' } })),
      ].filter((value): value is string => typeof value === 'string');
      const emailKeys = addressKeysHeld(email, named, held);
      const ownNamed: QueryFilter<AuditEventDoc> = { ...own, $or: [{ email: { $type: 'string' } }, ...hashFieldPresent] };
      const byAddress: QueryFilter<AuditEventDoc> = { emailKey: { $type: 'string', $in: emailKeys }, email: { $type: 'string' } };
      const hashed = (field: string): QueryFilter<AuditEventDoc> => ({ [`fields.${field}`]: { $in: held } });
      const ids = (await events.find({ $or: [ownNamed, byAddress, ...ADDRESS_HASH_FIELDS.map(hashed)] }, { _id: 1 }).lean<{ _id: unknown }[]>()).map(
        (doc) => doc._id,
      );
      if (ids.length === 0) return 0;
      const among = { _id: { $in: ids } };
      await events.updateMany({ ...among, ...byAddress }, { $set: { email: null, emailKey: null } });
      for (const field of ADDRESS_HASH_FIELDS) await events.updateMany({ ...among, ...hashed(field) }, { $unset: { [`fields.${field}`]: 1 } });
      const unsetAll = Object.fromEntries(ADDRESS_HASH_FIELDS.map((field) => [`fields.${field}`, 1]));
      await events.updateMany({ ...among, ...own }, { $set: { email: null, emailKey: null }, $unset: unsetAll });
      return ids.length;
    },
  };
}
