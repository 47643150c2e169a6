// What happens once a link or code has been accepted: the account is found or created (the
// sign-up policy is checked again, in case it changed since the mail was sent), the login is
// recorded, and oidc-provider resumes the authorization with a 303.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { newUserId } from '../account/user-id.js';
import type { Clock } from '../clock.js';
import { decideSignup, type SignupPolicy } from '../login/policy.js';
import type { Audit } from '../observability/audit.js';
import { EMAIL_LINK_ACR, EMAIL_LINK_AMR } from '../oidc/sign-in-method.js';
import type { LoginTokenRecord, UserStore } from '../store/port.js';
import { ReasonError } from './errors.js';
import { finishInteraction } from './interaction-details.js';

export interface CompleteSignInDeps {
  readonly provider: Provider;
  readonly users: UserStore;
  readonly clock: Clock;
  readonly audit: Audit;
  readonly signup: SignupPolicy;
}

export async function completeSignIn(ctx: Context, deps: CompleteSignInDeps, token: LoginTokenRecord, via: 'link' | 'code'): Promise<void> {
  const now = deps.clock.now();
  const existing = await deps.users.findByEmail(token.email);
  const signup = decideSignup(deps.signup, token.email, existing !== undefined);
  if (!signup.allow) {
    deps.audit('login.refused', { reason: signup.reason, step: 'complete', clientId: token.clientId });
    throw new ReasonError(signup.reason);
  }
  const { user, created } = existing ? { user: existing, created: false } : await deps.users.findOrCreate(token.email, newUserId(), now);
  if (created) deps.audit('account.created', { accountId: user.id, clientId: token.clientId });
  await deps.users.recordLogin(user.id, now);
  deps.audit('login.completed', { accountId: user.id, clientId: token.clientId, interactionUid: token.interactionUid, via });
  await finishInteraction(
    deps.provider,
    ctx,
    { login: { accountId: user.id, acr: EMAIL_LINK_ACR, amr: EMAIL_LINK_AMR, remember: true } },
    { mergeWithLastSubmission: false },
  );
}
