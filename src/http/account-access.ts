// Who is looking at one of linkid's own signed-in areas (the account page, the admin console): the
// linkid session of this browser, read with oidc-provider's public Session.get, and the account it
// is signed in to. Without one, the area sends the browser through the ordinary sign-in of
// linkid's own first-party client (src/oidc/account-client.ts) and back. Each area has its own
// callback, flow cookie and return paths; the mechanism is this one. Rules:
// - a session whose account is gone or disabled, or whose sign-in was ended after it was made,
//   counts as none (login/policy.ts sessionStands; the sign-in then refuses or replaces it);
// - sensitive actions need a sign-in less than FRESH_SIGN_IN_MS old; an older one is asked for a
//   fresh link (prompt=login, the address filled in), never a password or a second factor;
// - where the browser returns to is one of the area's own paths, kept in a signed, path-scoped
//   cookie with the request's `state`; the code the sign-in hands back is destroyed unredeemed,
//   so a callback URL pasted into another browser signs nobody in anywhere.
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { ACCOUNT_CALLBACK_PATH, ACCOUNT_CLIENT_ID, ADMIN_CALLBACK_PATH, INTENT_PARAM } from '../oidc/account-client.js';
import type { Clock } from '../kernel/clock.js';
import type { User, UserStore } from '../store/port.js';
import { sessionStands } from '../login/policy.js';

/** How recent a sign-in must be for changing the address, recovery codes and deleting the account. */
export const FRESH_SIGN_IN_MS = 10 * 60 * 1000;
/** How long a started sign-in may take to come back (a link lives at most 10 minutes). */
const FLOW_COOKIE_MAX_AGE_MS = 30 * 60 * 1000;

/** One signed-in area: where it lives, where its sign-in comes back, and the only paths it returns to. */
export interface SignedInArea {
  /** The area's root path (`/account`): the flow cookie's path and where a sign-in lands by default. */
  readonly root: string;
  readonly callbackPath: string;
  /** The area's own paths; a return path that is not one of these lands on `root`. */
  readonly returnPaths: RegExp;
  /** The flow cookie's name, without the `__Secure-` prefix an https issuer gives it. */
  readonly cookieName: string;
}

export const ACCOUNT_AREA: SignedInArea = {
  root: '/account',
  callbackPath: ACCOUNT_CALLBACK_PATH,
  returnPaths: /^\/account(?:\/[a-z-]+)*$/,
  cookieName: 'linkid-account-flow',
};

export const ADMIN_AREA: SignedInArea = {
  root: '/admin',
  callbackPath: ADMIN_CALLBACK_PATH,
  // Console pages name apps and accounts by id (base64url), and searches carry a query.
  returnPaths: /^\/admin(?:\/[A-Za-z0-9_-]+)*(?:\?[A-Za-z0-9_.~%&=+-]*)?$/,
  cookieName: 'linkid-admin-flow',
};

export interface AccountVisit {
  readonly user: User;
  /** The uid of this browser's linkid session ("this browser" in the list of browsers). */
  readonly sessionUid: string;
  /** When this browser last signed in (epoch ms). */
  readonly signedInAt: number;
  readonly fresh: boolean;
}

export interface AccountAccessDeps {
  readonly provider: Provider;
  readonly users: Pick<UserStore, 'findById'>;
  readonly clock: Clock;
  readonly issuer: string;
  readonly https: boolean;
}

export interface AccountAccess {
  /** This browser's signed-in account, if any. */
  current(ctx: Context): Promise<AccountVisit | undefined>;
  /**
   * The visit, if signed in (and recently, when `fresh`); otherwise answers with a redirect to
   * the sign-in that comes back to `returnTo`, and resolves to undefined.
   */
  require(ctx: Context, returnTo: string, options?: { readonly fresh?: boolean }): Promise<AccountVisit | undefined>;
  /**
   * "Lost access to your email?": a sign-in that opens on the recovery-code form and, with a right
   * pair, comes back to change the address (the sign-in is fresh, so the form is open at once).
   */
  recover(ctx: Context): void;
  /** The sign-in came back: where the browser goes now. */
  callback(ctx: Context): Promise<void>;
}

/** The account page's access (ACCOUNT_AREA); createSignedInAccess(deps, ADMIN_AREA) is the console's. */
export const createAccountAccess = (deps: AccountAccessDeps): AccountAccess => createSignedInAccess(deps, ACCOUNT_AREA);

export function createSignedInAccess(deps: AccountAccessDeps, area: SignedInArea): AccountAccess {
  const cookieName = deps.https ? `__Secure-${area.cookieName}` : area.cookieName;
  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure: deps.https, path: area.root, signed: true, overwrite: true } as const;
  const returnPath = (path: string | undefined) => (path && area.returnPaths.test(path) ? path : area.root);

  const current = async (ctx: Context): Promise<AccountVisit | undefined> => {
    const session = await deps.provider.Session.get(ctx);
    if (!session.accountId || typeof session.loginTs !== 'number') return undefined;
    const user = await deps.users.findById(session.accountId);
    if (!user || !sessionStands(user, session.loginTs)) return undefined;
    const signedInAt = session.loginTs * 1000;
    return { user, sessionUid: session.uid, signedInAt, fresh: deps.clock.now() - signedInAt < FRESH_SIGN_IN_MS };
  };

  const startSignIn = (ctx: Context, returnTo: string, options: { readonly loginHint?: string; readonly recover?: boolean } = {}) => {
    const state = randomBytes(16).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    if (deps.https) ctx.cookies.secure = true;
    ctx.cookies.set(cookieName, `${state}.${returnPath(returnTo)}`, { ...cookieOptions, maxAge: FLOW_COOKIE_MAX_AGE_MS });
    const params = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${deps.issuer}${area.callbackPath}`,
      state,
      // Required of every client; the code is never redeemed, so the verifier is not kept.
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...(options.loginHint ? { prompt: 'login', login_hint: options.loginHint } : {}),
      ...(options.recover ? { prompt: 'login', [INTENT_PARAM]: 'recover' } : {}),
    });
    ctx.status = 303;
    ctx.redirect(`${deps.issuer}/auth?${params.toString()}`);
  };

  return {
    current,
    async require(ctx, returnTo, options = {}) {
      const visit = await current(ctx);
      if (visit && (visit.fresh || !options.fresh)) return visit;
      startSignIn(ctx, returnTo, { loginHint: visit?.user.email });
      return undefined;
    },
    recover: (ctx) => startSignIn(ctx, '/account/email', { recover: true }),
    async callback(ctx) {
      const query = ctx.query;
      const code = typeof query.code === 'string' ? await deps.provider.AuthorizationCode.find(query.code) : undefined;
      if (code?.clientId === ACCOUNT_CLIENT_ID) await code.destroy();
      const [state, returnTo] = (ctx.cookies.get(cookieName, { signed: true }) ?? '').split(/\.(.*)/s);
      ctx.cookies.set(cookieName, null, cookieOptions);
      const matches = typeof query.state === 'string' && state !== undefined && state !== '' && query.state === state;
      ctx.status = 303;
      ctx.redirect(matches ? returnPath(returnTo) : area.root);
    },
  };
}
