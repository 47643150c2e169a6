// The Store port: everything linkid keeps. SQLite implements it now, MongoDB next; both must
// pass test/contract. Times are epoch milliseconds and every read takes `now` explicitly, so an
// expired row is invisible even before the purge job removes it, and tests need no sleeping.
import type { StoreFailureKind } from '../kernel/store-failure.js';

/**
 * What oidc-provider hands its adapter: an opaque JSON object per model instance. The adapter
 * gives the store digests as ids and payloads with their bearer values removed or sealed
 * (src/oidc/artefacts-at-rest.ts), so nothing a store keeps here is a live credential.
 */
export type OidcPayload = Record<string, unknown> & {
  uid?: string;
  userCode?: string;
  grantId?: string;
  /** The account an artefact belongs to (sessions, grants, codes, tokens); a random id, not a secret. */
  accountId?: string;
  consumed?: number;
};

/** An artefact as the store keeps it, with the id it is stored under (a digest, never the bearer value). */
export interface StoredOidcModel {
  readonly id: string;
  readonly payload: OidcPayload;
}

export interface OidcModelStore {
  upsert(model: string, id: string, payload: OidcPayload, expiresAt: number | null): Promise<void>;
  find(model: string, id: string, now: number): Promise<OidcPayload | undefined>;
  findByUid(model: string, uid: string, now: number): Promise<OidcPayload | undefined>;
  findByUserCode(model: string, userCode: string, now: number): Promise<OidcPayload | undefined>;
  /**
   * Marks a live, not yet consumed instance consumed (payload.consumed = epoch seconds), in one
   * conditional write; true only for the call that did it, so of any number of concurrent
   * consumes exactly one wins. False for an unknown, expired or already consumed instance.
   */
  consume(model: string, id: string, now: number): Promise<boolean>;
  /**
   * Stores an instance only if no live one has this id (an expired one is replaced), in one
   * conditional write; true only for the call that stored it, so of any number of concurrent
   * inserts of one id exactly one wins.
   */
  insertIfAbsent(model: string, id: string, payload: OidcPayload, expiresAt: number, now: number): Promise<boolean>;
  destroy(model: string, id: string): Promise<void>;
  revokeByGrantId(model: string, grantId: string): Promise<void>;
  /** Live instances of one model that belong to an account (payload.accountId), for listing its sessions and grants. */
  listByAccount(model: string, accountId: string, now: number): Promise<StoredOidcModel[]>;
  /** Removes every instance of one model that belongs to an account, expired or not; returns how many went. */
  destroyByAccount(model: string, accountId: string): Promise<number>;
}

export interface User {
  /** Stable random subject identifier; never derived from the email. */
  readonly id: string;
  readonly email: string;
  readonly createdAt: number;
  readonly lastLoginAt: number | null;
  /** When an administrator disabled the account (it cannot sign in, its tokens stop working); null while enabled. */
  readonly disabledAt: number | null;
  /**
   * When everything the account had was last ended (sign out everywhere, an undo, an administrator's
   * revoke, ...): a sign-in finished before this does not become, or stay, a session. Null: never.
   */
  readonly signInsEndedAt: number | null;
}

/** One page of accounts, ordered by address (as stored, ASCII case folded). */
export interface UserQuery {
  /** Only addresses containing this text (ASCII case folded; no wildcards). */
  readonly emailContains?: string;
  /** The cursor: only addresses after this one (the last address of the previous page). */
  readonly after?: string;
  readonly limit: number;
}

/**
 * Addresses passed to the stores are canonical (src/kernel/email-address.ts normalizeEmail). Stores
 * find rows by the address with ASCII case folded (src/store/address-key.ts) and nothing more.
 */
export interface UserStore {
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  /** Returns the user for this email, creating it with `newId` if there is none (race-safe). */
  findOrCreate(email: string, newId: string, now: number): Promise<{ user: User; created: boolean }>;
  recordLogin(id: string, now: number): Promise<void>;
  list(query: UserQuery): Promise<User[]>;
  /** Disables (a time) or enables (null) an account; false when there is no such account. */
  setDisabled(id: string, disabledAt: number | null): Promise<boolean>;
  /**
   * Marks every sign-in of the account finished before `at` as ended (signInsEndedAt). The mark only
   * moves forward: an earlier `at` leaves a later mark. False when there is no such account.
   */
  endSignIns(id: string, at: number): Promise<boolean>;
  /** Removes the account; false when there was none. */
  delete(id: string): Promise<boolean>;
  /**
   * Gives the account another address, keeping its id (`sub`). One conditional write on the unique
   * address key: `taken` when another account holds the address (even one that took it a moment
   * ago), and nothing changes; `unknown` when there is no such account.
   */
  changeEmail(id: string, newEmail: string): Promise<'changed' | 'taken' | 'unknown'>;
}

