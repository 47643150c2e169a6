// Administering accounts by hand, for the admin CLI's `user` group; no HTTP here. An account is
// named by its address (made canonical as on the sign-in form, so it can be typed the way the
// person types it) or by its sub. Rules:
// - disable first marks the account, then ends what it holds: from the mark on, sign-in is
//   refused (account_disabled) and oidc-provider no longer finds the account (src/oidc/account.ts),
//   so nothing issued in between outlives it, and voids its recovery codes (a compromised
//   account's intruder may hold some); enable only lifts the mark, and what was ended stays ended:
//   the person signs in again and makes new codes;
// - revoke-sessions is "Sign out everywhere": it keeps the recovery codes, the owner's backup;
// - delete is src/account/delete-account.ts, the same deletion the account page does (it disables
//   first, ends everything, removes the account, its recovery codes, its sign-in tokens and its address from the audit
//   trail; the events stay, with the account id);
// - every change is audited with the account id and a hash of the address, never the address.
import type { AccountSessions, Revoked } from '../account/account-sessions.js';
import { createAccountDeletion } from '../account/delete-account.js';
import type { Clock } from '../kernel/clock.js';
import { addressHash, normalizeEmail } from '../kernel/email-address.js';
import type { Audit } from '../kernel/audit.js';
import type { Store, User } from '../store/port.js';
import type { AppSubjects } from '../oidc/configuration/pairwise.js';
import { ADMIN_CLI, type AdminActor } from './admin-actor.js';
import { AdminError } from './admin-error.js';

export interface UserView {
  sub: string;
  email: string;
  created_at: string;
  last_login_at: string | null;
  disabled_at: string | null;
}

/** The app a person was looked up for, and the `sub` it knows them by. */
export interface AppSubjectView {
  client_id: string;
  subject_type: 'public' | 'pairwise';
  sub: string;
}

export interface UserListFilters {
  readonly emailContains?: string;
  /** The last address of the previous page. */
  readonly after?: string;
  readonly limit?: string;
}

export interface UserAdminDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: Audit;
  readonly sessions: AccountSessions;
  /** How an app names accounts (its `sub`: the account id, or a pairwise one); undefined for no such app. */
  readonly appSubjects: (clientId: string) => Promise<AppSubjects | undefined>;
}

/** How many accounts one store read fetches while a list streams out. */
const PAGE_SIZE = 500;

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

const view = (user: User): UserView => ({
  sub: user.id,
  email: user.email,
  created_at: new Date(user.createdAt).toISOString(),
  last_login_at: iso(user.lastLoginAt),
  disabled_at: iso(user.disabledAt),
});

function listLimit(typed: string | undefined): number {
  if (typed === undefined) return Number.POSITIVE_INFINITY;
  if (!/^[1-9]\d{0,6}$/.test(typed)) throw new AdminError('invalid_argument', `--limit must be a whole number from 1 to 9999999: ${JSON.stringify(typed)}`);
  return Number(typed);
}

function emailPart(typed: string | undefined): string | undefined {
  if (typed === undefined) return undefined;
  const part = typed.trim();
  if (part === '') throw new AdminError('invalid_argument', '--email-contains needs some text');
  // Addresses are kept canonical: ASCII local part, IDNA domain. A non-ASCII part can match nothing.
  if (!/^[\x21-\x7e]+$/.test(part)) {
    throw new AdminError(
      'invalid_argument',
      `--email-contains takes ASCII text; domains are kept in IDNA form (bücher.example is xn--bcher-kva.example): ${JSON.stringify(typed)}`,
    );
  }
  return part;
}

