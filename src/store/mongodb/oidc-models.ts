// oidc-provider's models in MongoDB: one collection per model name (oidc_<model>), documents
// { _id, payload, expiresAt }. Known models get their collections and indexes at start; a model
// name oidc-provider adds later gets its collection on first use. Look-ups by uid, user code,
// grant id and account id repeat their partial index's filter ($exists: true) so the planner can
// use that index.
import type { Connection, Model } from 'mongoose';
import type { OidcModelStore, OidcPayload } from '../port.js';
import { declaredIndexes, nativeCollection, reconcileIndexes } from './indexes.js';
import { oidcSchema, type OidcDoc } from './schemas.js';

export const OIDC_MODEL_NAMES = [
  'Session',
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'ClientCredentials',
  'InitialAccessToken',
  'RegistrationAccessToken',
  'Interaction',
  'ReplayDetection',
  'PushedAuthorizationRequest',
  'Grant',
  'BackchannelAuthenticationRequest',
] as const;

export const collectionFor = (model: string) => `oidc_${model.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()}`;

const live = (now: number) => ({ $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: new Date(now) } }] });

/** findByUid's filter (a session's look-up on every request), exported for the explain() test. */
export const byUidFilter = (uid: string, now: number) => ({ 'payload.uid': { $eq: uid, $exists: true }, ...live(now) });

export interface MongoOidcModels extends OidcModelStore {
  /** Every model collection opened so far (all known ones after start). */
  models(): Model<OidcDoc>[];
  modelFor(name: string): Promise<Model<OidcDoc>>;
}

export function createMongoOidcModels(connection: Connection): MongoOidcModels {
  const cache = new Map<string, Promise<Model<OidcDoc>>>();

  const modelFor = (name: string): Promise<Model<OidcDoc>> => {
    let model = cache.get(name);
    if (!model) {
      const created = connection.model<OidcDoc>(`Oidc${name}`, oidcSchema, collectionFor(name));
      model = reconcileIndexes(nativeCollection(connection, collectionFor(name)), declaredIndexes(oidcSchema)).then(() => created);
      model.catch(() => cache.delete(name));
      cache.set(name, model);
    }
    return model;
  };

  const payloadOf = (doc: Pick<OidcDoc, 'payload'> | null) => (doc ? (doc.payload as OidcPayload) : undefined);

  return {
    modelFor,
    models: () => OIDC_MODEL_NAMES.map((name) => connection.models[`Oidc${name}`]).filter((model): model is Model<OidcDoc> => Boolean(model)),
    async upsert(model, id, rawPayload, expiresAt) {
      // A JSON round trip, as the SQLite store does: undefined members vanish instead of being
      // stored as null (the driver's default), so both stores hand oidc-provider the same payload.
      const payload = JSON.parse(JSON.stringify(rawPayload)) as OidcPayload;
      const update = expiresAt === null ? { $set: { payload }, $unset: { expiresAt: 1 } } : { $set: { payload, expiresAt: new Date(expiresAt) } };
      await (await modelFor(model)).updateOne({ _id: id }, update, { upsert: true });
    },
    async find(model, id, now) {
      return payloadOf(await (await modelFor(model)).findOne({ _id: id, ...live(now) }, { payload: 1 }).lean());
    },
    async findByUid(model, uid, now) {
      return payloadOf(await (await modelFor(model)).findOne(byUidFilter(uid, now), { payload: 1 }).lean());
    },
    async findByUserCode(model, userCode, now) {
      return payloadOf(await (await modelFor(model)).findOne({ 'payload.userCode': { $eq: userCode, $exists: true }, ...live(now) }, { payload: 1 }).lean());
    },
    async consume(model, id, now) {
      const result = await (
        await modelFor(model)
      ).updateOne({ _id: id, 'payload.consumed': { $exists: false }, ...live(now) }, { $set: { 'payload.consumed': Math.floor(now / 1000) } });
      return result.matchedCount === 1;
    },
    async insertIfAbsent(model, id, rawPayload, expiresAt, now) {
      const payload = JSON.parse(JSON.stringify(rawPayload)) as OidcPayload;
      try {
        // Matches only an expired instance; with none, the upsert inserts, and a live one makes that insert a duplicate key.
        const result = await (
          await modelFor(model)
        ).updateOne({ _id: id, expiresAt: { $lte: new Date(now) } }, { $set: { payload, expiresAt: new Date(expiresAt) } }, { upsert: true });
        return result.upsertedCount === 1 || result.modifiedCount === 1;
      } catch (error) {
        if ((error as { code?: unknown }).code === 11000) return false;
        throw error;
      }
    },
    async destroy(model, id) {
      await (await modelFor(model)).deleteOne({ _id: id });
    },
    async revokeByGrantId(model, grantId) {
      await (await modelFor(model)).deleteMany({ 'payload.grantId': { $eq: grantId, $exists: true } });
    },
    async listByAccount(model, accountId, now) {
      const docs = await (await modelFor(model)).find({ 'payload.accountId': { $eq: accountId, $exists: true }, ...live(now) }, { payload: 1 }).lean();
      return docs.map((doc) => ({ id: doc._id, payload: doc.payload }));
    },
    async destroyByAccount(model, accountId) {
      return (await (await modelFor(model)).deleteMany({ 'payload.accountId': { $eq: accountId, $exists: true } })).deletedCount;
    },
  };
}
