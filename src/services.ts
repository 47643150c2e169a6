// The composition root: every service of linkid, built once from the configuration and a store.
// The server (src/cluster/serve.ts, then src/http/app.ts mounts routes on these), the admin CLI
// (src/cli/linkid-admin.ts) and the tests (test/support/linkid.ts) all build them here; they differ
// only in the dependencies they hand in: the clock, the mail transport, the store, where logs go,
// how often a back-channel logout is retried, and whether the engine's own pages can be rendered.
// Nothing here listens or starts a timer: the edges start what they run (the send queue, the
// purge job).
import type Provider from 'oidc-provider';
import type { Config } from './config/env.js';
import { createAccountDeletion } from './account/delete-account.js';
import { createAccountSessions } from './account/account-sessions.js';
import { createEmailChange } from './account/email-change.js';
import { createRecoveryCodes } from './account/recovery-codes.js';
import { auditAs, type AdminActor } from './admin/admin-actor.js';
import { createAuditAdmin } from './admin/audit.js';
import { createClientRegistration } from './admin/client-registration.js';
import { createClientAdmin, newClientId } from './admin/clients.js';
import { createRegistrationTokenAdmin } from './admin/registration-tokens.js';
import { createResourceAdmin } from './admin/resources.js';
import { createKeyAdmin } from './admin/keys.js';
import { createSuppressionAdmin } from './admin/suppressions.js';
import { createUserAdmin } from './admin/users.js';
import { createCatalog } from './i18n/catalog.js';
import type { PageDeps } from './i18n/pages.js';
import { createTemplates, type Templates } from './i18n/templates.js';
import type { Clock } from './kernel/clock.js';
import { createOffRequest } from './kernel/off-request.js';
import type { Logger } from './kernel/ports.js';
import { RATE_LIMIT_NAMES } from './kernel/rate-limits.js';
import { createAppDirectory } from './login/app-policy.js';
import { createRateLimits } from './login/rate-limits.js';
import { createLinkRequests } from './login/link-requests.js';
import { createSignIn } from './login/sign-in.js';
import type { SignInDeps } from './login/steps/step-kit.js';
import { createDeliveryReports } from './mail/delivery-reports.js';
import { createEmailChangeEmail } from './mail/email-change-email.js';
import { createMagicLinkEmail } from './mail/magic-link-email.js';
import type { MailTransport } from './mail/mail-transport.js';
import { createMessageSeal } from './mail/sealed-message.js';
import { createSecurityNoticeEmail } from './mail/security-notice-email.js';
import { createSendQueue, type SendQueueOptions } from './mail/send-queue.js';
import { createAudit } from './observability/audit.js';
import { createAuditTrail } from './observability/audit-trail.js';
import { createMetrics } from './observability/metrics.js';
import { createStoreHealth } from './observability/store-health.js';
import { readVersions } from './observability/versions.js';
import { versionsInForce } from './observability/versions-in-force.js';
import { accountApp } from './oidc/account-client.js';
import { createBackchannelDelivery } from './oidc/backchannel-delivery.js';
import type { RenderPage, RenderReason } from './oidc/configuration/pages.js';
import { notifyAppsOfEndedSessions } from './oidc/logout-fanout.js';
import { createProvider } from './oidc/provider.js';
import { appSubjectsFinder, withSectorDocumentCheck } from './oidc/configuration/pairwise.js';
import { createSigningKeys } from './oidc/signing-keys.js';
import { auditProviderEvents } from './oidc/provider-audit.js';
import { createSignInStates } from './oidc/sign-in-state.js';
import { createTokenPolicy } from './oidc/token-policy.js';
import type { Secrets } from './secrets/key-files.js';
import type { Store } from './store/port.js';
import { watchStore } from './store/watched-store.js';
import { keepClientReads } from './store/request-reads.js';
import { watchTransport } from './mail/watched-transport.js';

export interface ServiceDeps {
  readonly store: Store;
  readonly transport: MailTransport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly secrets: Secrets;
  readonly templates?: Templates;
  /** Send-queue tuning for tests; production uses the defaults. */
  readonly sendQueueOptions?: Pick<SendQueueOptions, 'baseDelayMs' | 'maxDelayMs' | 'leaseMs'>;
  /**
   * Waits between back-channel logout retries. The CLI gives none (one attempt: its process ends
   * with the command, so there is nowhere to keep retries); tests give short ones.
   */
  readonly backchannelRetryDelaysMs?: readonly number[];
  /** The renderer of oidc-provider's own pages (errors, logout), made from the pages' set-up; a server has one (src/http/render.ts), the CLI none. */
  readonly renderPages?: (pages: PageDeps) => RenderPage;
  /** The renderer of the reason pages the engine's device flow refuses with (src/http/errors.ts); the CLI has none. */
  readonly renderReasons?: (pages: PageDeps) => RenderReason;
}

