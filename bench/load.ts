// The three ways the bench applies load. autocannon for fixed requests (discovery, JWKS,
// introspection); a closed loop of K workers for operations that carry state from one request to
// the next (refresh chains, sign-ins); and an open loop that starts operations on a fixed schedule
// whatever the server does, with latency counted from the scheduled start, so a slow server cannot
// slow the clock that measures it (no coordinated omission).
import autocannon from 'autocannon';

export interface LoadResult {
  /** Operations completed (2xx, or a sign-in that reached its tokens). */
  readonly ops: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const summary = (latencies: number[], ops: number, seconds: number): LoadResult => {
  latencies.sort((a, b) => a - b);
  return { ops, seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
};

export interface FixedRequest {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** autocannon with `connections` connections for `seconds`; any non-2xx answer or error fails the run. */
export async function hammer(request: FixedRequest, connections: number, seconds: number): Promise<LoadResult> {
  const result = await autocannon({ ...request, connections, duration: seconds });
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0) throw new Error(`${request.method ?? 'GET'} ${request.url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  return { ops: result['2xx'], seconds: result.duration, p50Ms: result.latency.p50, p99Ms: result.latency.p99 };
}

/**
 * K workers, each running `op` again as soon as its previous one finished, until `seconds` have
 * passed or `count` operations have started. `op` gets the worker's index and a running number.
 */
export async function closedLoop(
  workers: number,
  until: { seconds?: number; count?: number },
  op: (worker: number, n: number) => Promise<void>,
): Promise<LoadResult> {
  const started = performance.now();
  const deadline = until.seconds === undefined ? Infinity : started + until.seconds * 1000;
  const latencies: number[] = [];
  let next = 0;
  const worker = async (index: number) => {
    while (performance.now() < deadline && (until.count === undefined || next < until.count)) {
      const n = next++;
      const begin = performance.now();
      await op(index, n);
      latencies.push(performance.now() - begin);
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, index) => worker(index)));
  return summary(latencies, latencies.length, (performance.now() - started) / 1000);
}

/** `count` operations started at `perSecond`, on schedule; latency from each one's scheduled start. */
export async function openLoop(perSecond: number, count: number, op: (n: number) => Promise<void>): Promise<LoadResult & { readonly lateStarts: number }> {
  const started = performance.now();
  const latencies: number[] = [];
  const running: Promise<void>[] = [];
  let lateStarts = 0;
  let failure: Error | undefined;
  for (let n = 0; n < count && failure === undefined; n += 1) {
    const due = started + (n * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    // A start more than 10 ms behind schedule means the load generator itself could not keep up.
    if (performance.now() - due > 10) lateStarts += 1;
    running.push(
      op(n).then(
        () => void latencies.push(performance.now() - due),
        (error: unknown) => void (failure ??= error instanceof Error ? error : new Error(String(error))),
      ),
    );
  }
  await Promise.all(running);
  if (failure !== undefined) throw failure;
  return { ...summary(latencies, latencies.length, (performance.now() - started) / 1000), lateStarts };
}
