// The composition root: builds the provider, the sign-in and mail services and our routes from
// explicit dependencies, and returns the Koa application (oidc-provider's Provider is one). It
// does not listen; src/main.ts does, and tests drive app.callback() or their own server.
import { bodyParser } from '@koa/bodyparser';
import { Router } from '@koa/router';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { Registry } from 'prom-client';
import type { Clock } from '../kernel/clock.js';
import type { Config } from '../config/env.js';
import { accountApp } from '../oidc/account-client.js';
import { createAccountSessions, type AccountSessions } from '../account/account-sessions.js';
import { createAccountDeletion } from '../account/delete-account.js';
import { createEmailChange } from '../account/email-change.js';
import { createRecoveryCodes, type RecoveryCodes } from '../account/recovery-codes.js';
import { createCatalog } from '../i18n/catalog.js';
import { createAppDirectory } from '../login/app-policy.js';
import { createOffRequest } from '../kernel/off-request.js';
import { createRateLimits } from '../login/rate-limits.js';
import { createSignIn } from '../login/sign-in.js';
import { createDeliveryReports } from '../mail/delivery-reports.js';
import { createEmailChangeEmail } from '../mail/email-change-email.js';
import { createMagicLinkEmail } from '../mail/magic-link-email.js';
import type { MailTransport } from '../mail/mail-transport.js';
import { createMessageSeal } from '../mail/sealed-message.js';
import { createSecurityNoticeEmail } from '../mail/security-notice-email.js';
import { createSendQueue, type SendQueue } from '../mail/send-queue.js';
import { createAudit } from '../observability/audit.js';
import { createAuditTrail } from '../observability/audit-trail.js';
import type { Logger } from '../kernel/ports.js';
import { createMetrics } from '../observability/metrics.js';
import { readVersions, type Versions } from '../observability/versions.js';
import { versionsInForce } from '../observability/versions-in-force.js';
import { createProvider } from '../oidc/provider.js';
import { createBackchannelDelivery, type BackchannelDelivery } from '../oidc/backchannel-delivery.js';
import { frontchannelLogout } from '../oidc/frontchannel-logout.js';
import { notifyAppsOfEndedSessions } from '../oidc/logout-fanout.js';
import { auditProviderEvents } from '../oidc/provider-audit.js';
import { createSignInStates } from '../oidc/sign-in-state.js';
import type { Secrets } from '../secrets/key-files.js';
import type { Store } from '../store/port.js';
import { createTemplates, type Templates } from '../i18n/templates.js';
import { createAccountAccess } from './account-access.js';
import { createPageBranding } from './app-branding.js';
import { createBindingCookie } from './binding-cookie.js';
import { errorPages } from './errors.js';
import { ownRoutes } from './own-routes.js';
import { hostCheck } from './host-check.js';
import { httpMetrics, metricsApp, metricsRoute, type ScrapeMetrics } from './metrics-routes.js';
import { pageRenderer } from './render.js';
import { requestLog } from './request-log.js';
import { accountRoutes } from './routes/account.js';
import { accountDataRoutes } from './routes/account-data.js';
import { accountRecoveryCodeRoutes } from './routes/account-recovery-codes.js';
import { consentRoutes } from './routes/consent.js';
import { emailChangeRoutes } from './routes/email-change.js';
import { healthRoutes } from './routes/health.js';
import { interactionRoutes } from './routes/interaction.js';
import { magicLinkRoutes } from './routes/magic-link.js';
import { recoveryRoutes } from './routes/recovery.js';
import { versionRoute } from './routes/version.js';
import { webhookRoutes } from './routes/webhooks.js';
import { requireSameOrigin } from './same-origin.js';
import { securityHeaders } from './security-headers.js';
import type { LinkidState } from './state.js';

export interface AppDeps {
  readonly store: Store;
  readonly transport: MailTransport;
  /** Send-queue tuning for tests; production uses the defaults. */
  readonly sendQueueOptions?: { baseDelayMs?: number; maxDelayMs?: number; leaseMs?: number };
  readonly clock: Clock;
  readonly logger: Logger;
  readonly secrets: Secrets;
  readonly templates?: Templates;
  /** A cluster worker answers /metrics with the whole cluster's, gathered by its primary (src/cluster/). */
  readonly scrapeMetrics?: ScrapeMetrics;
  /** Waits between back-channel logout retries (tests); production uses the defaults. */
  readonly backchannelRetryDelaysMs?: readonly number[];
}