/**
 * A token of the change-email flow: `confirm` (mailed to the new address, usable only in the
 * browser that asked) or `undo` (mailed to the old address after a change, usable anywhere).
 */
export interface EmailChangeRecord {
  /** sha256(raw token), hex. The raw token is never stored. */
  readonly hash: string;
  readonly kind: 'confirm' | 'undo';
  readonly accountId: string;
  /** confirm: the address to change to; undo: the address to restore. */
  readonly email: string;
  /** undo: the address the change gave the account (named on the undo page). confirm: the address when it was asked for. */
  readonly otherEmail: string;
  /** confirm: sha256 of the browser-binding nonce; undo: null. */
  readonly bindingHash: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly usedAt: number | null;
}

/**
 * What consuming a single-use token answers, for every kind of it (login tokens, email-change
 * tokens): the token as consumed, or why not.
 */
export type ConsumeOnceOutcome<Token> =
  { readonly consumed: true; readonly token: Token } | { readonly consumed: false; readonly reason: 'token_unknown' | 'token_used' | 'token_expired' };

export type EmailChangeConsumeOutcome = ConsumeOnceOutcome<EmailChangeRecord>;

export interface EmailChangeStore {
  insert(token: EmailChangeRecord): Promise<void>;
  /** The record whatever its state (used, expired), so callers can say why it is refused. */
  findByHash(hash: string): Promise<EmailChangeRecord | undefined>;
  /** Sets usedAt only where it is null and the token has not expired, atomically: of concurrent consumes exactly one wins. */
  consume(hash: string, now: number): Promise<EmailChangeConsumeOutcome>;
  /**
   * Spends, unused, every live token of the account that an undo voids: every `confirm` token, and
   * the `undo` tokens created after `undoCreatedAt` (later changes), never an earlier undo, so
   * undoing a later change cannot take away the undo of the first. Returns how many.
   */
  voidAfterUndo(accountId: string, undoCreatedAt: number, now: number): Promise<number>;
  /** Removes every token of the account, in any state: they name its addresses in clear (account deletion). Returns how many. */
  deleteForAccount(accountId: string): Promise<number>;
}

export interface LoginTokenRecord {
  /** sha256(raw token), hex. The raw token is never stored. */
  readonly hash: string;
  readonly email: string;
  readonly interactionUid: string;
  readonly clientId: string;
  /** sha256 of the browser-binding nonce held in an HttpOnly cookie. */
  readonly bindingHash: string;
  /** HMAC of the one-time code with the server secret. */
  readonly codeHmac: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly usedAt: number | null;
  /** Code attempts made so far (each reserved before the code is compared). */
  readonly codeAttempts: number;
  /**
   * Approval from another browser (login/steps/approve-elsewhere.ts): when someone who opened the
   * link elsewhere first asked to approve it, when the right number consumed it there, and when
   * the browser that started the sign-in finished it. Null until each happens.
   */
  readonly approvalRequestedAt: number | null;
  readonly approvedAt: number | null;
  readonly approvalFinishedAt: number | null;
}

export type ConsumeOutcome = ConsumeOnceOutcome<LoginTokenRecord>;

