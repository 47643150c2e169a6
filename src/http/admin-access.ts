// Who may use the admin console at /admin: a browser signed in to linkid (the same session and
// sign-in as the account page, src/http/account-access.ts, with the console's own callback and
// return paths) whose account's address is one of ADMIN_EMAILS. Rules:
// - not signed in: the ordinary magic-link sign-in, coming back to the page asked for;
// - signed in as anyone else: 403 `admin_only`, with nothing of the console shown;
// - a change (every POST) needs a sign-in less than FRESH_SIGN_IN_MS old, else a fresh link;
// - the list is read on every request, so an address taken out of ADMIN_EMAILS (a restart with
//   the new configuration) is refused on its next request; an account that changed its address
//   away from the list is refused at once;
// - only the session cookie lets anyone in: a bearer token alone is not a session and meets the sign-in.
import type { Context } from 'koa';
import { createSignedInAccess, ADMIN_AREA, type AccountAccessDeps, type AccountVisit } from './account-access.js';
import { ReasonError } from './errors.js';

export interface AdminAccessDeps extends AccountAccessDeps {
  /** ADMIN_EMAILS, canonical. */
  readonly adminEmails: readonly string[];
}

export interface AdminAccess {
  /**
   * The admin's visit; otherwise answers with the sign-in (not signed in, or not recently enough
   * for a change) and resolves to undefined, or throws `admin_only`. A POST always needs a fresh sign-in.
   */
  require(ctx: Context, returnTo: string): Promise<AccountVisit | undefined>;
  /** The sign-in came back: where the browser goes now. */
  callback(ctx: Context): Promise<void>;
}

export function createAdminAccess(deps: AdminAccessDeps): AdminAccess {
  const access = createSignedInAccess(deps, ADMIN_AREA);
  const admins = new Set(deps.adminEmails);
  return {
    async require(ctx, returnTo) {
      const fresh = ctx.method !== 'GET' && ctx.method !== 'HEAD';
      const visit = await access.current(ctx);
      // Refused before any fresh sign-in is asked for: a fresh link would not make them an admin.
      if (visit && !admins.has(visit.user.email)) throw new ReasonError('admin_only', { link: { url: '/account', label: 'admin.toAccount' } });
      return access.require(ctx, returnTo, { fresh });
    },
    callback: (ctx) => access.callback(ctx),
  };
}
