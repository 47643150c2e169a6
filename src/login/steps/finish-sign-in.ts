// Where every way in ends: a link confirmed, a code accepted, a link approved from another
// browser, a recovery code redeemed each call finishSignIn with the address, the sign-in and the
// method. Rules:
// - the sign-up policy, the app's own included, is checked again (it may have changed since the
//   mail was sent, or the recovery code was made);
// - an account an administrator disabled is refused here, after the secret was accepted and never
//   before, so up to this point it walks the same states as any other address;
// - a link or code made before everything the account had was last ended (User.signInsEndedAt:
//   sign out everywhere, a void, a change of address, an administrator's revoke) is refused as
//   expired: an end ends the sign-ins already under way too, not only the sessions;
// - the account is found, or created race-free with a random, stable subject id that is never
//   derived from the address (so an address change or a leaked id reveals nothing); a recovery
//   code names an account that exists, and never creates one;
// - the login names the method: acr and amr say which secret was proven (kernel/sign-in-method.ts).
// No HTTP here: the route hands the login to oidc-provider.
import { randomBytes } from 'node:crypto';
import type { Login, Refusal } from '../../kernel/decisions.js';
import { SIGN_IN_METHODS, type SignInMethod } from '../../kernel/sign-in-method.js';
import type { User } from '../../store/port.js';
import { decideAccount, decideSignIn } from '../policy.js';
import type { SignInDeps } from './step-kit.js';

export const newSubjectId = (): string => randomBytes(16).toString('base64url');

/** Who signs in where: the address a secret was proven for, the sign-in it belongs to. */
export interface ProvenSignIn {
  /** Canonical (normalizeEmail). */
  readonly email: string;
  readonly clientId: string;
  readonly interactionUid: string;
  /** The account, when the way in found it already (a recovery code names one). */
  readonly user?: User;
  /** When the secret proven was made (a link's and its code's token, epoch ms). */
  readonly createdAt?: number;
}

export type FinishOutcome = { readonly allow: true; readonly login: Login } | Refusal;

/** The step a refusal here is recorded under, as each way in has always recorded it. */
const REFUSED_AT: Readonly<Record<SignInMethod, string>> = { link: 'complete', code: 'complete', approval: 'complete', recovery: 'recovery' };

export function createFinishSignIn(deps: Pick<SignInDeps, 'store' | 'clock' | 'audit' | 'signup' | 'apps'>) {
  const { users } = deps.store;
  return async function finishSignIn(proven: ProvenSignIn, method: SignInMethod): Promise<FinishOutcome> {
    const now = deps.clock.now();
    const { email, clientId, interactionUid } = proven;
    const existing = proven.user ?? (await users.findByEmail(email));
    const about = { clientId, interactionUid, email };
    const refuse = (refusal: Refusal): Refusal => {
      deps.audit('login.refused', { reason: refusal.reason, step: REFUSED_AT[method], accountId: existing?.id, ...about });
      return { ...refusal, clientId };
    };
    const app = await deps.apps.find(clientId);
    const signup = decideSignIn(deps.signup, app.policy, email, existing !== undefined);
    if (!signup.allow) return refuse(signup);
    const account = decideAccount(existing);
    if (!account.allow) return refuse(account);
    const ended = existing?.signInsEndedAt ?? null;
    if (ended !== null && proven.createdAt !== undefined && proven.createdAt < ended) return refuse({ allow: false, reason: 'token_expired' });
    const { user, created } = existing ? { user: existing, created: false } : await users.findOrCreate(email, newSubjectId(), now);
    if (created) deps.audit('account.created', { accountId: user.id, ...about });
    await users.recordLogin(user.id, now);
    deps.audit('login.completed', { accountId: user.id, ...about, via: method });
    const { acr, amr } = SIGN_IN_METHODS[method];
    return { allow: true, login: { accountId: user.id, acr, amr: [...amr], remember: true, ts: Math.floor(now / 1000) } };
  };
}
