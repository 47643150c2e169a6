// APIs as resources (RFC 8707) in MongoDB; the id is the document _id and a unique index on the
// identifier keeps two resources from claiming the same audience.
import type { Model } from 'mongoose';
import { DuplicateError, type ResourceRecord, type ResourceStore } from '../port.js';
import { isDuplicateKey } from './errors.js';
import type { ResourceDoc } from './schemas.js';

const toRecord = (doc: ResourceDoc): ResourceRecord => ({
  id: doc._id,
  identifier: doc.identifier,
  scopes: doc.scopes.map(({ name, description }) => ({ name, description })),
  accessTokenTtlSeconds: doc.accessTokenTtlSeconds,
  introspectionClientId: doc.introspectionClientId ?? null,
  createdAt: doc.createdAt.getTime(),
  updatedAt: doc.updatedAt.getTime(),
});

export function createMongoResources(resources: Model<ResourceDoc>): ResourceStore {
  return {
    async create(resource) {
      try {
        await resources.create({
          _id: resource.id,
          identifier: resource.identifier,
          scopes: resource.scopes.map(({ name, description }) => ({ name, description })),
          accessTokenTtlSeconds: resource.accessTokenTtlSeconds,
          introspectionClientId: resource.introspectionClientId,
          createdAt: new Date(resource.createdAt),
          updatedAt: new Date(resource.updatedAt),
        });
      } catch (error) {
        if (isDuplicateKey(error)) throw new DuplicateError(`resource ${resource.identifier}`);
        throw error;
      }
    },
    async find(id) {
      const doc = await resources.findById(id).lean<ResourceDoc>();
      return doc ? toRecord(doc) : undefined;
    },
    async findByIdentifier(identifier) {
      const doc = await resources.findOne({ identifier }).lean<ResourceDoc>();
      return doc ? toRecord(doc) : undefined;
    },
    async list() {
      return (await resources.find().sort({ createdAt: 1, _id: 1 }).lean<ResourceDoc[]>()).map(toRecord);
    },
    async update(id, changes, now) {
      const $set: Record<string, unknown> = { updatedAt: new Date(now) };
      if (changes.scopes !== undefined) $set.scopes = changes.scopes.map(({ name, description }) => ({ name, description }));
      if (changes.accessTokenTtlSeconds !== undefined) $set.accessTokenTtlSeconds = changes.accessTokenTtlSeconds;
      if (changes.introspectionClientId !== undefined) $set.introspectionClientId = changes.introspectionClientId;
      return (await resources.updateOne({ _id: id }, { $set })).matchedCount === 1;
    },
    async delete(id) {
      return (await resources.deleteOne({ _id: id })).deletedCount === 1;
    },
  };
}
