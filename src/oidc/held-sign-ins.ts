// A sign-in that finished keeps its login in its oidc-provider interaction until the browser
// resumes it, for as long as the interaction lives (an hour). The stores find an artefact's
// account by a top-level `accountId`, which an interaction does not have; so an interaction that
// holds a login is saved with its account beside the payload, and ending everything an account has
// (src/account/account-sessions.ts endAll) finds and destroys it with the sessions and grants.
// oidc-provider never sees the member: it is taken off again on every read.
import type { OidcPayload } from '../store/port.js';

const MEMBER = 'accountId';

const heldAccountOf = (payload: OidcPayload): string | undefined => {
  const login = (payload.result as { login?: { accountId?: unknown } } | undefined)?.login;
  return typeof login?.accountId === 'string' ? login.accountId : undefined;
};

/** An interaction as stored: with the account its finished login is for, if it holds one. */
export function withHeldAccount(payload: OidcPayload): OidcPayload {
  const rest = withoutHeldAccount(payload);
  const accountId = heldAccountOf(rest);
  return accountId === undefined ? rest : { ...rest, [MEMBER]: accountId };
}

/** An interaction as oidc-provider saved it. */
export function withoutHeldAccount(payload: OidcPayload): OidcPayload {
  if (!(MEMBER in payload)) return payload;
  const rest = { ...payload };
  Reflect.deleteProperty(rest, MEMBER);
  return rest;
}
