// The bridge between oidc-provider's adapter interface and the Store port. One adapter per
// model name; clients come from the clients table (registered with the admin CLI), everything
// else from the generic model store, under digests of their ids (see artefacts-at-rest.ts).
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { OidcPayload, Store } from '../store/port.js';
import { createArtefactsAtRest, type ArtefactsAtRest } from './artefacts-at-rest.js';
import { toOidcClientMetadata } from './client-metadata.js';

function clientAdapter(store: Store, serverSecret: Buffer): Adapter {
  const readOnly = async () => {
    throw new Error('clients are managed with the admin CLI, not through oidc-provider');
  };
  return {
    async find(id) {
      const client = await store.clients.find(id);
      return client && (toOidcClientMetadata(client, serverSecret) as AdapterPayload);
    },
    upsert: readOnly,
    destroy: readOnly,
    consume: readOnly,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    revokeByGrantId: async () => undefined,
  };
}

function modelAdapter(model: string, store: Store, clock: Clock, atRest: ArtefactsAtRest): Adapter {
  const models = store.oidc;
  const restored = (stored: OidcPayload | undefined, id?: string) => stored && (atRest.fromRest(model, stored, id) as AdapterPayload | undefined);
  return {
    async upsert(id, payload, expiresIn) {
      const expiresAt = expiresIn ? clock.now() + expiresIn * 1000 : null;
      await models.upsert(model, atRest.key(id), atRest.toRest(model, id, payload as OidcPayload), expiresAt);
    },
    find: async (id) => restored(await models.find(model, atRest.key(id), clock.now()), id),
    findByUid: async (uid) => restored(await models.findByUid(model, uid, clock.now())),
    findByUserCode: async (userCode) => restored(await models.findByUserCode(model, atRest.userCodeKey(userCode), clock.now())),
    consume: (id) => models.consume(model, atRest.key(id), clock.now()),
    destroy: (id) => models.destroy(model, atRest.key(id)),
    revokeByGrantId: (grantId) => models.revokeByGrantId(model, grantId),
  };
}

export function createAdapterFactory(store: Store, clock: Clock, serverSecret: Buffer) {
  const atRest = createArtefactsAtRest(serverSecret);
  return (name: string): Adapter => (name === 'Client' ? clientAdapter(store, serverSecret) : modelAdapter(name, store, clock, atRest));
}
