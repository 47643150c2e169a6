// Which apps a linkid session is signed in to: those that finished an authorization through it,
// and so got a code (an ID token) naming the account. oidc-provider keeps one entry per app in a
// session's `authorizations`, and gives it a grantId (and a sid) only when an authorization
// through the session found a grant, that is after consent, in the same step (its loadGrant).
// Its default grant lookup also leaves an empty entry for every app the browser only passes
// through: a `prompt=none` probe answered consent_required or login_required, a consent denied.
// Such an app got nothing from linkid and must learn nothing: it is not listed as signed in, and
// no logout (back- or front-channel, RP-initiated or account-wide) names the account to it. Rules:
// - the grant lookup reads a session's entry without making one;
// - an entry counts only with a grantId: whoever reads a stored session's apps asks `appsSignedIn`;
// - a session read back by oidc-provider holds no entry without a grantId, so sessions saved before
//   this rule, and oidc-provider's own RP-initiated logout (which tells every entry), are covered.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { OidcPayload } from '../store/port.js';

/** One app a session is signed in to, with the `sid` its tokens carry. */
export interface SessionApp {
  readonly clientId: string;
  readonly sid: string | undefined;
}

type Entry = { readonly grantId?: unknown; readonly sid?: unknown } | undefined;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function entriesOf(payload: OidcPayload): [string, Entry][] {
  const { authorizations } = payload;
  return authorizations && typeof authorizations === 'object' ? Object.entries(authorizations as Record<string, Entry>) : [];
}

/** The apps that finished an authorization through this stored session, in the order it holds them. */
export function appsSignedIn(session: OidcPayload): SessionApp[] {
  return entriesOf(session).flatMap(([clientId, entry]) => (text(entry?.grantId) ? [{ clientId, sid: text(entry?.sid) }] : []));
}

/** A stored session as oidc-provider may see it: without the entries of apps only passed through. */
export function withoutVisits(session: OidcPayload): OidcPayload {
  const entries = entriesOf(session);
  const kept = entries.filter(([, entry]) => text(entry?.grantId));
  return kept.length === entries.length ? session : { ...session, authorizations: Object.fromEntries(kept) };
}

/**
 * oidc-provider's `loadExistingGrant`: the grant a consent just made, else the one this session
 * holds for the app. Its default asks the session with `grantIdFor`, which makes an empty entry
 * for an app the session has none for; this reads the entry and leaves the session as it was.
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const clientId = oidc.client?.clientId;
  const grantId = text(oidc.result?.consent?.grantId) ?? (clientId === undefined ? undefined : text(oidc.session?.authorizations?.[clientId]?.grantId));
  return grantId ? oidc.provider.Grant.find(grantId) : undefined;
}
