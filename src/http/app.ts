// The HTTP edge: mounts our middleware and routes, in order, on oidc-provider's Koa application
// (a Provider is one), over the services built once by src/services.ts. It builds nothing but what
// only HTTP has (cookies, page branding, the account page's access check) and does not listen;
// src/cluster/serve.ts does, and tests drive app.callback() or their own server.
import { bodyParser } from '@koa/bodyparser';
import { Router } from '@koa/router';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { frontchannelLogout } from '../oidc/frontchannel-logout.js';
import type { Services } from '../services.js';
import { createAccountAccess } from './account-access.js';
import { createAdminAccess } from './admin-access.js';
import { createPageBranding } from './app-branding.js';
import { createBindingCookie } from './binding-cookie.js';
import { errorPages } from './errors.js';
import { ownRoutes } from './own-routes.js';
import { hostCheck } from './host-check.js';
import { httpMetrics, metricsApp, metricsRoute, type ScrapeMetrics } from './metrics-routes.js';
import { pageRenderer } from './render.js';
import { requestLog } from './request-log.js';
import { workAfterResponse } from './response-written.js';
import { accountRoutes } from './routes/account.js';
import { createAdminApi, type AdminApi } from './routes/admin-api.js';
import { accountDataRoutes } from './routes/account-data.js';
import { adminConsoleRoutes } from './routes/admin-console.js';
import { accountRecoveryCodeRoutes } from './routes/account-recovery-codes.js';
import { consentRoutes } from './routes/consent.js';
import { deviceFlowEdge, DEVICE_POLL_INTERVAL_SECONDS } from './routes/device.js';
import { emailChangeRoutes } from './routes/email-change.js';
import { healthRoutes } from './routes/health.js';
import { homeRoutes } from './routes/home.js';
import { interactionRoutes } from './routes/interaction.js';
import { magicLinkRoutes } from './routes/magic-link.js';
import { otherBrowserRoutes } from './routes/other-browser.js';
import { recoveryRoutes } from './routes/recovery.js';
import { versionRoute } from './routes/version.js';
import { webhookRoutes } from './routes/webhooks.js';
import { requireSameOrigin } from './same-origin.js';
import { securityHeaders } from './security-headers.js';
import { isKeptDocument, staticDocuments } from './static-documents.js';
import type { LinkidState } from './state.js';
import { answerAsStored, refuseOversizedRegistration } from '../oidc/registration.js';
import { answerReplayedProofs } from '../oidc/dpop-replay.js';
import { withRequestReads } from '../store/request-reads.js';

export interface AppOptions {
  /** A cluster worker answers /metrics with the whole cluster's, gathered by its primary (src/cluster/). */
  readonly scrapeMetrics?: ScrapeMetrics;
}

export interface App {
  /** What PORT serves: oidc-provider's application with our routes mounted. */
  readonly app: Provider;
  /** What METRICS_PORT serves (/metrics alone); serve.ts listens on it when that is set. */
  readonly metricsApp: Koa;
  /** The admin API mounted on `app` (its router and OpenAPI document, for the tests that compare them). */
  readonly adminApi: AdminApi;
}

