// "Download my data": everything linkid keeps about one account, as one JSON document the person
// can read and keep; no HTTP here (src/http/routes/account-data.ts serves it). Rules:
// - identifiers only, never a secret: no cookie, token, code or session id (its bearer value is
//   never stored anyway); the audit events are given as the trail holds them, which is already
//   identifiers only (src/observability/audit-trail.ts), minus the interaction id, which an
//   interaction cookie carries;
// - the audit events are the account's own (by account id), and those that name no account but
//   belong to a sign-in or request one of its own events names (the email asked for before the
//   account existed, its mail): never an event of another account, whatever address it was about.
//   Its address alone ties no event to it: another account may have held that address before;
// - recent means the last AUDIT_WINDOW_DAYS, at most AUDIT_EVENTS_MAX events (the newest), and the
//   document says so, and whether more were left out.
import type { AuditRecord, Store, User } from '../store/port.js';
import { accountOverview } from './account-overview.js';

/** How far back the audit events go. */
export const AUDIT_WINDOW_DAYS = 30;
/** At most this many audit events, the newest. */
export const AUDIT_EVENTS_MAX = 1000;
/** What one audit query may return, so an account with a flood of events cannot exhaust memory. */
const AUDIT_READ_LIMIT = 10 * AUDIT_EVENTS_MAX;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Which version of this document's layout, so a reader can tell later exports apart. */
export const ACCOUNT_DATA_FORMAT = 'linkid-account-data/1';

export interface AccountDataDeps {
  readonly store: Pick<Store, 'oidc' | 'audit'>;
  /** An app's display name from its client id. */
  readonly appName: (clientId: string) => Promise<string>;
  /** Clients never listed as apps (the account page's own). */
  readonly hidden: ReadonlySet<string>;
}

export interface AccountDataRequest {
  readonly user: User;
  /** The session looking, so its browser is marked `this_browser`. */
  readonly sessionUid: string;
  readonly now: number;
}

export interface AuditEventExport {
  readonly at: string;
  readonly event: string;
  readonly request_id: string | null;
  readonly client_id: string | null;
  readonly ip: string | null;
  readonly user_agent: string | null;
  readonly reason: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AccountDataDocument {
  readonly format: string;
  readonly exported_at: string;
  readonly account: { readonly sub: string; readonly email: string; readonly created_at: string; readonly last_login_at: string | null };
  readonly apps: readonly { readonly client_id: string; readonly name: string; readonly scopes: readonly string[]; readonly granted_at: string | null }[];
  readonly sessions: readonly {
    readonly this_browser: boolean;
    readonly user_agent: string | null;
    readonly signed_in_at: string | null;
    readonly last_active_at: string | null;
    readonly apps: readonly string[];
  }[];
  readonly audit_events: {
    readonly window_days: number;
    readonly since: string;
    readonly max_events: number;
    readonly truncated: boolean;
    readonly events: readonly AuditEventExport[];
  };
}

const iso = (at: number | null | undefined): string | null => (at === null || at === undefined ? null : new Date(at).toISOString());

function exportEvent(record: AuditRecord): AuditEventExport {
  return {
    at: new Date(record.at).toISOString(),
    event: record.event,
    request_id: record.requestId,
    client_id: record.clientId,
    ip: record.ip,
    user_agent: record.userAgent,
    reason: record.reason,
    details: record.fields,
  };
}

/**
 * What happened after a change-email request was answered (a link sent, or the address found in
 * use and its owner told) is left out: the request's answer is the same for every address on
 * purpose, and the download must not tell the requester what the page did not.
 */
const aboutAnotherAddress = (record: AuditRecord) => record.fields.step === 'email-change-send' || record.fields.tag === 'email-change';

/**
 * The account-less events of its address that belong to the account's own sign-ins and requests:
 * one of its own events names their interaction or request. Any other event of the address (a
 * sign-in of an account that held it before) is not the account's.
 */
function ofOwnSignIns(own: readonly AuditRecord[], byAddress: readonly AuditRecord[]): AuditRecord[] {
  const interactions = new Set(own.flatMap((record) => record.interactionUid ?? []));
  const requests = new Set(own.flatMap((record) => record.requestId ?? []));
  return byAddress.filter(
    (record) =>
      record.accountId === null &&
      ((record.interactionUid !== null && interactions.has(record.interactionUid)) || (record.requestId !== null && requests.has(record.requestId))),
  );
}

/** The account's events and the account-less ones of its own sign-ins, in the window, newest kept, oldest first. */
async function recentEvents(store: Pick<Store, 'audit'>, user: User, since: number, now: number) {
  const [byAccount, byAddress] = await Promise.all([
    store.audit.search({ accountId: user.id, since, limit: AUDIT_READ_LIMIT }, now),
    store.audit.search({ email: user.email, since, limit: AUDIT_READ_LIMIT }, now),
  ]);
  const merged = [...byAccount, ...ofOwnSignIns(byAccount, byAddress)].filter((record) => !aboutAnotherAddress(record)).sort((a, b) => a.at - b.at);
  return {
    events: merged.slice(-AUDIT_EVENTS_MAX),
    truncated: merged.length > AUDIT_EVENTS_MAX || byAccount.length === AUDIT_READ_LIMIT || byAddress.length === AUDIT_READ_LIMIT,
  };
}

export async function accountData(deps: AccountDataDeps, { user, sessionUid, now }: AccountDataRequest): Promise<AccountDataDocument> {
  const since = now - AUDIT_WINDOW_DAYS * DAY_MS;
  const [overview, audit] = await Promise.all([accountOverview(deps.store, user.id, now, deps.hidden), recentEvents(deps.store, user, since, now)]);
  const apps = [];
  for (const app of overview.apps) {
    apps.push({ client_id: app.clientId, name: await deps.appName(app.clientId), scopes: app.scopes, granted_at: iso(app.grantedAt) });
  }
  return {
    format: ACCOUNT_DATA_FORMAT,
    exported_at: new Date(now).toISOString(),
    account: { sub: user.id, email: user.email, created_at: new Date(user.createdAt).toISOString(), last_login_at: iso(user.lastLoginAt) },
    apps,
    sessions: overview.browsers.map((browser) => ({
      this_browser: browser.uid === sessionUid,
      user_agent: browser.userAgent ?? null,
      signed_in_at: iso(browser.signedInAt),
      last_active_at: iso(browser.lastSeenAt),
      apps: browser.clientIds,
    })),
    audit_events: {
      window_days: AUDIT_WINDOW_DAYS,
      since: new Date(since).toISOString(),
      max_events: AUDIT_EVENTS_MAX,
      truncated: audit.truncated,
      events: audit.events.map(exportEvent),
    },
  };
}
