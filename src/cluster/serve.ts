// One process serving linkid over HTTP: all of linkid when WORKERS=1, or one worker of a cluster.
// A worker leaves to its primary (./primary.ts) what is done once for all: the mail token check,
// creating keys and schema (it reads them), the purge job and METRICS_PORT; its /metrics on PORT
// answers the whole cluster's. Both shut down the same way on SIGTERM/SIGINT: stop accepting,
// finish the requests in hand, send the emails already accepted, close the store, exit 0.
import http from 'node:http';
import { systemClock } from '../kernel/clock.js';
import type { Config } from '../config/env.js';
import { createApp } from '../http/app.js';
import { reasonRenderer } from '../http/errors.js';
import { pageRenderer } from '../http/render.js';
import { createServices } from '../services.js';
import type { Logger } from '../kernel/ports.js';
import { startLinkRequestRecovery, sweepEveryMs } from '../login/link-requests.js';
import { startPurgeJob } from '../store/purge-job.js';
import { listen } from './listen.js';
import { linkMetricsToPrimary } from './metrics.js';
import { startChecks } from './start-checks.js';
import { startSigningKeyTimer } from './signing-key-timer.js';

export type Role = 'alone' | 'worker';

export async function serve(config: Config, logger: Logger, role: Role): Promise<void> {
  const worker = role === 'worker';
  const { transport, secrets, store } = await startChecks(config, { checkMail: !worker });
  const metricsLink = worker ? linkMetricsToPrimary() : undefined;
  const linkid = createServices(config, { store, transport, clock: systemClock, logger, secrets, renderPages: pageRenderer, renderReasons: reasonRenderer });
  const { app, metricsApp } = createApp(linkid, { scrapeMetrics: metricsLink?.scrape });
  metricsLink?.answerWith(linkid.metrics.registry);
  const { sendQueue } = linkid;
  sendQueue.start();
  const stopPurge = worker ? () => undefined : startPurgeJob(linkid.store, systemClock, logger, config.purgeIntervalSeconds * 1000);
  const stopKeys = startSigningKeyTimer(linkid.keys, logger);
  // Sign-in emails that a process killed after answering the form never queued: sent from here.
  const stopRecovery = startLinkRequestRecovery(() => linkid.linkRequests.recover(), logger, sweepEveryMs(config.linkRequestGraceSeconds * 1000));

  const server = http.createServer(app.callback());
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  // METRICS_PORT: /metrics on a port of its own, to be reached from the cluster's network only.
  const metricsServer = worker || config.metrics.port === undefined ? undefined : http.createServer(metricsApp.callback());

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stopPurge();
    stopKeys();
    const recoveryStopped = stopRecovery();
    metricsServer?.close();
    // A keep-alive connection whose last request ends after the signal would hold the close
    // open until the client's idle timeout: close each as soon as it is idle.
    const closeIdle = setInterval(() => server.closeIdleConnections(), 100);
    const graceMs = config.shutdownGraceSeconds * 1000;
    // What is left of the grace a second before its end, for the queue to send what it holds.
    const handBackAt = Date.now() + graceMs - Math.min(1000, graceMs / 4);
    server.close(() => {
      clearInterval(closeIdle);
      // Emails accepted before the signal are still sent before the store closes, within the
      // grace; those still waiting for the provider then go back to the queue for the next process.
      void recoveryStopped
        .then(() => linkid.idle())
        .then(() => {
          void sendQueue.drain();
          return sendQueue.stop({ handBackAfterMs: Math.max(0, handBackAt - Date.now()) });
        })
        .then(() => linkid.idle())
        .then(() => transport.close?.())
        // Back-channel logout retries still waiting are dropped (and were logged when scheduled).
        .then(() => linkid.backchannel.stop())
        .then(() => store.close())
        .finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => {
      logger.error({ graceSeconds: config.shutdownGraceSeconds }, 'shutdown did not finish within SHUTDOWN_GRACE_SECONDS');
      process.exit(1);
    }, graceMs).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await listen(server, config.port);
  if (metricsServer && config.metrics.port !== undefined) await listen(metricsServer, config.metrics.port);
  // A cluster's primary says it once for all its workers.
  if (!worker) {
    logger.info(
      {
        issuer: config.issuer,
        port: config.port,
        metricsPort: config.metrics.port,
        workers: 1,
        store: store.kind,
        mail: transport.kind,
        mailVia: transport.describe,
        dataDir: config.dataDir,
        versions: linkid.versions,
      },
      'linkid listening',
    );
  }
}
