// Who made an administrator's change, as its audit event names them: `via` the tool, and who used
// it. The admin console names the admin signed in as `actorAccountId`, the admin API its service
// client as `actorClientId` (never `accountId` or `clientId`, which name what a change is about);
// the CLI has no identity to give. Two ways to hand it over, for two kinds of caller:
// - an operation takes the actor as its last argument (the console, one admin per request);
// - auditAs wraps the audit sink so every event of a whole set of operations names the actor,
//   written last so nothing an operation adds can misname who acted (services.adminAs, the API).
import type { Audit } from '../kernel/audit.js';

export type AdminActor =
  /** An operator at a shell on the store's machine: `linkid-admin`. */
  | { readonly via: 'admin-cli'; readonly actorAccountId?: undefined }
  /** A script with a service client's token: /admin/api/. */
  | { readonly via: 'admin-api'; readonly actorClientId: string; readonly actorAccountId?: undefined }
  /** An admin signed in to /admin. */
  | { readonly via: 'admin-console'; readonly actorAccountId: string };

/** linkid-admin on a machine that can open the store: no one signed in. */
export const ADMIN_CLI: AdminActor = { via: 'admin-cli' };

/** The admin console, used by the admin signed in as `accountId`. */
export const consoleActor = (accountId: string): AdminActor => ({ via: 'admin-console', actorAccountId: accountId });

/** `audit`, with every event naming `actor`. */
export function auditAs(audit: Audit, actor: AdminActor): Audit {
  return (event, fields) => audit(event, { ...fields, ...actor });
}
