// oidc-provider's account lookup: the subject is our random user id, and the only claims we
// hold are the address the user proved they control. A disabled or deleted account is not found:
// oidc-provider then refuses its access tokens at userinfo (invalid_token), its refresh tokens
// and codes at the token endpoint (invalid_grant), and treats its session as signed out.
// Introspection does not ask (it checks the grant only), so disabling also revokes.
import type { FindAccount } from 'oidc-provider';
import type { Store } from '../store/port.js';

export function createFindAccount(store: Store): FindAccount {
  return async (_ctx, sub) => {
    const user = await store.users.findById(sub);
    if (!user || user.disabledAt !== null) return undefined;
    return {
      accountId: user.id,
      claims: async () => ({ sub: user.id, email: user.email, email_verified: true }),
    };
  };
}
