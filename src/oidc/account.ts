// oidc-provider's account lookup: the subject is our random user id, and the only claims we
// hold are the address the user proved they control. A browser session whose sign-in was ended
// after it was made (sign out everywhere, an undo, an administrator's revoke: User.signInsEndedAt)
// is signed out here, including one made just now from a sign-in held at its last redirect while
// the owner ended everything. A disabled or deleted account is not found:
// oidc-provider then refuses its access tokens at userinfo (invalid_token), its refresh tokens
// and codes at the token endpoint (invalid_grant), and a browser session signed in to it is
// signed out here (see below). Introspection does not ask (it checks the grant only), so
// disabling also revokes (src/account/account-sessions.ts).
import type { FindAccount } from 'oidc-provider';
import { sessionStands } from '../login/policy.js';
import type { Store } from '../store/port.js';
import type { TokenPolicy } from './token-policy.js';

/** What the browser session remembers of its login; without it the session is signed out. */
const LOGIN_MEMBERS = ['accountId', 'loginTs', 'acr', 'amr', 'authorizations'];

/**
 * oidc-provider looks up a session's account on every authorization request, and when it is not
 * found carries on as if signed in without an account (its consent check then fails with a 500).
 * So the session of an account that is gone is signed out on the spot: the person is asked for a
 * new link, which a disabled account cannot complete. `touched` makes oidc-provider store it so.
 */
function signOut(session: object): void {
  for (const member of LOGIN_MEMBERS) Reflect.deleteProperty(session, member);
  Reflect.set(session, 'touched', true);
}

/** `tokenPolicy`: whether a token still fits its app's policy (token-policy.ts). */
export function createFindAccount(store: Store, tokenPolicy: TokenPolicy): FindAccount {
  return async (ctx, sub, token) => {
    const user = await store.users.findById(sub);
    if (token !== undefined) {
      // A code, refresh or access token in use: the app's policy must still admit the account.
      const fits = await tokenPolicy(
        ctx.oidc.provider,
        {
          kind: token.kind,
          clientId: token.clientId,
          accountId: sub,
          scopes: token.scopes,
          grantId: token.grantId,
          authTime: 'authTime' in token ? token.authTime : undefined,
        },
        user,
      );
      if (!fits || !user) return undefined;
    } else {
      // Without a token, the caller is the session's own look-up (or one the engine makes for a
      // session it holds): a session that no longer stands is signed out on the spot.
      const session = ctx.oidc?.session;
      const ownSession = session?.accountId === sub ? session : undefined;
      const stands = ownSession ? sessionStands(user, ownSession.loginTs ?? 0) : user !== undefined && user.disabledAt === null;
      if (!user || !stands) {
        if (ownSession) signOut(ownSession);
        return undefined;
      }
    }
    return {
      accountId: user.id,
      claims: async () => ({ sub: user.id, email: user.email, email_verified: true }),
    };
  };
}
