// An app's policy holds for the life of what it was issued, not only at sign-in. A refresh token
// lives for weeks (rotation carries it on), an access token for an hour: an address that has left
// an allowlisted domain since, an account disabled since, or a scope the app may no longer ask for
// must not keep working through them. Checked wherever the engine accepts a token: redeeming a
// code or a refresh token (the token endpoint answers invalid_grant), userinfo (invalid_token), and
// introspection (active: false). Rules:
// - the app's sign-in policy is decided again for the account as it is now (login/policy.ts
//   decideSignIn, the same decision a sign-in meets): an allowlist that no longer takes the
//   address refuses with signup_closed;
// - a disabled or deleted account refuses (account_disabled): its tokens were revoked when it was
//   disabled, and this holds even for one issued in the moment between;
// - a token whose scopes the app's registration no longer all allows refuses (invalid_scope);
// - each refusal is audited as tokens.refused with its reason, the token's kind and its app.
import type Provider from 'oidc-provider';
import type { Audit } from '../kernel/audit.js';
import type { Reason } from '../kernel/reasons.js';
import type { AppDirectory } from '../login/app-policy.js';
import { decideAccount, decideSignIn, type SignupPolicy } from '../login/policy.js';
import type { User, UserStore } from '../store/port.js';

/** What the check reads of one of the engine's tokens (a code, an access or a refresh token). */
export interface IssuedToken {
  readonly kind: string;
  readonly clientId?: string;
  readonly accountId?: string;
  readonly scopes?: ReadonlySet<string>;
}

export interface TokenPolicyDeps {
  readonly users: Pick<UserStore, 'findById'>;
  readonly apps: AppDirectory;
  readonly signup: SignupPolicy;
  readonly audit: Audit;
}

export type TokenPolicy = (provider: Provider, token: IssuedToken, user?: User) => Promise<boolean>;

export function createTokenPolicy(deps: TokenPolicyDeps): TokenPolicy {
  const refusal = async (provider: Provider, token: IssuedToken, user: User | undefined): Promise<Reason | 'invalid_scope' | undefined> => {
    if (!decideAccount(user).allow || !user) return 'account_disabled';
    if (token.clientId === undefined) return undefined;
    const app = await deps.apps.find(token.clientId);
    if (!decideSignIn(deps.signup, app.policy, user.email, true).allow) return 'signup_closed';
    const client = await provider.Client.find(token.clientId);
    const allowed = client?.scope?.split(' ');
    if (allowed && [...(token.scopes ?? [])].some((scope) => !allowed.includes(scope))) return 'invalid_scope';
    return undefined;
  };

  /** Whether `token` may still be used; `user`, when the caller already read the account. */
  return async (provider, token, user) => {
    const account = user ?? (token.accountId === undefined ? undefined : await deps.users.findById(token.accountId));
    if (token.accountId === undefined) return true;
    const reason = await refusal(provider, token, account);
    if (reason === undefined) return true;
    deps.audit('tokens.refused', { reason, kind: token.kind, accountId: token.accountId, clientId: token.clientId });
    return false;
  };
}
