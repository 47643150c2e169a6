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
// - a token from a sign-in older than the account's ended-at mark (User.signInsEndedAt) refuses
//   (sessions_ended): endAll destroys such tokens, and this catches one issued while it ran;
// - a refusal under the app's policy also revokes the grant and everything issued under it, so
//   the token does not come back to life if the account fits again (the address moves back, the
//   app's allowlist or scopes widen): the app signs the person in anew;
// - each refusal is audited as tokens.refused with its reason, the token's kind and its app.
import type Provider from 'oidc-provider';
import type { Audit } from '../kernel/audit.js';
import type { Reason } from '../kernel/reasons.js';
import type { AppDirectory } from '../login/app-policy.js';
import { decideAccount, decideSignIn, sessionStands, type SignupPolicy } from '../login/policy.js';
import type { User, UserStore } from '../store/port.js';
import { LINKID_SCOPES } from './configuration/claims.js';

/** What the check reads of one of the engine's tokens (a code, an access or a refresh token). */
export interface IssuedToken {
  readonly kind: string;
  readonly clientId?: string;
  readonly accountId?: string;
  readonly scopes?: ReadonlySet<string>;
  readonly grantId?: string;
  /** When the sign-in it came from happened (epoch seconds). */
  readonly authTime?: number;
}

/** The engine's models that hold what a grant issued. */
const ISSUED_UNDER_GRANT = ['AuthorizationCode', 'AccessToken', 'RefreshToken'] as const;

export interface TokenPolicyDeps {
  readonly users: Pick<UserStore, 'findById'>;
  readonly apps: AppDirectory;
  readonly signup: SignupPolicy;
  readonly audit: Audit;
}

export type TokenPolicy = (provider: Provider, token: IssuedToken, user?: User) => Promise<boolean>;

async function revokeGrant(provider: Provider, grantId: string): Promise<void> {
  await (await provider.Grant.find(grantId))?.destroy();
  for (const model of ISSUED_UNDER_GRANT) await provider[model].revokeByGrantId(grantId);
}

export function createTokenPolicy(deps: TokenPolicyDeps): TokenPolicy {
  const refusal = async (provider: Provider, token: IssuedToken, user: User | undefined): Promise<Reason | 'invalid_scope' | 'sessions_ended' | undefined> => {
    if (!decideAccount(user).allow || !user) return 'account_disabled';
    if (token.authTime !== undefined && !sessionStands(user, token.authTime)) return 'sessions_ended';
    if (token.clientId === undefined) return undefined;
    const app = await deps.apps.find(token.clientId);
    if (!decideSignIn(deps.signup, app.policy, user.email, true).allow) return 'signup_closed';
    const client = await provider.Client.find(token.clientId);
    // linkid's own scopes only: an API's scopes are checked by its resource at every use (configuration/resources.ts).
    const allowed = client?.scope?.split(' ');
    if (allowed && [...(token.scopes ?? [])].some((scope) => LINKID_SCOPES.includes(scope) && !allowed.includes(scope))) return 'invalid_scope';
    return undefined;
  };

  /** Whether `token` may still be used; `user`, when the caller already read the account. */
  return async (provider, token, user) => {
    if (token.accountId === undefined) return true;
    const reason = await refusal(provider, token, user ?? (await deps.users.findById(token.accountId)));
    if (reason === undefined) return true;
    deps.audit('tokens.refused', { reason, kind: token.kind, accountId: token.accountId, clientId: token.clientId });
    if ((reason === 'signup_closed' || reason === 'invalid_scope') && token.grantId !== undefined) await revokeGrant(provider, token.grantId);
    return false;
  };
}
