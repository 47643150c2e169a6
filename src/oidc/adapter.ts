// The bridge between oidc-provider's adapter interface and the Store port. One adapter per
// model name; clients come from the clients table (registered with the admin CLI), everything
// else from the generic model store.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { OidcPayload, Store } from '../store/port.js';
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

function modelAdapter(model: string, store: Store, clock: Clock): Adapter {
  const models = store.oidc;
  const asPayload = (payload: OidcPayload | undefined) => payload as AdapterPayload | undefined;
  return {
    async upsert(id, payload, expiresIn) {
      const expiresAt = expiresIn ? clock.now() + expiresIn * 1000 : null;
      await models.upsert(model, id, payload as OidcPayload, expiresAt);
    },
    find: async (id) => asPayload(await models.find(model, id, clock.now())),
    findByUid: async (uid) => asPayload(await models.findByUid(model, uid, clock.now())),
    findByUserCode: async (userCode) => asPayload(await models.findByUserCode(model, userCode, clock.now())),
    consume: (id) => models.consume(model, id, clock.now()),
    destroy: (id) => models.destroy(model, id),
    revokeByGrantId: (grantId) => models.revokeByGrantId(model, grantId),
  };
}

export function createAdapterFactory(store: Store, clock: Clock, serverSecret: Buffer) {
  return (name: string): Adapter => (name === 'Client' ? clientAdapter(store, serverSecret) : modelAdapter(name, store, clock));
}