export function createApp(services: Services, options: AppOptions = {}): App {
  const { config, store, clock, logger, provider, pages, audit, metrics, apps, signIn, versions, recoveryCodes, accountSessions } = services;
  const https = config.issuer.startsWith('https:');
  const issuerOrigin = new URL(config.issuer).origin;

  // Routes: HTTP in, a service call, HTTP out.
  const router = new Router<LinkidState>();
  router.use(bodyParser({ enableTypes: ['form', 'json'], formLimit: '16kb', jsonLimit: '64kb' }));
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.use(requireSameOrigin({ issuerOrigin, pages, audit, exempt: ['/webhooks/'] }));
  healthRoutes(router, store, services.storeHealth);
  versionRoute(router, versions);
  if (config.metrics.port === undefined) metricsRoute(router, metrics, config.metrics.token, options.scrapeMetrics);
  const bindingCookie = createBindingCookie({ https });
  const brandPage = createPageBranding(apps);
  interactionRoutes(router, {
    provider,
    pages,
    users: store.users,
    resources: store.resources,
    audit,
    signIn,
    bindingCookie,
    loginTokenTtlSeconds: config.loginTokenTtlSeconds,
    resendCooldownSeconds: config.resendCooldownSeconds,
    brandPage,
  });
  recoveryRoutes(router, { provider, pages, signIn, brandPage });
  consentRoutes(router, { provider, pages, users: store.users, resources: store.resources, audit });
  magicLinkRoutes(router, { provider, pages, signIn, bindingCookie, issuer: config.issuer, issuerOrigin, clock, brandPage });
  otherBrowserRoutes(router, { provider, pages, signIn, issuer: config.issuer, issuerOrigin, clock, brandPage });
  const accountAccess = createAccountAccess({ provider, users: store.users, clock, issuer: config.issuer, https });
  const links = [
    { href: '/account/email', label: 'account.changeEmail' },
    { href: '/account/recovery-codes', label: 'account.recoveryCodes' },
    { href: '/account/data', label: 'account.downloadData' },
    { href: '/account/delete', label: 'account.deleteAccount', danger: true },
  ];
  accountRoutes(router, { provider, pages, store, access: accountAccess, accountSessions, clock, audit, links });
  homeRoutes(router, { pages, access: accountAccess });
  emailChangeRoutes(router, { pages, access: accountAccess, emailChange: services.emailChange, bindingCookie, undoDays: config.emailChangeUndoDays });
  accountRecoveryCodeRoutes(router, { pages, access: accountAccess, recoveryCodes, store, issuer: config.issuer });
  accountDataRoutes(router, {
    provider,
    pages,
    store,
    access: accountAccess,
    deleteAccount: services.deleteAccount,
    clock,
    audit,
    auditRetentionDays: config.auditRetentionDays,
  });
  adminConsoleRoutes(router, {
    provider,
    pages,
    store,
    access: createAdminAccess({ provider, users: store.users, clock, issuer: config.issuer, https, adminEmails: config.adminEmails }),
    admin: services.admin,
    clock,
    versions,
    config,
  });
  webhookRoutes(router, { recordDeliveryReport: services.recordDeliveryReport, webhookAuth: config.postmark?.webhookAuth });

  provider.use(requestLog(logger));
  // Each request (and the work it leaves for after its response) reads a client once (src/store/request-reads.ts).
  // Discovery and JWKS read no client and leave no work: they skip both scopes (a few µs each).
  provider.use((ctx, next) => (isKeptDocument(ctx.path) ? next() : withRequestReads(next)));
  // Before anything that awaits after the route: what a request leaves running waits for its response.
  const afterResponse = workAfterResponse(services.offRequest);
  provider.use((ctx, next): Promise<void> => (isKeptDocument(ctx.path) ? next() : (afterResponse(ctx, next) as Promise<void>)));
  provider.use(httpMetrics(metrics));
  provider.use(securityHeaders({ https, findClient: (clientId) => provider.Client.find(clientId) }));
  // Before every route, oidc-provider's included (provider.use inserts ahead of them); after the
  // ones above only so that a refusal carries a request id and the usual headers, and is timed.
  provider.use(hostCheck({ issuer: config.issuer, pages, logger, audit }));
  provider.use(errorPages(pages, logger, (error) => store.failureKind(error) !== undefined, audit));
  // The signing keys in force, before anything signs with them or publishes them (src/oidc/signing-keys.ts).
  provider.use(async (_ctx, next) => {
    services.keys.refresh();
    await next();
  });
  // Discovery and JWKS from what the engine last wrote, while the keys in force are the same.
  provider.use(staticDocuments(services.keys.inForce));
  // RFC 8628's /device and the token endpoint's slow_down (routes/device.ts), ahead of oidc-provider's own handling.
  provider.use(
    deviceFlowEdge({
      pages,
      audit,
      limits: services.limits,
      polls: store.createRateLimiter({ keyPrefix: 'rl_device_poll', points: 1, durationSeconds: DEVICE_POLL_INTERVAL_SECONDS }),
      issuerOrigin,
      cookieName: (type) => provider.cookieName(type),
    }),
  );
  provider.use(frontchannelLogout({ provider, issuer: config.issuer, clients: store.clients, renderPage: pageRenderer(pages) }));
  // RFC 7591/7592: an oversized registration body is 413 before oidc-provider reads it.
  provider.use(refuseOversizedRegistration);
  // ... and answered with what is stored, as a read would show it.
  provider.use(answerAsStored(provider.Client));
  // RFC 9449: a replayed DPoP proof is invalid_dpop_proof, not a bad grant or token.
  provider.use(answerReplayedProofs(provider));
  // The admin API answers all of /admin/api/ itself, JSON only, for bearer tokens only (routes/admin-api.ts).
  const adminApi = createAdminApi(services);
  provider.use(adminApi.middleware);
  provider.use(ownRoutes(router));

  provider.on('server_error', (ctx, error) => {
    if (store.failureKind(error) !== undefined) ctx.state.storeUnavailable = true;
    logger.error({ err: error, requestId: ctx.state.requestId, path: ctx.path }, 'oidc-provider server_error');
  });

  return { app: provider, metricsApp: metricsApp(metrics, config.metrics.token), adminApi };
}
