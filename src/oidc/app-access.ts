// An app's allowlist decides who may use that app, not only who may get an account
// (src/login/policy.ts decideSignIn). A person already signed in to linkid through another app
// would otherwise reach an allowlisted app through single sign-on without ever meeting the
// sign-in steps that apply it. This adds one check to oidc-provider's login prompt: an existing
// session whose account the app does not accept asks for a fresh sign-in (the email form of that
// app), as if there were no session. `prompt=none` gets the very answer a browser without a
// session gets (oidc-provider's own `no_session` error and description), so a silent request
// cannot tell an app that someone it refuses is signed in.
import { interactionPolicy } from 'oidc-provider';
import { readApp } from '../login/app-policy.js';
import { decideSignIn, type SignupPolicy } from '../login/policy.js';
import type { Store } from '../store/port.js';

export function loginPromptWithAppAccess(store: Pick<Store, 'clients' | 'users'>, globalSignup: SignupPolicy): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  const noSession = login?.checks.get('no_session');
  if (!login || !noSession?.error) throw new Error("oidc-provider's login prompt has no no_session check to answer like");
  const check = new interactionPolicy.Check('app_refuses_account', noSession.description, noSession.error, async (ctx) => {
    const { session, client, result } = ctx.oidc;
    // A sign-in that just finished was decided by the sign-in steps themselves.
    if (!session?.accountId || !client || result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const { app } = readApp(client.clientId, await store.clients.find(client.clientId));
    if (!app.policy.signup) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const user = await store.users.findById(session.accountId);
    if (!user) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    return decideSignIn(globalSignup, app.policy, user.email, true).allow ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
  });
  login.checks.add(check);
  return policy;
}
