// What one account holds at oidc-provider (its sessions: the browsers signed in; its grants: the
// apps it allowed; the codes and tokens issued under them; and sign-ins that finished but whose
// browser has not yet gone back to the app), summed up and ended all at once. endAll is the one
// way an account-wide end goes: "Sign out everywhere", "Void these codes", a confirmed change of
// address and its undo, deletion, and `linkid-admin user revoke-sessions|disable|delete`
// (docs/SECURITY.md lists them). Rules:
// - the account's "ended at" mark (User.signInsEndedAt) is set first: a session made afterwards
//   from a sign-in that finished before it is refused (login/policy.ts sessionStands), so nothing
//   started before the end can resume into the account, even one that races with the sweep below;
// - rows are found by the account id the store keeps with each artefact, never by bearer values;
//   an interaction holding a finished login is kept with its account (oidc/held-sign-ins.ts) and
//   destroyed, so resuming it finds nothing;
// - the address-level ends (a change of address, its undo, deletion, an administrator's disable
//   or delete) also remove the sign-in links and codes of the addresses they name, unused ones
//   included, so no email sent before the end still signs anyone in;
// - sessions go first, so no browser starts a new grant through single sign-on meanwhile; then
//   grants, so a token that a refresh racing with this writes after its kind was swept names a
//   grant that is gone, and userinfo, introspection and refresh refuse it; then codes and tokens;
// - the apps the ended sessions were signed in to are read before the sessions go, and handed to
//   `onSessionsEnded`: the seam where back-channel logout is wired (not built here). A failure
//   there is logged and does not undo or fail the revocation.
import type { Logger } from '../kernel/ports.js';
import type { OidcPayload, Store } from '../store/port.js';
import type { EndedSessions, OnSessionsEnded } from '../oidc/logout-fanout.js';
import { appsSignedIn } from '../oidc/session-apps.js';

/** How many of each kind were ended. */
export interface Revoked {
  readonly sessions: number;
  readonly grants: number;
  readonly authorization_codes: number;
  readonly access_tokens: number;
  readonly refresh_tokens: number;
  /** Sign-ins that had finished but were not yet taken up by their browser. */
  readonly held_sign_ins: number;
}

export interface EndOptions {
  /** The addresses whose sign-in links and codes go too (an address-level end). */
  readonly addresses?: readonly string[];
}

/** What an account holds right now: browsers signed in and apps with a grant. */
export interface AccountActivity {
  readonly sessions: number;
  readonly clientIds: readonly string[];
}

export interface AccountSessionsDeps {
  readonly store: Store;
  readonly now: () => number;
  readonly logger: Pick<Logger, 'error'>;
  readonly onSessionsEnded?: OnSessionsEnded;
}

/** Models linkid does not enable today, swept all the same should a feature ever write them. */
const UNUSED_ACCOUNT_MODELS = ['DeviceCode', 'BackchannelAuthenticationRequest'];

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The (app, sid) pairs of one stored Session: the apps that finished a sign-in through it, not those it only passed through. */
function signedInApps(session: OidcPayload): EndedSessions['sessions'] {
  return appsSignedIn(session);
}

export function createAccountSessions({ store, now, logger, onSessionsEnded }: AccountSessionsDeps) {
  const clientIdsOf = (grants: readonly { payload: OidcPayload }[]) => [...new Set(grants.flatMap((grant) => text(grant.payload.clientId) ?? []))].sort();

  return {
    async activity(accountId: string): Promise<AccountActivity> {
      const [sessions, grants] = await Promise.all([
        store.oidc.listByAccount('Session', accountId, now()),
        store.oidc.listByAccount('Grant', accountId, now()),
      ]);
      return { sessions: sessions.length, clientIds: clientIdsOf(grants) };
    },

    /** Ends every session, grant, code, token and held sign-in of the account, then tells onSessionsEnded. */
    async endAll(accountId: string, why: EndedSessions['why'], options: EndOptions = {}): Promise<Revoked> {
      await store.users.endSignIns(accountId, now());
      const [sessions, grants] = await Promise.all([
        store.oidc.listByAccount('Session', accountId, now()),
        store.oidc.listByAccount('Grant', accountId, now()),
      ]);
      const destroy = (model: string) => store.oidc.destroyByAccount(model, accountId);
      // In this order (see the rules above): each await finishes before the next starts.
      const revoked: Revoked = {
        sessions: await destroy('Session'),
        grants: await destroy('Grant'),
        authorization_codes: await destroy('AuthorizationCode'),
        access_tokens: await destroy('AccessToken'),
        refresh_tokens: await destroy('RefreshToken'),
        held_sign_ins: await destroy('Interaction'),
      };
      for (const model of UNUSED_ACCOUNT_MODELS) await destroy(model);
      for (const address of options.addresses ?? []) await store.loginTokens.deleteByEmail(address);
      if (onSessionsEnded) {
        const ended: EndedSessions = { accountId, why, sessions: sessions.flatMap((session) => signedInApps(session.payload)), clientIds: clientIdsOf(grants) };
        try {
          await onSessionsEnded(ended);
        } catch (error) {
          logger.error({ err: error, accountId }, 'the apps could not be told that the sessions ended');
        }
      }
      return revoked;
    },

    /**
     * Takes one app's access away ("remove access" on the account page): its grants, and every
     * code and token issued to it for this account. The sessions stay signed in to linkid; the
     * app learns of it by back-channel logout for each session it was signed in through, and its
     * next sign-in asks for consent again, as the grant it pointed to is gone. Returns how many
     * grants went (0: the app had none, nothing happened).
     */
    async removeApp(accountId: string, clientId: string): Promise<number> {
      const [sessions, grants] = await Promise.all([
        store.oidc.listByAccount('Session', accountId, now()),
        store.oidc.listByAccount('Grant', accountId, now()),
      ]);
      const ofApp = (payload: OidcPayload) => payload.clientId === clientId;
      const appGrants = grants.filter((grant) => ofApp(grant.payload));
      if (appGrants.length === 0) return 0;
      // Grants first, then what was issued under them (see the rules at the top).
      for (const grant of appGrants) await store.oidc.destroy('Grant', grant.id);
      for (const model of ['AuthorizationCode', 'AccessToken', 'RefreshToken', ...UNUSED_ACCOUNT_MODELS]) {
        for (const issued of await store.oidc.listByAccount(model, accountId, now())) {
          if (ofApp(issued.payload)) await store.oidc.destroy(model, issued.id);
        }
      }
      if (onSessionsEnded) {
        const signedIn = sessions.flatMap((session) => signedInApps(session.payload)).filter((app) => app.clientId === clientId);
        try {
          await onSessionsEnded({ accountId, why: 'revoked', sessions: signedIn, clientIds: [clientId] });
        } catch (error) {
          logger.error({ err: error, accountId, clientId }, 'the app could not be told that its access was removed');
        }
      }
      return appGrants.length;
    },
  };
}

export type AccountSessions = ReturnType<typeof createAccountSessions>;
