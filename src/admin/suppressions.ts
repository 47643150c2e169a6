// Listing and lifting suppressions by hand, for the admin CLI; no HTTP here. Bounce webhooks and
// the send queue add suppressions; only a person takes one away, for example once a mailbox that
// bounced as full or unknown works again. The address is made canonical as on the sign-in form,
// so it can be typed the way the person types it, and the lift is audited without the address in
// clear.
import { addressHash, normalizeEmail } from '../kernel/email-address.js';
import type { Audit } from '../kernel/audit.js';
import type { Store } from '../store/port.js';
import { ADMIN_CLI, type AdminActor } from './admin-actor.js';
import { AdminError } from './admin-error.js';

export interface SuppressionView {
  email: string;
  reason: string;
  suppressed_at: string;
}

export interface SuppressionAdminDeps {
  readonly store: Store;
  readonly audit: Audit;
}

export function createSuppressionAdmin({ store, audit }: SuppressionAdminDeps) {
  return {
    async list(): Promise<SuppressionView[]> {
      return (await store.suppressions.list()).map((entry) => ({
        email: entry.email,
        reason: entry.reason,
        suppressed_at: new Date(entry.createdAt).toISOString(),
      }));
    },

    async lift(typed: string, actor: AdminActor = ADMIN_CLI): Promise<{ lifted: string; reason: string }> {
      const email = normalizeEmail(typed);
      // JSON-quoted, so whatever was typed (a line break included) stays on one line of stderr.
      if (!email) throw new AdminError('invalid_argument', `not an address linkid would mail: ${JSON.stringify(typed)}`);
      const reason = await store.suppressions.reasonFor(email);
      if (reason === undefined || !(await store.suppressions.lift(email))) throw new AdminError('not_found', `no suppression for ${email}`);
      // The same hash the rate limits key addresses by: events about one address can be matched up.
      audit('suppression.lifted', { emailHash: addressHash(email), reason, ...actor });
      return { lifted: email, reason };
    },
  };
}

export type SuppressionAdmin = ReturnType<typeof createSuppressionAdmin>;
