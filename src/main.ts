// Starts linkid: check the Node.js version, load config, then either serve in this process
// (WORKERS=1, or a cluster worker) or be the primary of a cluster of WORKERS processes
// (src/cluster/). A Node.js too old, a bad configuration, an unreachable store or a refused mail
// token stops the start with one line on stderr and a non-zero exit, whichever process finds it.
// Only the version check is imported statically: everything else, the native SQLite addon among
// it, loads after the check has passed, so an old Node.js stops before anything is loaded or made.
import { nodeVersionRefusal } from './node-check.js';

async function main(): Promise<void> {
  const { default: cluster } = await import('node:cluster');
  const { loadConfig } = await import('./config/env.js');
  const { createLogger } = await import('./observability/logger.js');
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

async function reportFailure(error: unknown): Promise<void> {
  const { reportStartFailure } = await import('./cluster/start-failure.js');
  reportStartFailure(error);
}

const refusal = nodeVersionRefusal(process.versions.node);
if (refusal === undefined) {
  void main().catch(reportFailure);
} else {
  process.stderr.write(`${refusal}\n`);
  process.exitCode = 1;
}