export interface LoginTokenStore {
  insert(token: LoginTokenRecord): Promise<void>;
  /** The record whatever its state (used, expired), so callers can say why it is refused. */
  findByHash(hash: string): Promise<LoginTokenRecord | undefined>;
  /** Sets usedAt only where it is null and the token has not expired, atomically. */
  consume(hash: string, now: number): Promise<ConsumeOutcome>;
  /** Unused, unexpired tokens of one interaction, newest first (at most 10). */
  listPending(interactionUid: string, now: number): Promise<LoginTokenRecord[]>;
  /**
   * Marks an unused, unexpired token as asked to be approved from another browser; a second ask
   * keeps the first time. Returns the token as it now stands (whatever its state), or undefined.
   */
  requestApproval(hash: string, now: number): Promise<LoginTokenRecord | undefined>;
  /** consume, for a token asked to be approved, that also sets approvedAt: exactly one of any number of approvals wins. */
  approve(hash: string, now: number): Promise<ConsumeOutcome>;
  /** The tokens of one interaction someone asked to approve, newest first (at most 10), whatever their state. */
  listApprovals(interactionUid: string): Promise<LoginTokenRecord[]>;
  /** Sets approvalFinishedAt on an approved, unexpired token where it is null, atomically: true for the one winner. */
  claimApproval(hash: string, now: number): Promise<boolean>;
  /**
   * Takes one code attempt if the token is unused, unexpired and has made fewer than
   * `maxAttempts`; atomic, so concurrent guesses can never exceed the limit.
   */
  reserveCodeAttempt(hash: string, maxAttempts: number, now: number): Promise<boolean>;
  /** How many links are unused and unexpired (the linkid_login_tokens_pending gauge). */
  countPending(now: number): Promise<number>;
  /**
   * A deleted account's address leaves the sign-in rows: every token naming it (pending, used or
   * expired) is removed, so a sign-in started before the deletion cannot finish. Returns how many went.
   */
  deleteByEmail(email: string): Promise<number>;
}

