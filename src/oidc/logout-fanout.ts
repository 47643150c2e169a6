// Ending an account's sessions from outside a browser ("sign out everywhere", revoking sessions,
// deleting an account) must reach the apps as an RP-initiated logout does: every app signed in
// through those sessions gets a back-channel logout token (with retries), the grants the sessions
// hold are revoked with their tokens, and the sessions are destroyed. One function, so every
// caller fans out the same way. It uses oidc-provider's public models only.
import type Provider from 'oidc-provider';
import type { Audit } from '../observability/audit.js';
import type { BackchannelDelivery } from './backchannel-delivery.js';

export interface LogoutFanoutResult {
  /** Sessions of the account that were found and ended. */
  readonly sessionsEnded: number;
  /** Apps that answered their logout token at once (others are retried in the background). */
  readonly appsNotified: number;
  /** Apps of those sessions with a back-channel logout URI. */
  readonly appsWithBackchannel: number;
}

/** Ends the given sessions of an account (others' sessions are left alone) and notifies their apps. */
export type EndSessions = (accountId: string, sessionUids: readonly string[], reason: string) => Promise<LogoutFanoutResult>;

/** Grant-bound tokens of every kind linkid issues (code flow with refresh tokens). */
const GRANT_BOUND = ['AccessToken', 'RefreshToken', 'AuthorizationCode'] as const;

export function createLogoutFanout({ provider, delivery, audit }: { provider: Provider; delivery: BackchannelDelivery; audit: Audit }): EndSessions {
  const revokeGrant = async (grantId: string) => {
    await Promise.all(GRANT_BOUND.map((model) => provider[model].revokeByGrantId(grantId)));
    await (await provider.Grant.find(grantId))?.destroy();
  };

  return async (accountId, sessionUids, reason) => {
    let sessionsEnded = 0;
    let appsNotified = 0;
    let appsWithBackchannel = 0;
    for (const uid of new Set(sessionUids)) {
      const session = await provider.Session.findByUid(uid);
      if (!session || session.accountId !== accountId) continue;
      const notices: Promise<boolean>[] = [];
      for (const [clientId, authorization] of Object.entries(session.authorizations ?? {})) {
        const client = await provider.Client.find(clientId);
        if (client?.backchannelLogoutUri) {
          appsWithBackchannel += 1;
          notices.push(delivery.send(client as never, accountId, session.sidFor(clientId)));
        }
        // Unlike a person's own logout, offline access does not survive this: these callers end
        // the account's access (revoked sessions, a deleted account), refresh tokens included.
        if (authorization.grantId) await revokeGrant(authorization.grantId);
      }
      appsNotified += (await Promise.all(notices)).filter(Boolean).length;
      await session.destroy();
      sessionsEnded += 1;
    }
    audit('logout', { accountId, reason, sessionsEnded, appsWithBackchannel });
    return { sessionsEnded, appsNotified, appsWithBackchannel };
  };
}
