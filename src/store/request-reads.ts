// One read of a client per request. oidc-provider and linkid's own steps look the same client up
// again and again while answering one request (client authentication, the token's client, the
// page's app, its policy, its security headers): 23 reads of the clients table per sign-in. Inside
// a request scope, the first read is kept and handed to every later one; any write to the clients
// through this store clears what the scope kept, so a request that changes a client reads the
// change. A change made by another process (the admin CLI, another instance) is seen at the next
// request, exactly as before: nothing is kept beyond the request, and work outside any request
// (jobs, the CLI) reads the store each time.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRecord, ClientStore } from './port.js';

const scopes = new AsyncLocalStorage<Map<string, Promise<ClientRecord | undefined>>>();

/** Runs `work` (a request, and what it starts after its response) with its own client reads kept. */
export const withRequestReads = <T>(work: () => T): T => scopes.run(new Map(), work);

/** `clients` with reads kept for the current request scope, if there is one. */
export function keepClientReads(clients: ClientStore): ClientStore {
  const forget = () => scopes.getStore()?.clear();
  const write = async <R>(change: () => Promise<R>): Promise<R> => {
    forget();
    try {
      return await change();
    } finally {
      forget();
    }
  };
  return {
    find(clientId) {
      const kept = scopes.getStore();
      if (!kept) return clients.find(clientId);
      let read = kept.get(clientId);
      if (!read) {
        read = clients.find(clientId);
        kept.set(clientId, read);
        // A failed read is not kept: the next one tries the store again.
        read.catch(() => kept.get(clientId) === read && kept.delete(clientId));
      }
      return read;
    },
    list: () => clients.list(),
    create: (client) => write(() => clients.create(client)),
    delete: (clientId) => write(() => clients.delete(clientId)),
    setSecretSalt: (clientId, secretSalt, now) => write(() => clients.setSecretSalt(clientId, secretSalt, now)),
    update: (clientId, changes, now) => write(() => clients.update(clientId, changes, now)),
  };
}
