// Ending an account's sessions from outside a browser (linkid-admin user revoke-sessions, disable
// and delete; the account page's "sign out everywhere") must reach the apps as an RP-initiated
// logout does. src/account/account-sessions.ts ends the sessions, grants and tokens in the store
// and then reports which apps were signed in through which session; this turns that report into
// back-channel logout tokens (with the delivery's retries), so there is one way to end sessions
// and one way to tell the apps.
// - an app signed in through an ended session gets a token naming the account and that session's sid;
// - an app that held only a grant (a refresh token outliving its session) gets one naming the
//   account alone, unless it registered that it needs a sid (backchannel_logout_session_required);
// - apps without a back-channel URI are skipped; each app is told once per session.
import type Provider from 'oidc-provider';
import type { Audit } from '../kernel/audit.js';
import type { BackchannelClient, BackchannelDelivery } from './backchannel-delivery.js';

/** An account's ended sessions, as back-channel logout needs them. */
export interface EndedSessions {
  readonly accountId: string;
  readonly why: 'revoked' | 'disabled' | 'deleted';
  /** Per app signed in through an ended session, the session id (`sid`) a logout token names. */
  readonly sessions: readonly { readonly clientId: string; readonly sid: string | undefined }[];
  /** Every app that held one of the ended grants (a refresh token can outlive its session). */
  readonly clientIds: readonly string[];
}

/** Told after an account's sessions and grants have been ended; where back-channel logout is wired. */
export type OnSessionsEnded = (ended: EndedSessions) => Promise<void>;

type LogoutClient = BackchannelClient & { readonly backchannelLogoutSessionRequired?: boolean };

/** Who is told what: (app, sid) once each, then the grant-only apps without a sid. */
export function logoutNotices(ended: EndedSessions): { clientId: string; sid: string | undefined }[] {
  const seen = new Set<string>();
  const notices: { clientId: string; sid: string | undefined }[] = [];
  for (const { clientId, sid } of ended.sessions) {
    const key = `${clientId}\0${sid ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    notices.push({ clientId, sid });
  }
  const inSessions = new Set(ended.sessions.map((session) => session.clientId));
  for (const clientId of ended.clientIds) if (!inSessions.has(clientId)) notices.push({ clientId, sid: undefined });
  return notices;
}

export function notifyAppsOfEndedSessions({ provider, delivery, audit }: { provider: Provider; delivery: BackchannelDelivery; audit: Audit }): OnSessionsEnded {
  return async (ended) => {
    let notified = 0;
    let withBackchannel = 0;
    for (const { clientId, sid } of logoutNotices(ended)) {
      const client = (await provider.Client.find(clientId)) as unknown as LogoutClient | undefined;
      if (!client?.backchannelLogoutUri) continue;
      if (sid === undefined && client.backchannelLogoutSessionRequired) continue;
      withBackchannel += 1;
      if (await delivery.send(client, ended.accountId, sid)) notified += 1;
    }
    // Only when there was someone to tell: each post has its own logout.backchannel event too.
    if (withBackchannel > 0) audit('logout', { accountId: ended.accountId, reason: ended.why, appsWithBackchannel: withBackchannel, appsNotified: notified });
  };
}
