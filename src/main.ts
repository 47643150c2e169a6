// Starts linkid: load config, open the store, build the app, listen, and shut down cleanly on
// SIGTERM/SIGINT. A bad configuration or an unreachable store stops the start with one line.
import http from 'node:http';
import { systemClock } from './clock.js';
import { ConfigError, loadConfig } from './config/env.js';
import { createApp } from './http/app.js';
import { MailConfigError } from './mail/mail-transport.js';
import { createTransport } from './mail/transport-from-config.js';
import { createLogger } from './observability/logger.js';
import { loadOrCreateSecrets } from './secrets/key-files.js';
import { startPurgeJob } from './store/purge-job.js';
import { openStore } from './store/open-store.js';
import { StoreConnectionError } from './store/port.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  // Checked first: a refused Postmark token stops the start before anything is created.
  const transport = createTransport(config, systemClock);
  await transport.check?.();
  const secrets = await loadOrCreateSecrets(config);
  const store = await openStore(config);
  const linkid = createApp(config, { store, transport, clock: systemClock, logger, secrets });
  const { app, sendQueue } = linkid;
  sendQueue.start();
  const stopPurge = startPurgeJob(store, systemClock, logger, config.purgeIntervalSeconds * 1000);

  const server = http.createServer(app.callback());
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, resolve);
  });
  // METRICS_PORT: /metrics on a port of its own, to be reached from the cluster's network only.
  const metricsServer = config.metrics.port === undefined ? undefined : http.createServer(linkid.metricsApp.callback());
  if (metricsServer) {
    await new Promise<void>((resolve, reject) => {
      metricsServer.once('error', reject);
      metricsServer.listen(config.metrics.port, resolve);
    });
  }
  logger.info(
    {
      issuer: config.issuer,
      port: config.port,
      metricsPort: config.metrics.port,
      store: store.kind,
      mail: transport.kind,
      dataDir: config.dataDir,
      versions: linkid.versions,
    },
    'linkid listening',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stopPurge();
    metricsServer?.close();
    server.close(() => {
      // Emails accepted before the signal are still sent before the store closes.
      void linkid
        .settle()
        .then(() => sendQueue.stop())
        .then(() => store.close())
        .finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError || error instanceof StoreConnectionError || error instanceof MailConfigError
      ? error.message
      : (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? `Cannot listen: port already in use (${(error as Error).message})`
        : `linkid failed to start: ${(error as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
