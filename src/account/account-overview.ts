// What the account page shows of an account at oidc-provider: the browsers signed in (its
// sessions) and the apps it allowed (its grants, with the scopes granted). Read by the account id
// each stored artefact carries, never by a bearer value; no HTTP here.
import { appsSignedIn } from '../oidc/session-apps.js';
import { deviceOf } from '../oidc/session-device.js';
import type { OidcPayload, Store } from '../store/port.js';

export interface SignedInBrowser {
  /** The session's uid (not its cookie value, which the store never holds). */
  readonly uid: string;
  /** The user agent of the browser's last save, if known. */
  readonly userAgent: string | undefined;
  /** When that browser signed in (epoch ms). */
  readonly signedInAt: number | undefined;
  /** When it last signed in to linkid or to an app through it (epoch ms). */
  readonly lastSeenAt: number | undefined;
  /** The apps that finished a sign-in through this browser's session (not those it only passed through). */
  readonly clientIds: readonly string[];
}

export interface GrantedApp {
  readonly clientId: string;
  /** Every OpenID scope this account granted the app, over all its grants. */
  readonly scopes: readonly string[];
  /** The first time it granted any (epoch ms). */
  readonly grantedAt: number | undefined;
}

export interface AccountOverview {
  readonly browsers: readonly SignedInBrowser[];
  readonly apps: readonly GrantedApp[];
}

const seconds = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value * 1000 : undefined);

function browserOf(payload: OidcPayload): SignedInBrowser | undefined {
  if (typeof payload.uid !== 'string') return undefined;
  const device = deviceOf(payload);
  return {
    uid: payload.uid,
    userAgent: device?.userAgent,
    signedInAt: seconds(payload.loginTs),
    lastSeenAt: device?.seenAt ?? seconds(payload.loginTs),
    clientIds: appsSignedIn(payload)
      .map((app) => app.clientId)
      .sort(),
  };
}

function scopesOf(payload: OidcPayload): string[] {
  const openid = payload.openid as { scope?: unknown } | undefined;
  return typeof openid?.scope === 'string' ? openid.scope.split(' ').filter(Boolean) : [];
}

function appsOf(grants: readonly OidcPayload[]): GrantedApp[] {
  const byClient = new Map<string, { scopes: Set<string>; grantedAt: number | undefined }>();
  for (const grant of grants) {
    if (typeof grant.clientId !== 'string') continue;
    const app = byClient.get(grant.clientId) ?? { scopes: new Set<string>(), grantedAt: undefined };
    for (const scope of scopesOf(grant)) app.scopes.add(scope);
    const issuedAt = seconds(grant.iat);
    if (issuedAt !== undefined && (app.grantedAt === undefined || issuedAt < app.grantedAt)) app.grantedAt = issuedAt;
    byClient.set(grant.clientId, app);
  }
  return [...byClient.entries()]
    .map(([clientId, app]) => ({ clientId, scopes: [...app.scopes], grantedAt: app.grantedAt }))
    .sort((a, b) => a.clientId.localeCompare(b.clientId));
}

/** `hidden`: clients never listed as apps (the account page's own). */
export async function accountOverview(store: Pick<Store, 'oidc'>, accountId: string, now: number, hidden: ReadonlySet<string>): Promise<AccountOverview> {
  const [sessions, grants] = await Promise.all([store.oidc.listByAccount('Session', accountId, now), store.oidc.listByAccount('Grant', accountId, now)]);
  const browsers = sessions
    .flatMap((session) => browserOf(session.payload) ?? [])
    .map((browser) => ({ ...browser, clientIds: browser.clientIds.filter((clientId) => !hidden.has(clientId)) }))
    .sort((a, b) => (b.lastSeenAt ?? 0) - (a.lastSeenAt ?? 0));
  const apps = appsOf(grants.map((grant) => grant.payload)).filter((app) => !hidden.has(app.clientId));
  return { browsers, apps };
}
