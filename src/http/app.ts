// The composition root: builds the provider, the magic-link service and our routes from explicit
// dependencies, and returns the Koa application (oidc-provider's Provider is one). It does not
// listen; src/main.ts does, and tests drive app.callback() or their own server.
import { bodyParser } from '@koa/bodyparser';
import { Router } from '@koa/router';
import type Provider from 'oidc-provider';
import type { Clock } from '../clock.js';
import type { Config } from '../config/env.js';
import { createMagicLinkService, type MagicLinkService } from '../login/magic-link-service.js';
import { createOffRequest } from '../login/off-request.js';
import { createRateLimits } from '../login/rate-limits.js';
import { createMagicLinkEmail } from '../mail/magic-link-email.js';
import type { MailTransport } from '../mail/mailer.js';
import { createMessageSeal } from '../mail/sealed-message.js';
import { createSendQueue, type SendQueue } from '../mail/send-queue.js';
import { loadStrings } from '../mail/strings.js';
import { createAudit } from '../observability/audit.js';
import type { Logger } from '../observability/logger.js';
import { createProvider } from '../oidc/provider.js';
import { createSignInStates } from '../oidc/sign-in-state.js';
import type { Secrets } from '../secrets/key-files.js';
import { isStoreUnavailable } from '../store/availability.js';
import type { Store } from '../store/port.js';
import { createTemplates, type Templates } from '../templates.js';
import { createBindingCookie } from './binding-cookie.js';
import { errorPages } from './errors.js';
import { hostCheck } from './host-check.js';
import { requestLog } from './request-log.js';
import { consentRoutes } from './routes/consent.js';
import { healthRoutes } from './routes/health.js';
import { interactionRoutes } from './routes/interaction.js';
import { verifyRoutes } from './routes/verify.js';
import { webhookRoutes } from './routes/webhooks.js';
import { requireSameOrigin } from './same-origin.js';
import { securityHeaders } from './security-headers.js';

export interface AppDeps {
  readonly store: Store;
  readonly transport: MailTransport;
  /** Send-queue tuning for tests; production uses the defaults. */
  readonly sendQueueOptions?: { baseDelayMs?: number; maxDelayMs?: number; leaseMs?: number };
  readonly clock: Clock;
  readonly logger: Logger;
  readonly secrets: Secrets;
  readonly templates?: Templates;
}

export interface App {
  readonly app: Provider;
  readonly provider: Provider;
  readonly magicLinks: MagicLinkService;
  readonly sendQueue: SendQueue;
  /** Resolves when no sign-in email is still being prepared (queued or skipped). */
  idle(): Promise<void>;
  /** idle(), then sends everything due (for shutdown and tests). */
  settle(): Promise<void>;
}

export function createApp(config: Config, deps: AppDeps): App {
  const { store, clock, logger } = deps;
  const https = config.issuer.startsWith('https:');
  const pages = { templates: deps.templates ?? createTemplates(), productName: config.productName };
  const audit = createAudit(logger);
  const provider = createProvider({ config, store, clock, secrets: deps.secrets, pages });
  const offRequest = createOffRequest(logger);
  const sendQueue = createSendQueue({
    store,
    transport: deps.transport,
    seal: createMessageSeal(deps.secrets.serverSecret),
    clock,
    logger,
    audit,
    ...deps.sendQueueOptions,
  });
  const magicLinks = createMagicLinkService({
    store,
    clock,
    audit,
    sendQueue,
    email: createMagicLinkEmail(pages.templates, loadStrings(), {
      productName: config.productName,
      logoUrl: config.logoUrl,
      supportEmail: config.supportEmail,
    }),
    limits: createRateLimits(store, config.rateLimits, config.resendCooldownSeconds),
    offRequest,
    serverSecret: deps.secrets.serverSecret,
    issuer: config.issuer,
    ttlSeconds: config.loginTokenTtlSeconds,
    codeMaxAttempts: config.codeMaxAttempts,
    signup: config.signup,
    signInStates: createSignInStates(provider),
  });
  const bindingCookie = createBindingCookie({ https });

  const router = new Router();
  router.use(bodyParser({ enableTypes: ['form', 'json'], formLimit: '16kb', jsonLimit: '64kb' }));
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.use(requireSameOrigin({ issuerOrigin: new URL(config.issuer).origin, pages, audit, exempt: ['/webhooks/'] }));
  healthRoutes(router, store);
  const routeDeps = { provider, pages, users: store.users, audit, magicLinks, bindingCookie, clock, signup: config.signup };
  interactionRoutes(router, {
    ...routeDeps,
    mailQueue: store.mailQueue,
    loginTokenTtlSeconds: config.loginTokenTtlSeconds,
    resendCooldownSeconds: config.resendCooldownSeconds,
    isFirstParty: async (clientId) => (await store.clients.find(clientId))?.firstParty ?? false,
  });
  consentRoutes(router, routeDeps);
  verifyRoutes(router, { ...routeDeps, issuerOrigin: new URL(config.issuer).origin });
  webhookRoutes(router, { store, clock, audit, webhookAuth: config.postmark?.webhookAuth });

  provider.use(requestLog(logger));
  provider.use(securityHeaders({ https, findClient: (clientId) => provider.Client.find(clientId) }));
  // Before every route, oidc-provider's included (provider.use inserts ahead of them); after the
  // two above only so that a refusal carries a request id and the usual headers.
  provider.use(hostCheck({ issuer: config.issuer, pages, logger }));
  provider.use(errorPages(pages, logger));
  provider.use(router.routes());
  provider.use(router.allowedMethods());

  provider.on('server_error', (ctx, error) => {
    if (isStoreUnavailable(error)) ctx.state.storeUnavailable = true;
    logger.error({ err: error, requestId: ctx.state.requestId, path: ctx.path }, 'oidc-provider server_error');
  });

  return {
    app: provider,
    provider,
    magicLinks,
    sendQueue,
    idle: () => offRequest.idle(),
    settle: async () => {
      await offRequest.idle();
      await sendQueue.drain();
    },
  };
}
