// oidc-provider's account lookup: the subject is our random user id, and the only claims we
// hold are the address the user proved they control.
import type { FindAccount } from 'oidc-provider';
import type { Store } from '../store/port.js';

export function createFindAccount(store: Store): FindAccount {
  return async (_ctx, sub) => {
    const user = await store.users.findById(sub);
    if (!user) return undefined;
    return {
      accountId: user.id,
      claims: async () => ({ sub: user.id, email: user.email, email_verified: true }),
    };
  };
}
