// /metrics for a cluster. Each worker counts in its own prom-client registry; a scrape must see
// the whole cluster, whichever process answers it, or counters would jump between workers'
// values. So the primary gathers: it asks every listening worker for its registry over IPC and
// sums them with its own (prom-client's AggregatorRegistry.aggregate: counters and histograms
// add up; gauges that every worker reads alike from the store say `aggregator: 'first'`). The
// primary serves METRICS_PORT itself; a worker asked for /metrics on PORT asks the primary.
// A worker that does not answer in time fails the scrape (503) rather than giving a partial sum,
// which Prometheus would read as counters reset.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { httpRequestHistogram } from '../observability/metrics.js';
import { isMessage, type ClusterMessage, type MetricsJson } from './messages.js';

const GATHER_TIMEOUT_MS = 5_000;

export interface PrimaryMetrics {
  /** The primary's own: its process metrics, worker count, restarts, and its METRICS_PORT scrapes. */
  readonly registry: Registry;
  observeRequest(labels: { route: string; method: string; status: number }, seconds: number): void;
  workerRestarted(): void;
  /** The whole cluster's metrics as Prometheus text. */
  readonly gather: () => Promise<string>;
}

interface Gathering {
  readonly waitingFor: Set<number>;
  readonly replies: MetricsJson[];
  done(error?: Error): void;
}

/** Call once in the primary, before forking; `listening` names the workers that serve requests. */
export function createPrimaryMetrics(listening: () => Worker[]): PrimaryMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const http = httpRequestHistogram([registry]);
  new Gauge({
    name: 'linkid_workers',
    help: 'Worker processes serving requests (WORKERS)',
    registers: [registry],
    collect() {
      this.set(listening().length);
    },
  });
  const restarts = new Counter({ name: 'linkid_worker_restarts_total', help: 'Workers started again after one died', registers: [registry] });

  const gatherings = new Map<number, Gathering>();
  let nextId = 0;

  const gather = async (): Promise<string> => {
    const id = nextId++;
    const workers = listening();
    const replies: MetricsJson[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => gathering.done(new Error('a worker did not send its metrics in time')), GATHER_TIMEOUT_MS);
      const gathering: Gathering = {
        waitingFor: new Set(workers.map((worker) => worker.id)),
        replies,
        done(error) {
          clearTimeout(timer);
          gatherings.delete(id);
          if (error) reject(error);
          else resolve();
        },
      };
      gatherings.set(id, gathering);
      const request: ClusterMessage = { linkid: 'metrics-request', id };
      for (const worker of workers) worker.send(request);
      if (workers.length === 0) gathering.done();
    });
    replies.push(await registry.getMetricsAsJSON());
    return AggregatorRegistry.aggregate(replies).metrics();
  };

  cluster.on('message', (worker, message: unknown) => {
    if (isMessage(message, 'metrics')) {
      const gathering = gatherings.get(message.id);
      if (!gathering?.waitingFor.delete(worker.id)) return;
      if (message.error !== undefined || !message.metrics) {
        gathering.done(new Error(`worker ${worker.id} could not read its metrics: ${message.error ?? 'no metrics'}`));
        return;
      }
      gathering.replies.push(message.metrics);
      if (gathering.waitingFor.size === 0) gathering.done();
    } else if (isMessage(message, 'scrape')) {
      const answer = (result: Omit<Extract<ClusterMessage, { linkid: 'scrape-result' }>, 'linkid' | 'id'>) => {
        if (worker.isConnected()) worker.send({ linkid: 'scrape-result', id: message.id, ...result } satisfies ClusterMessage);
      };
      gather().then(
        (text) => answer({ text }),
        (error: unknown) => answer({ error: (error as Error).message }),
      );
    }
  });
  // A worker that exits while being asked is gone: the sum is of the workers that still serve.
  cluster.on('exit', (worker) => {
    for (const gathering of [...gatherings.values()]) {
      if (gathering.waitingFor.delete(worker.id) && gathering.waitingFor.size === 0) gathering.done();
    }
  });

  return {
    registry,
    observeRequest: ({ route, method, status }, seconds) => http.observe({ route, method, status: String(status) }, seconds),
    workerRestarted: () => restarts.inc(),
    gather,
  };
}

/** A worker's side of the gathering. */
export interface MetricsLink {
  /** The whole cluster's metrics, from the primary: what this worker's /metrics answers. */
  readonly scrape: () => Promise<string>;
  /** From now on, answer the primary's requests with this registry (before the worker listens). */
  answerWith(registry: Registry): void;
}

/** Call once in a worker. */
export function linkMetricsToPrimary(): MetricsLink {
  const send = (message: ClusterMessage) => process.send?.(message);
  const scrapes = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
  let nextId = 0;
  let own: Registry | undefined;
  process.on('message', (message: unknown) => {
    if (isMessage(message, 'metrics-request')) {
      const id = message.id;
      (own ? own.getMetricsAsJSON() : Promise.reject(new Error('not serving yet'))).then(
        (metrics) => send({ linkid: 'metrics', id, metrics }),
        (error: unknown) => send({ linkid: 'metrics', id, error: (error as Error).message }),
      );
    } else if (isMessage(message, 'scrape-result')) {
      const scrape = scrapes.get(message.id);
      scrapes.delete(message.id);
      if (message.text !== undefined) scrape?.resolve(message.text);
      else scrape?.reject(new Error(message.error ?? 'no metrics'));
    }
  });
  return {
    answerWith(registry) {
      own = registry;
    },
    scrape: () =>
      new Promise<string>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          scrapes.delete(id);
          reject(new Error('the primary did not send the metrics in time'));
        }, GATHER_TIMEOUT_MS * 2);
        scrapes.set(id, {
          resolve(text) {
            clearTimeout(timer);
            resolve(text);
          },
          reject(error) {
            clearTimeout(timer);
            reject(error);
          },
        });
        send({ linkid: 'scrape', id });
      }),
  };
}
