// Deleting an account: the one way it is done, whether an operator runs `linkid-admin user delete`
// or the person presses "Delete my account" on the account page; no HTTP here. Rules:
// - disable first, so a failure half-way leaves a disabled account (it cannot sign in, its tokens
//   are refused) to delete again;
// - then end every session, grant, code and token (the apps are told by back-channel logout),
//   remove the account row, and remove every sign-in token naming its address, so a sign-in
//   started before the deletion cannot finish it (or a new account) with an old link or code;
// - the audit trail keeps its events, under the now meaningless account id, without the address;
//   no event keeps an address the account had (before a change of address too), in clear or as a
//   hash, but an address it only asked for stays in other people's events; the one hash kept is
//   of its last address, in the `user.deleted` event itself, so an operator asked "was my account
//   deleted?" can check it until that event's retention ends;
// - what stays, and why, is listed in docs/SECURITY.md (queued mail, suppressions, rate counters).
import type { Clock } from '../kernel/clock.js';
import { addressHash } from '../kernel/email-address.js';
import type { Audit } from '../kernel/audit.js';
import type { Store, User } from '../store/port.js';
import type { AccountSessions, Revoked } from './account-sessions.js';

/** Who asked: an operator with the admin CLI, or the person on their account page. */
export type DeletedVia = 'admin-cli' | 'admin-api' | 'admin-console' | 'account-page';

export interface AccountDeleted {
  readonly deleted: string;
  readonly revoked: Revoked;
  readonly auditEventsWithoutAddress: number;
  readonly loginTokensRemoved: number;
  /** Its change-email links, used or not: each names two of its addresses. */
  readonly emailChangeTokensRemoved: number;
}

export interface AccountDeletionDeps {
  readonly store: Pick<Store, 'users' | 'loginTokens' | 'emailChanges' | 'audit' | 'recoveryCodes'>;
  readonly clock: Clock;
  readonly audit: Audit;
  readonly sessions: Pick<AccountSessions, 'endAll'>;
}

/** Deletes `user`; undefined when its row was already gone (deleted by someone else meanwhile). */
/** `actorAccountId`: the admin who deleted it from the admin console. */
export type DeleteAccount = (user: User, via: DeletedVia, actorAccountId?: string) => Promise<AccountDeleted | undefined>;

export function createAccountDeletion({ store, clock, audit, sessions }: AccountDeletionDeps): DeleteAccount {
  return async (user, via, actorAccountId) => {
    if (user.disabledAt === null) await store.users.setDisabled(user.id, clock.now());
    const revoked = await sessions.endAll(user.id, 'deleted');
    // Its recovery codes go before the account: a failure between the two leaves no way back in.
    await store.recoveryCodes.deleteForAccount(user.id);
    if (!(await store.users.delete(user.id))) return undefined;
    const loginTokensRemoved = await store.loginTokens.deleteByEmail(user.email);
    const emailChangeTokensRemoved = await store.emailChanges.deleteForAccount(user.id);
    const emailHash = addressHash(user.email);
    const auditEventsWithoutAddress = await store.audit.forgetAddress({ accountId: user.id, email: user.email, emailHash });
    audit('user.deleted', {
      accountId: user.id,
      emailHash,
      via,
      by: via === 'account-page' ? 'self' : 'admin',
      ...(actorAccountId === undefined ? {} : { actorAccountId }),
      ...revoked,
      auditEventsWithoutAddress,
      loginTokensRemoved,
      emailChangeTokensRemoved,
    });
    return { deleted: user.id, revoked, auditEventsWithoutAddress, loginTokensRemoved, emailChangeTokensRemoved };
  };
}