export interface App {
  readonly app: Provider;
  readonly provider: Provider;
  readonly sendQueue: SendQueue;
  readonly versions: Versions;
  /** What METRICS_PORT serves (/metrics alone); main.ts listens on it when that is set. */
  readonly metricsApp: Koa;
  /** This process's own metrics, which a cluster's primary gathers from every worker. */
  readonly metricsRegistry: Registry;
  /** Back-channel logout delivery; stop() cancels waiting retries on shutdown. */
  readonly backchannel: BackchannelDelivery;
  /** Ends an account's sessions, grants and tokens and tells its apps by back-channel logout. */
  readonly accountSessions: AccountSessions;
  /** Recovery codes: generating a set for an account (the account page), redeeming one (the sign-in's recovery form). */
  readonly recoveryCodes: RecoveryCodes;
  /** Resolves when no sign-in email is still being prepared and every audit event is stored. */
  idle(): Promise<void>;
  /** idle(), then sends everything due and stores its audit events (for shutdown and tests). */
  settle(): Promise<void>;
}

export function createApp(config: Config, deps: AppDeps): App {
  const { store, clock, logger } = deps;
  const https = config.issuer.startsWith('https:');
  const issuerOrigin = new URL(config.issuer).origin;
  const versions = readVersions(store.schemaVersion);
  const pages = {
    templates: deps.templates ?? createTemplates(),
    catalog: createCatalog(),
    defaultLocale: config.defaultLocale,
    productName: config.productName,
    version: versions.version,
  };
  const metrics = createMetrics({
    versions,
    mailQueue: store.mailQueue,
    loginTokens: store.loginTokens,
    clock,
    logger,
    limitNames: [...Object.keys(config.rateLimits), 'RESEND_COOLDOWN'],
  });
  const auditTrail = createAuditTrail({
    store: store.audit,
    logger,
    retentionDays: config.auditRetentionDays,
    versions: versionsInForce,
    now: () => clock.now(),
  });
  const audit = createAudit(logger, [metrics.sink, auditTrail.sink], () => clock.now());

  // Services: no HTTP in them.
  const provider = createProvider({ config, store, clock, secrets: deps.secrets, renderPage: pageRenderer(pages) });
  auditProviderEvents(provider, audit);
  for (const notice of deps.secrets.notices) logger.warn({ keys: true }, notice);
  const backchannel = createBackchannelDelivery({ provider, audit, logger, retryDelaysMs: deps.backchannelRetryDelaysMs });
  const accountSessions = createAccountSessions({
    store,
    now: () => clock.now(),
    logger,
    onSessionsEnded: notifyAppsOfEndedSessions({ provider, delivery: backchannel, audit }),
  });
  const offRequest = createOffRequest(logger);
  const apps = createAppDirectory(store.clients, logger, [accountApp(config.productName)]);
  const sendQueue = createSendQueue({
    store,
    transport: deps.transport,
    seal: createMessageSeal(deps.secrets.serverSecret),
    clock,
    logger,
    audit,
    concurrency: config.mailConcurrency,
    batchSize: config.mailBatchSize,
    ...deps.sendQueueOptions,
  });
  const limits = createRateLimits(store, config.rateLimits, config.resendCooldownSeconds);
  const emailBranding = { productName: config.productName, logoUrl: config.logoUrl, supportEmail: config.supportEmail };
  const signIn = createSignIn({
    store,
    clock,
    audit,
    sendQueue,
    email: createMagicLinkEmail(pages.templates, pages.catalog, emailBranding),
    limits,
    offRequest,
    serverSecret: deps.secrets.serverSecret,
    issuer: config.issuer,
    ttlSeconds: config.loginTokenTtlSeconds,
    codeMaxAttempts: config.codeMaxAttempts,
    signup: config.signup,
    apps,
    signInStates: createSignInStates(provider),
  });
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
  const recordDeliveryReport = createDeliveryReports({ store, clock, audit });
  const recoveryCodes = createRecoveryCodes({
    store,
    clock,
    audit,
    limits,
    serverSecret: deps.secrets.serverSecret,
    signup: config.signup,
    apps,
    sendQueue,
    notices: createSecurityNoticeEmail(pages.templates, pages.catalog, emailBranding),
    issuer: config.issuer,
  });

  // Routes: HTTP in, a service call, HTTP out.
  const router = new Router<LinkidState>();
  router.use(bodyParser({ enableTypes: ['form', 'json'], formLimit: '16kb', jsonLimit: '64kb' }));
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.use(requireSameOrigin({ issuerOrigin, pages, audit, exempt: ['/webhooks/'] }));
  healthRoutes(router, store);
  versionRoute(router, versions);
  if (config.metrics.port === undefined) metricsRoute(router, metrics, config.metrics.token, deps.scrapeMetrics);
  const bindingCookie = createBindingCookie({ https });
  const brandPage = createPageBranding(apps);
  interactionRoutes(router, {
    provider,
    pages,
    users: store.users,
    audit,
    signIn,
    bindingCookie,
    loginTokenTtlSeconds: config.loginTokenTtlSeconds,
    resendCooldownSeconds: config.resendCooldownSeconds,
    brandPage,
  });
  recoveryRoutes(router, { provider, pages, recoveryCodes, brandPage });
  consentRoutes(router, { provider, pages, users: store.users, audit });
  magicLinkRoutes(router, { provider, pages, signIn, bindingCookie, issuerOrigin, brandPage });
  const accountAccess = createAccountAccess({ provider, users: store.users, clock, issuer: config.issuer, https });
  const links = [
    { href: '/account/email', label: 'account.changeEmail' },
    { href: '/account/recovery-codes', label: 'account.recoveryCodes' },
    { href: '/account/data', label: 'account.downloadData' },
    { href: '/account/delete', label: 'account.deleteAccount' },
  ];
  accountRoutes(router, { provider, pages, store, access: accountAccess, accountSessions, clock, audit, links });
  emailChangeRoutes(router, { pages, access: accountAccess, emailChange, bindingCookie, undoDays: config.emailChangeUndoDays });
  accountRecoveryCodeRoutes(router, { pages, access: accountAccess, recoveryCodes, store, issuer: config.issuer });
  const deleteAccount = createAccountDeletion({ store, clock, audit, sessions: accountSessions });
  accountDataRoutes(router, { provider, pages, store, access: accountAccess, deleteAccount, clock, audit, auditRetentionDays: config.auditRetentionDays });
  webhookRoutes(router, { recordDeliveryReport, webhookAuth: config.postmark?.webhookAuth });

  provider.use(requestLog(logger));
  provider.use(httpMetrics(metrics));
  provider.use(securityHeaders({ https, findClient: (clientId) => provider.Client.find(clientId) }));
  // Before every route, oidc-provider's included (provider.use inserts ahead of them); after the
  // ones above only so that a refusal carries a request id and the usual headers, and is timed.
  provider.use(hostCheck({ issuer: config.issuer, pages, logger, audit }));
  provider.use(errorPages(pages, logger, (error) => store.isUnavailable(error), audit));
  provider.use(frontchannelLogout({ provider, issuer: config.issuer, clients: store.clients, renderPage: pageRenderer(pages) }));
  provider.use(ownRoutes(router));

  provider.on('server_error', (ctx, error) => {
    if (store.isUnavailable(error)) ctx.state.storeUnavailable = true;
    logger.error({ err: error, requestId: ctx.state.requestId, path: ctx.path }, 'oidc-provider server_error');
  });

  return {
    app: provider,
    provider,
    sendQueue,
    versions,
    metricsApp: metricsApp(metrics, config.metrics.token),
    metricsRegistry: metrics.registry,
    backchannel,
    accountSessions,
    recoveryCodes,
    idle: async () => {
      await offRequest.idle();
      await auditTrail.idle();
    },
    settle: async () => {
      await offRequest.idle();
      await sendQueue.drain();
      await auditTrail.idle();
    },
  };
}