export function createUserAdmin({ store, clock, audit, sessions, appSubjects }: UserAdminDeps) {
  /** An address (it has an @, which no sub has) or a sub. */
  const mustFind = async (who: string): Promise<User> => {
    if (who.includes('@')) {
      const email = normalizeEmail(who);
      // JSON-quoted, so whatever was typed (a line break included) stays on one line of stderr.
      if (!email) throw new AdminError('invalid_argument', `not an address linkid would mail: ${JSON.stringify(who)}`);
      const user = await store.users.findByEmail(email);
      if (!user) throw new AdminError('not_found', `no account for ${email}`);
      return user;
    }
    const user = who === '' ? undefined : await store.users.findById(who);
    if (!user) throw new AdminError('not_found', `no account with sub ${JSON.stringify(who)}`);
    return user;
  };

  /** The account an app knows by `sub`: its id (a public app, or an account id given), else the pairwise `sub` derived from each. */
  const findBySubject = async (sub: string, subjects: AppSubjects): Promise<User | undefined> => {
    const byId = await store.users.findById(sub);
    if (byId || subjects.subjectType === 'public') return byId;
    for (let after: string | undefined; ;) {
      const page = await store.users.list({ after, limit: PAGE_SIZE });
      const found = page.find((user) => subjects.subjectOf(user.id) === sub);
      if (found) return found;
      const last = page.at(-1);
      if (!last || page.length < PAGE_SIZE) return undefined;
      after = last.email;
    }
  };

  const deleteAccount = createAccountDeletion({ store, clock, audit, sessions });
  const about = (user: User, actor: AdminActor) => ({ accountId: user.id, emailHash: addressHash(user.email), ...actor });

  return {
    /** Accounts ordered by address, read a page at a time as they are printed. */
    list(filters: UserListFilters): AsyncIterable<UserView> {
      const limit = listLimit(filters.limit);
      const emailContains = emailPart(filters.emailContains);
      return (async function* pages() {
        let after = filters.after;
        let left = limit;
        while (left > 0) {
          const page = await store.users.list({ emailContains, after, limit: Math.min(left, PAGE_SIZE) });
          for (const user of page) yield view(user);
          const last = page.at(-1);
          if (!last || page.length < Math.min(left, PAGE_SIZE)) return;
          left -= page.length;
          after = last.email;
        }
      })();
    },

    async show(who: string): Promise<UserView & { sessions: number; apps: string[] }> {
      const user = await mustFind(who);
      const activity = await sessions.activity(user.id);
      return { ...view(user), sessions: activity.sessions, apps: [...activity.clientIds] };
    },

    /**
     * One account as `show` shows it, found by the `sub` an app knows it by (or by its address or
     * account id), with that `sub`. A pairwise `sub` is an HMAC: it is found by deriving each
     * account's in turn, a page at a time (the HMACs alone about 3.4 s per million accounts, on one core of the test machine).
     */
    async showForApp(who: string, clientId: string): Promise<UserView & { sessions: number; apps: string[]; app: AppSubjectView }> {
      const subjects = await appSubjects(clientId).catch((error: unknown) => {
        throw new AdminError('invalid_argument', `client ${clientId} cannot be loaded: ${(error as Error).message}`);
      });
      if (!subjects) throw new AdminError('not_found', `no client with id ${clientId}`);
      const user = who.includes('@') || who === '' ? await mustFind(who) : await findBySubject(who, subjects);
      if (!user) throw new AdminError('not_found', `no account has sub ${JSON.stringify(who)} in client ${clientId}`);
      const activity = await sessions.activity(user.id);
      return {
        ...view(user),
        sessions: activity.sessions,
        apps: [...activity.clientIds],
        app: { client_id: clientId, subject_type: subjects.subjectType, sub: subjects.subjectOf(user.id) },
      };
    },

    async disable(who: string, actor: AdminActor = ADMIN_CLI): Promise<UserView & { revoked: Revoked }> {
      const user = await mustFind(who);
      const disabledAt = user.disabledAt ?? clock.now();
      if (user.disabledAt === null && !(await store.users.setDisabled(user.id, disabledAt)))
        throw new AdminError('not_found', `no account with sub ${user.id}`);
      // Ended again even when it was disabled already: whatever a race left behind goes too.
      const revoked = await sessions.endAll(user.id, 'disabled', { addresses: [user.email] });
      // Disabling answers a compromised account: a recovery code its intruder made or kept must not
      // outlive it, or `enable` would hand the intruder the account back.
      const recoveryCodesVoided = await store.recoveryCodes.deleteForAccount(user.id);
      audit('user.disabled', { ...about(user, actor), alreadyDisabled: user.disabledAt !== null, ...revoked, recoveryCodesVoided });
      return { ...view({ ...user, disabledAt }), revoked };
    },

    async enable(who: string, actor: AdminActor = ADMIN_CLI): Promise<UserView> {
      const user = await mustFind(who);
      if (user.disabledAt !== null && !(await store.users.setDisabled(user.id, null))) throw new AdminError('not_found', `no account with sub ${user.id}`);
      audit('user.enabled', { ...about(user, actor), wasDisabled: user.disabledAt !== null });
      return view({ ...user, disabledAt: null });
    },

    async revokeSessions(who: string, actor: AdminActor = ADMIN_CLI): Promise<{ sub: string; revoked: Revoked }> {
      const user = await mustFind(who);
      const revoked = await sessions.endAll(user.id, 'revoked');
      audit('user.sessions_revoked', { ...about(user, actor), ...revoked });
      return { sub: user.id, revoked };
    },

    async delete(who: string, actor: AdminActor = ADMIN_CLI): Promise<{ deleted: string; revoked: Revoked; audit_events_without_address: number }> {
      const user = await mustFind(who);
      const deleted = await deleteAccount(user, actor.via, actor.actorAccountId);
      if (!deleted) throw new AdminError('not_found', `no account with sub ${user.id}`);
      return { deleted: deleted.deleted, revoked: deleted.revoked, audit_events_without_address: deleted.auditEventsWithoutAddress };
    },
  };
}

export type UserAdmin = ReturnType<typeof createUserAdmin>;
