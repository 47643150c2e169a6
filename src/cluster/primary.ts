// WORKERS > 1: the primary of a node:cluster. Before forking it does what must happen once: the
// mail token check, keys, store schema (./start-checks.ts), so a refusal stops the start with one
// line before any worker exists and workers never race to create keys of their own. Then it forks
// the workers, which share PORT (the primary accepts connections and hands them round-robin) and
// share the store, keys and rate limits. It serves nothing itself but METRICS_PORT (the whole
// cluster's metrics, ./metrics.ts) and runs the purge job (one purger, not one per worker).
// SIGTERM/SIGINT: every worker finishes its requests and queued emails, then the primary exits 0.
import cluster from 'node:cluster';
import http from 'node:http';
import { systemClock } from '../kernel/clock.js';
import type { Config } from '../config/env.js';
import { metricsApp } from '../http/metrics-routes.js';
import type { Logger } from '../kernel/ports.js';
import { readVersions } from '../observability/versions.js';
import { startPurgeJob } from '../store/purge-job.js';
import { listen } from './listen.js';
import { createPrimaryMetrics } from './metrics.js';
import { startChecks } from './start-checks.js';
import { createSupervisor } from './supervisor.js';

/** Beyond a worker's own SHUTDOWN_GRACE_SECONDS, so the primary waits for workers rather than racing them. */
const STOP_MARGIN_MS = 5_000;

export async function runPrimary(config: Config, logger: Logger): Promise<void> {
  const { store, transport } = await startChecks(config, { checkMail: true });
  const versions = readVersions(store.schemaVersion);
  const stopPurge = startPurgeJob(store, systemClock, logger, config.purgeIntervalSeconds * 1000);

  // Structured clone rather than JSON: a gauge the store could not read is NaN, and stays NaN.
  cluster.setupPrimary({ serialization: 'advanced' });
  const supervisor = createSupervisor({ count: config.workers, logger, onRestart: () => metrics.workerRestarted() });
  const metrics = createPrimaryMetrics(() => supervisor.listening());

  const metricsServer = config.metrics.port === undefined ? undefined : http.createServer(metricsApp(metrics, config.metrics.token, metrics.gather).callback());
  const release = async () => {
    stopPurge();
    metricsServer?.close();
    await store.close();
  };
  try {
    if (metricsServer && config.metrics.port !== undefined) await listen(metricsServer, config.metrics.port);
    await supervisor.start();
  } catch (error) {
    await release();
    throw error;
  }
  logger.info(
    {
      issuer: config.issuer,
      port: config.port,
      metricsPort: config.metrics.port,
      workers: config.workers,
      store: store.kind,
      mail: transport.kind,
      mailVia: transport.describe,
      dataDir: config.dataDir,
      versions,
    },
    'linkid listening',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const stopTimeoutMs = config.shutdownGraceSeconds * 1000 + STOP_MARGIN_MS;
    setTimeout(() => {
      logger.error({ timeoutMs: stopTimeoutMs }, 'workers did not stop in time');
      for (const worker of supervisor.listening()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, stopTimeoutMs).unref();
    void supervisor
      .stop()
      .then(async (clean) => {
        await release();
        process.exit(clean ? 0 : 1);
      })
      .catch(() => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
