// Starts linkid: load config, then either serve in this process (WORKERS=1, or a cluster worker)
// or be the primary of a cluster of WORKERS processes (src/cluster/). A bad configuration, an
// unreachable store or a refused mail token stops the start with one line on stderr and a
// non-zero exit, whichever process finds it.
import cluster from 'node:cluster';
import { loadConfig } from './config/env.js';
import { reportStartFailure } from './cluster/start-failure.js';
import { createLogger } from './observability/logger.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  if (cluster.isPrimary && config.workers > 1) {
    const { runPrimary } = await import('./cluster/primary.js');
    return runPrimary(config, logger);
  }
  // Loaded only here: a cluster's primary never builds the app, so it never loads oidc-provider.
  const { serve } = await import('./cluster/serve.js');
  if (cluster.isWorker) return serve(config, logger.child({ worker: cluster.worker?.id }), 'worker');
  return serve(config, logger, 'alone');
}

main().catch(reportStartFailure);
