// Who made an administrator's change, as its audit event names them. The operations in this folder
// write `via: 'admin-cli'` themselves (the shell has no identity to give); a caller that has one
// builds them with auditAs, and its fields are written last, so an operation's own `via` can never
// misname who acted. The admin API's events carry the service client's id as `actorClientId`
// (never in `clientId`, which names the app a change is about).
import type { Audit } from '../kernel/audit.js';

export type AdminActor =
  /** An operator at a shell on the store's machine: `linkid-admin`. */
  | { readonly via: 'admin-cli' }
  /** A script with a service client's token: /admin/api/. */
  | { readonly via: 'admin-api'; readonly actorClientId: string };

export const CLI_ACTOR: AdminActor = { via: 'admin-cli' };

/** `audit`, with every event naming `actor`. */
export function auditAs(audit: Audit, actor: AdminActor): Audit {
  return (event, fields) => audit(event, { ...fields, ...actor });
}