export interface ClientRecord {
  readonly clientId: string;
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  /** Public clients (SPAs, native apps) have no secret and authenticate with PKCE alone. */
  readonly isPublic: boolean;
  /** First-party clients skip the consent page. */
  readonly firstParty: boolean;
  /** Random salt the client secret is derived from with the server secret; not a secret itself. */
  readonly secretSalt: string | null;
  /**
   * Further standard client metadata (RFC 7591 / OpenID Connect Dynamic Client Registration names,
   * such as `token_endpoint_auth_method` or `logo_uri`), handed to oidc-provider, which validates it.
   */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** linkid's own per-app settings (policy, branding), a JSON object read by the modules that apply them. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What `client update` may change; the id, secret salt and creation time never change this way. */
export type ClientChanges = Partial<Pick<ClientRecord, 'name' | 'redirectUris' | 'postLogoutRedirectUris' | 'firstParty' | 'metadata' | 'settings'>>;

export interface ClientStore {
  /** Throws DuplicateError if the id exists. */
  create(client: ClientRecord): Promise<void>;
  find(clientId: string): Promise<ClientRecord | undefined>;
  list(): Promise<ClientRecord[]>;
  /** Returns false when there was no such client. */
  delete(clientId: string): Promise<boolean>;
  /** Returns false when there was no such client. */
  setSecretSalt(clientId: string, secretSalt: string, now: number): Promise<boolean>;
  /** Replaces the given fields (whole values, not merged) and updatedAt; false when there was no such client. */
  update(clientId: string, changes: ClientChanges, now: number): Promise<boolean>;
}

/** One scope of an API, with the plain words the consent page shows for it. */
export interface ResourceScope {
  readonly name: string;
  readonly description: string;
}

/**
 * An API that apps get access tokens for (RFC 8707 resource indicators; src/admin/resources.ts).
 * Its tokens carry `identifier` as their audience and live `accessTokenTtlSeconds`.
 */
export interface ResourceRecord {
  /** A short random id to name it by on the command line; not a secret. */
  readonly id: string;
  /** The resource indicator apps send as `resource=` (an absolute https URI); unique. */
  readonly identifier: string;
  readonly scopes: readonly ResourceScope[];
  readonly accessTokenTtlSeconds: number;
  /** The client the API introspects its tokens with (`resource create --introspect`), or null. */
  readonly introspectionClientId: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What `resource update` may change; the id, identifier and creation time never change. */
export type ResourceChanges = Partial<Pick<ResourceRecord, 'scopes' | 'accessTokenTtlSeconds' | 'introspectionClientId'>>;

export interface ResourceStore {
  /** Throws DuplicateError if the id or the identifier exists. */
  create(resource: ResourceRecord): Promise<void>;
  find(id: string): Promise<ResourceRecord | undefined>;
  findByIdentifier(identifier: string): Promise<ResourceRecord | undefined>;
  /** Every resource, oldest first. */
  list(): Promise<ResourceRecord[]>;
  /** Replaces the given fields and updatedAt; false when there was no such resource. */
  update(id: string, changes: ResourceChanges, now: number): Promise<boolean>;
  /** Returns false when there was no such resource. */
  delete(id: string): Promise<boolean>;
}

/**
 * An initial access token for RFC 7591 dynamic registration (src/admin/registration-tokens.ts).
 * The token itself is never stored: `digest` is an HMAC of it under a key derived from the server
 * secret, so a copy of the database cannot register anything.
 */
export interface RegistrationTokenRecord {
  /** A short public id to list and revoke it by; not a secret. */
  readonly id: string;
  readonly digest: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** How many registrations it admits in all. */
  readonly uses: number;
  /** How many it has admitted so far. */
  readonly used: number;
  readonly revokedAt: number | null;
}

export interface RegistrationTokenStore {
  insert(token: RegistrationTokenRecord): Promise<void>;
  /** The live token with this digest: not expired, not revoked, with a use left. */
  findLive(digest: string, now: number): Promise<RegistrationTokenRecord | undefined>;
  /**
   * Spends one use of a live token in one conditional write and returns it as it is after that;
   * undefined when there was none to spend. Of any number of concurrent spends of a token with N
   * uses left, exactly N succeed.
   */
  spend(digest: string, now: number): Promise<RegistrationTokenRecord | undefined>;
  /** Every stored token (expired ones until they are purged), newest first. */
  list(): Promise<RegistrationTokenRecord[]>;
  /** Returns false when there was no such token, or it was already revoked. */
  revoke(id: string, now: number): Promise<boolean>;
}

/**
 * A sign-in email the form has promised ("check your email") and not yet queued: the email form's
 * intent, stored before its answer (src/login/link-requests.ts). What the email needs (address,
 * IP, browser, sign-in) is sealed, so nothing in it is readable from the store alone. It lives
 * seconds: the work after the answer deletes it once the email is queued; if the process dies
 * first, a recovery sweep claims it once its lease has run out and does that work.
 */
export interface LinkRequestRecord {
  /** Random; also the id of the email it leads to, so doing the work twice queues one email. */
  readonly id: string;
  /** The delivery, sealed (AES-256-GCM, bound to the id). */
  readonly sealed: string;
  readonly createdAt: number;
  /** After this the email would be useless (its link would have expired): never claimed, purged. */
  readonly expiresAt: number;
  /** Who does the work now: the process that answered, until the grace runs out; then a sweep's. */
  readonly leaseOwner: string | null;
  readonly leaseUntil: number;
}

export interface LinkRequestStore {
  insert(request: LinkRequestRecord): Promise<void>;
  /**
   * Leases up to `limit` unexpired requests whose lease has run out (those whose lease ran out
   * first), for `leaseMs`, in no promised order; each claim is atomic, so of any number of
   * concurrent claimers exactly one gets a request.
   */
  claim(owner: string, now: number, leaseMs: number, limit: number): Promise<LinkRequestRecord[]>;
  /** Removes it (its email is queued); false when it was already gone. */
  delete(id: string): Promise<boolean>;
}

/** A rate-limit rule, kept in the active store so every instance counts together. */
export interface RateLimitRule {
  /** Namespaces the counters: one prefix per rule. */
  readonly keyPrefix: string;
  readonly points: number;
  readonly durationSeconds: number;
  /** Once the points are spent, refuse for this long (default: until the window ends). */
  readonly blockDurationSeconds?: number;
}

export type RateLimitOutcome = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/** linkid's own small rate-limiter port: rate-limiter-flexible on MongoDB, prepared statements on SQLite. */
export interface RateLimiter {
  /** Takes one point for `key`; refused once the rule's points are spent in its window. */
  consume(key: string): Promise<RateLimitOutcome>;
  /** Gives one point back (a refused request must cost nothing). */
  reward(key: string): Promise<void>;
  /** What consume would answer, without taking a point. */
  peek(key: string): Promise<RateLimitOutcome>;
}

export type MailStatus = 'queued' | 'sent' | 'delivered' | 'failed' | 'suppressed';

/** A message in the durable send queue. Its content is sealed (encrypted) and dropped once sent. */
export interface QueuedMail {
  readonly id: string;
  readonly to: string;
  readonly tag: string;
  /** The sign-in this message belongs to, and the browser that asked, for the status page. */
  readonly interactionUid: string | null;
  readonly bindingHash: string | null;
  readonly requestId: string | null;
  /** Encrypted subject, text and html; null once the message is sent or given up. */
  readonly sealed: string | null;
  readonly status: MailStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly leaseUntil: number | null;
  readonly giveUpAt: number;
  readonly lastError: string | null;
  readonly providerMessageId: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface MailQueueStore {
  /**
   * Stores a message; false (and nothing changes) when a message with its id is already stored, so
   * work that is done again after a crash (src/login/link-requests.ts) queues its email once.
   */
  enqueue(mail: QueuedMail): Promise<boolean>;
  /**
   * Leases up to `limit` queued messages that are due and not leased (or whose lease ran out), for
   * `leaseMs`, oldest due first; each claim is atomic, so two workers never hold the same message.
   * Increments each one's attempts. Empty when none is due.
   */
  claimBatch(owner: string, now: number, leaseMs: number, limit: number): Promise<QueuedMail[]>;
  /** Records the outcome of a leased message; ignored unless `owner` still holds the lease. */
  complete(id: string, owner: string, outcome: MailOutcome, now: number): Promise<boolean>;
  /** The newest message of one sign-in for one browser. */
  latestFor(interactionUid: string, bindingHash: string): Promise<QueuedMail | undefined>;
  /**
   * A provider's delivery report: sent becomes delivered, or failed/suppressed on a bounce.
   * Undefined when no sent message has this id; otherwise when it was sent, if it was still
   * waiting for its first report (null after one), for the sent-to-delivered latency.
   */
  recordDelivery(
    providerMessageId: string,
    status: 'delivered' | 'failed' | 'suppressed',
    detail: string | null,
    now: number,
  ): Promise<{ readonly sentAt: number | null } | undefined>;
  /** Messages waiting to be sent, and when the oldest of them was queued (gauges and alerts). */
  queued(): Promise<{ readonly count: number; readonly oldestCreatedAt: number | null }>;
  /**
   * The queue at a glance (the admin console's Mail page): how many messages are in each state,
   * and the `recentLimit` that most recently failed or were suppressed (given up, refused, or
   * bounced after sending), newest first.
   */
  summary(recentLimit: number): Promise<MailQueueSummary>;
  /** Removes finished messages older than `before`; returns how many. */
  purgeFinished(before: number, batchSize: number): Promise<number>;
}

export interface MailQueueSummary {
  readonly counts: Readonly<Record<MailStatus, number>>;
  readonly recentFailures: readonly QueuedMail[];
}

export type MailOutcome =
  | { readonly status: 'sent'; readonly providerMessageId: string }
  | { readonly status: 'failed' | 'suppressed'; readonly error: string }
  | { readonly status: 'retry'; readonly nextAttemptAt: number; readonly error: string };

export interface Suppression {
  /** The address as its key is stored (canonical, lower-case). */
  readonly email: string;
  readonly reason: string;
  readonly createdAt: number;
}

export interface SuppressionStore {
  /** Stops mail to an address (hard bounce, spam complaint, inactive recipient). Idempotent. */
  suppress(email: string, reason: string, now: number): Promise<void>;
  /** The reason, if mail to this address is suppressed. */
  reasonFor(email: string): Promise<string | undefined>;
  /** Every suppression, ordered by address. */
  list(): Promise<Suppression[]>;
  /** Mails this address again; false when it was not suppressed. */
  lift(email: string): Promise<boolean>;
}

/**
 * An account's recovery codes (the way back in for someone who lost their inbox), kept only as
 * HMACs with the server secret (src/account/recovery-codes.ts makes them, src/login/steps/redeem-recovery-code.ts redeems them); the store never sees a code.
 * One set per account: generating again voids the old one.
 */
export interface RecoveryCodeStore {
  /** Voids the account's current set (used codes included) and stores `digests` as its new, unused set, in one atomic step. */
  replaceSet(accountId: string, digests: readonly string[], now: number): Promise<void>;
  /**
   * Marks the account's unused code with this digest used, in one conditional write; true only
   * for the call that did it, so of any number of concurrent consumes exactly one wins. False
   * for a digest the account does not hold, one already used, or one of a voided set.
   */
  consume(accountId: string, digest: string, now: number): Promise<boolean>;
  /** How many codes of the account's current set are still unused. */
  countUnused(accountId: string): Promise<number>;
  /**
   * Removes the account's whole set (used codes included) in one write: the account is deleted,
   * an undo of a change of address voids its codes, or the person voids them on the account page.
   * Returns how many went: of concurrent calls, the ones after the first remove nothing.
   */
  deleteForAccount(accountId: string): Promise<number>;
}

/** One stored audit event (src/observability/audit-trail.ts builds it): identifiers, never secrets. */
export interface AuditRecord {
  readonly at: number;
  readonly event: string;
  readonly requestId: string | null;
  readonly interactionUid: string | null;
  readonly clientId: string | null;
  readonly accountId: string | null;
  /** Canonical address (personal data, kept for the retention period only). */
  readonly email: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** A refusal's reason code. */
  readonly reason: string | null;
  readonly providerMessageId: string | null;
  /** The sign-in policy and email template versions in force when it happened. */
  readonly versions: Readonly<Record<string, string>>;
  /** The event's other fields (outcome, binding, timings, attempts). */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly expiresAt: number;
}

/** Every given filter must match; `since` is inclusive, `until` exclusive. */
export interface AuditQuery {
  readonly requestId?: string;
  readonly interactionUid?: string;
  readonly clientId?: string;
  readonly accountId?: string;
  readonly email?: string;
  readonly reason?: string;
  readonly providerMessageId?: string;
  readonly since?: number;
  readonly until?: number;
  readonly limit?: number;
}

export interface AuditStore {
  /**
   * Appends events in the order given, in one write: the trail hands over every event of a turn
   * of the event loop at once, rather than paying one commit (and its index pages) per event.
   * SQLite writes all or none; MongoDB, without a transaction, may keep those before a failure.
   */
  append(records: readonly AuditRecord[]): Promise<void>;
  /** Unexpired events matching the query, oldest first (ties in the order appended). */
  search(query: AuditQuery, now: number): Promise<AuditRecord[]>;
  /**
   * A deleted account's addresses leave the trail: every event of the account loses its address
   * (`email`), and so does every event naming an address the account held: `email` (its address
   * now) or either side of one of its changes of address, found in clear in its own events and in
   * the events of its change-email requests, and held only if its hash is one of those
   * (src/store/address-hashes.ts); the account's events lose every address hash they carry
   * (`emailHash`, `previousEmailHash`, `undoneEmailHash`); and every other event loses those
   * fields where they hold the hash of an address the account held. An address it only asked
   * for stays in other events. The events themselves stay. Returns how many events changed.
   */
  forgetAddress(person: { readonly accountId: string; readonly email: string; readonly emailHash: string }): Promise<number>;
}

export interface Store {
  readonly kind: 'sqlite' | 'mongodb';
  /** The version of the data layout, as /version and linkid_build_info report it (`sqlite:5`). */
  readonly schemaVersion: string;
  /** The replayable audit trail; purgeExpired drops events past their retention. */
  readonly audit: AuditStore;
  readonly mailQueue: MailQueueStore;
  readonly suppressions: SuppressionStore;
  readonly oidc: OidcModelStore;
  readonly users: UserStore;
  readonly loginTokens: LoginTokenStore;
  /** The change-email flow's confirm and undo tokens. */
  readonly emailChanges: EmailChangeStore;
  readonly clients: ClientStore;
  readonly recoveryCodes: RecoveryCodeStore;
  /** Initial access tokens for dynamic client registration; purgeExpired drops expired ones. */
  readonly registrationTokens: RegistrationTokenStore;
  /** Sign-in emails promised and not yet queued; purgeExpired drops expired ones. */
  readonly linkRequests: LinkRequestStore;
  /** The APIs apps get audience-bound access tokens for (RFC 8707). */
  readonly resources: ResourceStore;
  /** A rate limiter counting in this store, so every instance of a cluster counts together. */
  createRateLimiter(rule: RateLimitRule): RateLimiter;
  /**
   * Whether an error means this store cannot serve right now (answer 503, fail readiness) rather
   * than a bug (500), and why: full, read-only, failing I/O, busy, unreachable. Undefined for any
   * other error. Decided by the driver's codes and names, never by message text.
   */
  failureKind(error: unknown): StoreFailureKind | undefined;
  /**
   * Whether writes can work now, asked without writing anything: a kind when they cannot (SQLite:
   * DATA_DIR's file system has less free space than its reserve, or is read-only), undefined when
   * nothing says so (MongoDB cannot tell without a write: its failed writes tell instead).
   */
  writeCheck(): StoreFailureKind | undefined;
  /** Deletes at most `batchSize` expired rows of each kind; returns how many went. */
  purgeExpired(now: number, batchSize: number): Promise<number>;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class DuplicateError extends Error {
  constructor(what: string) {
    super(`${what} already exists`);
    this.name = 'DuplicateError';
  }
}

/** The store could not be opened at start: a line for the operator, not a stack trace. */
export class StoreConnectionError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'StoreConnectionError';
  }
}