export function createServices(config: Config, deps: ServiceDeps) {
  const { clock, logger, secrets } = deps;
  // Whether the store takes writes: every store failure, wherever it happens, is told to one place
  // and counted (linkid_store_errors_total); work for after a response is refused while writes fail.
  const storeHealth = createStoreHealth({ store: deps.store, logger, count: (kind) => metrics.countStoreError(kind) });
  const watched = watchStore(deps.store, (kind, error) => storeHealth.failed(kind, error));
  // A request reads each client once, however many steps ask (src/store/request-reads.ts).
  const store: Store = { ...watched, clients: keepClientReads(watched.clients) };
  // The mail outbox writes to DATA_DIR too: its full disk is the store's (src/mail/watched-transport.ts).
  const transport = watchTransport(deps.transport, (kind, error) => storeHealth.failed(kind, error));
  const now = () => clock.now();
  const versions = readVersions(store.schemaVersion);
  const pages: PageDeps = {
    templates: deps.templates ?? createTemplates(),
    catalog: createCatalog(),
    defaultLocale: config.defaultLocale,
    productName: config.productName,
    version: versions.version,
  };

  // What makes failures visible: every audit event goes to the log, the metrics and the stored trail.
  const metrics = createMetrics({
    versions,
    mailQueue: store.mailQueue,
    loginTokens: store.loginTokens,
    clock,
    logger,
    limitNames: [...RATE_LIMIT_NAMES, 'RESEND_COOLDOWN'],
  });
  const auditTrail = createAuditTrail({
    store: store.audit,
    logger,
    retentionDays: config.auditRetentionDays,
    versions: versionsInForce,
    now,
    isUnavailable: (error) => store.failureKind(error) !== undefined,
    dropped: (count) => metrics.countAuditDropped(count),
  });
  const audit = createAudit(logger, [metrics.sink, auditTrail.sink], now);

  // The engine, and how the apps hear that an account's sessions ended.
  const apps = createAppDirectory(store.clients, logger, [accountApp(config.productName, config.adminEmails)]);
  const tokenPolicy = createTokenPolicy({ users: store.users, apps, signup: config.signup, audit });
  const limits = createRateLimits(store, config.rateLimits, config.resendCooldownSeconds);
  // The signing keys in force: the key ring in KEYS_DIR (or SIGNING_KEYS), kept current in the provider.
  const keys = createSigningKeys({
    ring: secrets.keyRing,
    fixed: secrets.signingKeys,
    clock,
    publishAheadSeconds: config.signingKeyRotation.publishAheadSeconds,
    rotationDays: config.signingKeyRotation.everyDays,
    audit,
    logger,
  });
  const provider: Provider = createProvider({
    config,
    store,
    clock,
    secrets,
    signingKeySet: keys.keySet(),
    renderPage: deps.renderPages?.(pages) ?? (() => undefined),
    renderReason: deps.renderReasons?.(pages) ?? (() => undefined),
    audit,
    countDeviceCodeGuess: (ip) => limits.consume('RATE_LIMIT_DEVICE_CODE_PER_IP', ip),
    tokenPolicy,
    // Dynamic registration stores clients by the admin's own rules (admin.registration, below).
    registration: {
      newClientId,
      registrar: {
        register: (request) => admin.registration.register(request),
        update: (clientId, metadata) => admin.registration.update(clientId, metadata),
        remove: (clientId) => admin.registration.remove(clientId),
      },
    },
  });
  keys.attach(provider);
  auditProviderEvents(provider, audit);
  for (const notice of secrets.notices) logger.warn({ keys: true }, notice);
  const backchannel = createBackchannelDelivery({ provider, audit, logger, retryDelaysMs: deps.backchannelRetryDelaysMs });
  const accountSessions = createAccountSessions({
    store,
    now,
    logger,
    onSessionsEnded: notifyAppsOfEndedSessions({ provider, delivery: backchannel, audit }),
  });

  // Mail: a durable queue in front of the transport, and the emails it carries.
  const sendQueue = createSendQueue({
    store,
    transport,
    seal: createMessageSeal(secrets.serverSecret),
    clock,
    logger,
    audit,
    concurrency: config.mailConcurrency,
    batchSize: config.mailBatchSize,
    leaseMs: config.mailLeaseSeconds * 1000,
    ...deps.sendQueueOptions,
  });
  const emailBranding = { productName: config.productName, logoUrl: config.logoUrl, supportEmail: config.supportEmail };
  const recordDeliveryReport = createDeliveryReports({ store, clock, audit });

  // The sign-in, and what an account can do with itself.
  const offRequest = createOffRequest(logger, () => storeHealth.assertWritable());
  const signInDeps: SignInDeps = {
    store,
    clock,
    audit,
    sendQueue,
    email: createMagicLinkEmail(pages.templates, pages.catalog, emailBranding),
    limits,
    offRequest,
    serverSecret: secrets.serverSecret,
    issuer: config.issuer,
    ttlSeconds: config.loginTokenTtlSeconds,
    codeMaxAttempts: config.codeMaxAttempts,
    signup: config.signup,
    apps,
    signInStates: createSignInStates(provider),
  };
  // What the email form promised, kept through a crash; the server sweeps up what a dead process left.
  const linkRequests = createLinkRequests(signInDeps, config.linkRequestGraceSeconds * 1000);
  const signIn = createSignIn(signInDeps, linkRequests);
  const emailChange = createEmailChange({
    store,
    clock,
    audit,
    limits,
    offRequest,
    sendQueue,
    email: createEmailChangeEmail(pages.templates, pages.catalog, emailBranding),
    issuer: config.issuer,
    undoDays: config.emailChangeUndoDays,
    accountSessions,
  });
  const recoveryCodes = createRecoveryCodes({
    store,
    clock,
    audit,
    limits,
    serverSecret: secrets.serverSecret,
    sendQueue,
    notices: createSecurityNoticeEmail(pages.templates, pages.catalog, emailBranding),
    issuer: config.issuer,
    accountSessions,
  });
  const deleteAccount = createAccountDeletion({ store, clock, audit, sessions: accountSessions });

  // What an administrator does (the CLI, the admin API): clients, accounts, suppressions, the audit
  // trail. Built for whoever acts, so every change's audit event names them (admin/admin-actor.ts).
  // How each app names accounts (public or pairwise `sub`), to go from an app's `sub` to the person.
  const appSubjects = appSubjectsFinder(secrets.pairwiseSalt, (clientId) => provider.Client.find(clientId));
  const clientAdmin = (auditTo: typeof audit) =>
    createClientAdmin({
      store,
      clock,
      serverSecret: secrets.serverSecret,
      validateMetadata: (metadata, { sectorDocument }) =>
        sectorDocument ? withSectorDocumentCheck(() => provider.Client.validate(metadata as never)) : provider.Client.validate(metadata as never),
      maxLinkTtlSeconds: config.loginTokenTtlSeconds,
      audit: auditTo,
    });
  const adminFor = (auditTo: typeof audit) => ({
    clients: clientAdmin(auditTo),
    users: createUserAdmin({ store, clock, audit: auditTo, sessions: accountSessions, appSubjects }),
    suppressions: createSuppressionAdmin({ store, audit: auditTo }),
    audit: createAuditAdmin({ store, clock }),
    /** APIs as resources (RFC 8707): create, list, update, delete. */
    resources: createResourceAdmin({
      store,
      clock,
      serverSecret: secrets.serverSecret,
      validateMetadata: (metadata) => provider.Client.validate(metadata as never),
      audit: auditTo,
    }),
  });
  /** The operations for a caller that acts through all of them alike (the admin API's service client). */
  const adminAs = (actor: AdminActor) => adminFor(auditAs(audit, actor));
  // The CLI and the console: each change names its actor itself (the CLI by default).
  const admin = {
    ...adminFor(audit),
    /**
     * RFC 7591/7592: what oidc-provider's registration endpoints store, by the clients' rules
     * (DYNAMIC_REGISTRATION). Its events name their origin themselves (via: registration, the
     * initial access token spent), so its clients audit what they are given.
     */
    registration: createClientRegistration(clientAdmin(audit), store),
    /** Initial access tokens for dynamic registration: create (shown once), list, revoke. */
    registrationTokens: createRegistrationTokenAdmin({ store, clock, serverSecret: secrets.serverSecret, audit }),
    keys: createKeyAdmin(keys),
  };

  return {
    config,
    store,
    /** Whether the store takes writes now (/readyz), told of every store failure. */
    storeHealth,
    clock,
    logger,
    versions,
    pages,
    metrics,
    audit,
    provider,
    /** The signing keys: list, rotate, retire (the CLI's `keys` group and the console), refresh and the schedule (the server). */
    keys,
    backchannel,
    accountSessions,
    sendQueue,
    recordDeliveryReport,
    apps,
    /** The rate limits, counted in the store (the device flow's guess budget is checked before oidc-provider looks a code up). */
    limits,
    signIn,
    /** The email form's stored promises: `recover()` sends what a dead process left (the server runs it on a timer). */
    linkRequests,
    emailChange,
    recoveryCodes,
    deleteAccount,
    admin,
    /** The administrator's operations for another actor than the CLI (the admin API's service client). */
    adminAs,
    /** Work a request leaves running; the HTTP edge tells it when each response has been written. */
    offRequest,
    /** Resolves when no sign-in email is still being prepared and every audit event is stored. */
    async idle(): Promise<void> {
      await offRequest.idle();
      await auditTrail.idle();
    },
    /** idle(), then sends everything due and stores its audit events (for tests; shutdown stops the queue within its grace). */
    async settle(): Promise<void> {
      await offRequest.idle();
      await sendQueue.drain();
      await auditTrail.idle();
    },
  };
}

export type Services = ReturnType<typeof createServices>;
