// Registered relying parties in MongoDB; the client id is the document _id.
import type { Model } from 'mongoose';
import { DuplicateError, type ClientRecord, type ClientStore } from '../port.js';
import { isDuplicateKey } from './errors.js';
import type { ClientDoc } from './schemas.js';

const toRecord = (doc: ClientDoc): ClientRecord => ({
  clientId: doc._id,
  name: doc.name,
  redirectUris: [...doc.redirectUris],
  postLogoutRedirectUris: [...doc.postLogoutRedirectUris],
  isPublic: doc.isPublic,
  firstParty: doc.firstParty,
  secretSalt: doc.secretSalt ?? null,
  metadata: { ...doc.metadata },
  settings: { ...doc.settings },
  createdAt: doc.createdAt.getTime(),
  updatedAt: doc.updatedAt.getTime(),
});

export function createMongoClients(clients: Model<ClientDoc>): ClientStore {
  return {
    async create(client) {
      try {
        await clients.create({
          _id: client.clientId,
          name: client.name,
          redirectUris: [...client.redirectUris],
          postLogoutRedirectUris: [...client.postLogoutRedirectUris],
          isPublic: client.isPublic,
          firstParty: client.firstParty,
          secretSalt: client.secretSalt,
          metadata: { ...client.metadata },
          settings: { ...client.settings },
          createdAt: new Date(client.createdAt),
          updatedAt: new Date(client.updatedAt),
        });
      } catch (error) {
        if (isDuplicateKey(error)) throw new DuplicateError(`client ${client.clientId}`);
        throw error;
      }
    },
    async find(clientId) {
      const doc = await clients.findById(clientId).lean();
      return doc ? toRecord(doc) : undefined;
    },
    async list() {
      return (await clients.find().sort({ createdAt: 1, _id: 1 }).lean()).map(toRecord);
    },
    async delete(clientId) {
      return (await clients.deleteOne({ _id: clientId })).deletedCount === 1;
    },
    async setSecretSalt(clientId, secretSalt, now) {
      const result = await clients.updateOne({ _id: clientId }, { $set: { secretSalt, updatedAt: new Date(now) } });
      return result.matchedCount === 1;
    },
    async update(clientId, changes, now) {
      const $set: Record<string, unknown> = { updatedAt: new Date(now) };
      for (const [field, value] of Object.entries(changes)) {
        if (value !== undefined) $set[field] = Array.isArray(value) ? [...(value as unknown[])] : value;
      }
      const result = await clients.updateOne({ _id: clientId }, { $set });
      return result.matchedCount === 1;
    },
  };
}
