// OpenID Connect Front-Channel Logout 1.0, which oidc-provider 9 no longer implements (it was
// removed with its other draft features in v8): when a logout confirmed at /session/end/confirm
// signs the person out of apps that registered a frontchannel_logout_uri, the page between the
// confirm and the redirect loads each of those URIs in a hidden iframe, with `iss` and the app's
// `sid`, so the apps can clear their own cookies in this browser. The CSP lets frames reach only
// those origins. Apps that did not register one are not framed; the redirect itself is unchanged.
// The session read here holds only the apps that finished a sign-in through it (session-apps.ts).
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import type { Store } from '../store/port.js';
import type { RenderPage } from './configuration/pages.js';

export interface FrontchannelDeps {
  readonly provider: Provider;
  readonly issuer: string;
  readonly clients: Pick<Store['clients'], 'find'>;
  readonly renderPage: RenderPage;
}

type Authorizations = Readonly<Record<string, unknown>>;

async function sessionOf(
  ctx: Context,
  provider: Provider,
): Promise<{ id: string; authorizations: Authorizations; sidFor: (clientId: string) => string | undefined } | undefined> {
  const id = ctx.cookies.get(provider.cookieName('session'), { signed: true });
  const session = id ? await provider.Session.find(id) : undefined;
  if (!id || !session) return undefined;
  const sids = Object.fromEntries(Object.keys(session.authorizations ?? {}).map((clientId) => [clientId, session.sidFor(clientId)]));
  return { id, authorizations: { ...(session.authorizations ?? {}) }, sidFor: (clientId) => sids[clientId] };
}

/** The frontchannel_logout_uri of an app, with iss and sid added (the spec's session parameters). */
async function frameFor(deps: FrontchannelDeps, clientId: string, sid: string | undefined): Promise<string | undefined> {
  const uri = (await deps.clients.find(clientId))?.metadata.frontchannel_logout_uri;
  const url = typeof uri === 'string' ? URL.parse(uri) : null;
  if (!url) return undefined;
  url.searchParams.set('iss', deps.issuer);
  if (sid) url.searchParams.set('sid', sid);
  return url.href;
}

export function frontchannelLogout(deps: FrontchannelDeps): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/session/end/confirm') {
      await next();
      return;
    }
    const before = await sessionOf(ctx, deps.provider).catch(() => undefined);
    await next();
    const location = ctx.response.get('location');
    if (!before || ctx.status < 300 || ctx.status >= 400 || !location) return;
    // The apps signed out: all of the session's when it ended, else those it no longer holds.
    const after = await deps.provider.Session.find(before.id).catch(() => undefined);
    const remaining = after?.authorizations ?? {};
    const signedOut = Object.keys(before.authorizations).filter((clientId) => !(clientId in remaining));
    const frames = (await Promise.all(signedOut.map((clientId) => frameFor(deps, clientId, before.sidFor(clientId))))).filter((frame): frame is string =>
      Boolean(frame),
    );
    if (frames.length === 0) return;
    ctx.state.frameSources = [...new Set(frames.map((frame) => new URL(frame).origin))];
    ctx.status = 200;
    ctx.remove('location');
    deps.renderPage(ctx, 'frontchannel-logout', { frames, next: new URL(location, deps.issuer).href });
  };
}

/** The session of an ID token being issued: the browser's at /auth, the code's or refresh token's at /token. */
async function sessionOfIdToken(ctx: KoaContextWithOIDC, token: { sessionUid?: string } | undefined) {
  if (ctx.oidc.session?.accountId) return ctx.oidc.session;
  return typeof token?.sessionUid === 'string' ? ctx.oidc.provider.Session.findByUid(token.sessionUid) : undefined;
}

/**
 * Front-Channel Logout 1.0 §2: an OP that passes `sid` to frontchannel_logout_uri includes it in
 * the ID tokens it issues, or an app has nothing to match the framed `sid` against. oidc-provider
 * does that only for back-channel apps that asked for it, so every app that registered a
 * frontchannel_logout_uri gets its session's `sid` in its ID tokens here (the same value
 * `sidFor` gives the frame). Userinfo never carries it.
 */
export function withFrontchannelSid(findAccount: FindAccount, clients: Pick<Store['clients'], 'find'>): FindAccount {
  return async (ctx, sub, token) => {
    const account = await findAccount(ctx, sub, token);
    if (!account) return account;
    return {
      ...account,
      claims: async (use, scope, claims, rejected) => {
        const base = await account.claims(use, scope, claims, rejected);
        const clientId = ctx.oidc.client?.clientId;
        if (use !== 'id_token' || !clientId) return base;
        if (typeof (await clients.find(clientId))?.metadata.frontchannel_logout_uri !== 'string') return base;
        const sid = (await sessionOfIdToken(ctx, token as { sessionUid?: string } | undefined))?.sidFor(clientId);
        return sid ? { ...base, sid } : base;
      },
    };
  };
}
