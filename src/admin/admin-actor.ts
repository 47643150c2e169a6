// Who made an administrative change, as its audit event names it: `via` the tool (the admin CLI,
// the admin console) and, when a person signed in to make it, that admin's account id
// (`actorAccountId`; an event's own `accountId` stays the account the change is about).
export interface AdminActor {
  readonly via: 'admin-cli' | 'admin-console';
  readonly actorAccountId?: string;
}

/** linkid-admin on a machine that can open the store: no one signed in. */
export const ADMIN_CLI: AdminActor = { via: 'admin-cli' };

/** The admin console, used by the admin signed in as `accountId`. */
export const consoleActor = (accountId: string): AdminActor => ({ via: 'admin-console', actorAccountId: accountId });
