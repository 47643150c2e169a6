// What happens once a link or code has been accepted. Rules:
// - the sign-up policy, the app's own included, is checked again (it may have changed since the
//   mail was sent);
// - an account an administrator disabled is refused here, after the link or code was accepted
//   and never before, so up to this point it walks the same states as any other address;
// - the account is found, or created race-free with a random, stable subject id that is never
//   derived from the address (so an address change or a leaked id reveals nothing);
// - the login names the method: acr and amr say "an emailed one-time secret".
// No HTTP here: the route hands the login to oidc-provider.
import { randomBytes } from 'node:crypto';
import { EMAIL_LINK_ACR, EMAIL_LINK_AMR } from '../../kernel/sign-in-method.js';
import type { LoginTokenRecord } from '../../store/port.js';
import { decideAccount, decideSignIn } from '../policy.js';
import type { SignInDeps } from './step-kit.js';
import type { Refusal, Login } from '../../kernel/decisions.js';

export const newSubjectId = (): string => randomBytes(16).toString('base64url');

export function createCompleteSignIn(deps: Pick<SignInDeps, 'store' | 'clock' | 'audit' | 'signup' | 'apps'>) {
  const { users } = deps.store;
  return async function completeSignIn(token: LoginTokenRecord, via: 'link' | 'code'): Promise<{ readonly allow: true; readonly login: Login } | Refusal> {
    const now = deps.clock.now();
    const existing = await users.findByEmail(token.email);
    const app = await deps.apps.find(token.clientId);
    const signup = decideSignIn(deps.signup, app.policy, token.email, existing !== undefined);
    if (!signup.allow) {
      deps.audit('login.refused', {
        reason: signup.reason,
        step: 'complete',
        clientId: token.clientId,
        interactionUid: token.interactionUid,
        email: token.email,
      });
      return { ...signup, clientId: token.clientId };
    }
    const account = decideAccount(existing);
    if (!account.allow) {
      deps.audit('login.refused', {
        reason: account.reason,
        step: 'complete',
        accountId: existing?.id,
        clientId: token.clientId,
        interactionUid: token.interactionUid,
        email: token.email,
      });
      return { ...account, clientId: token.clientId };
    }
    const { user, created } = existing ? { user: existing, created: false } : await users.findOrCreate(token.email, newSubjectId(), now);
    if (created) deps.audit('account.created', { accountId: user.id, clientId: token.clientId, interactionUid: token.interactionUid, email: token.email });
    await users.recordLogin(user.id, now);
    deps.audit('login.completed', { accountId: user.id, clientId: token.clientId, interactionUid: token.interactionUid, email: token.email, via });
    return { allow: true, login: { accountId: user.id, acr: EMAIL_LINK_ACR, amr: EMAIL_LINK_AMR, remember: true, ts: Math.floor(now / 1000) } };
  };
}
