// What every scenario shares: the run's settings, the servers under test, one measured window
// (figures plus the CPU the server and everything else on the machine spent in it), the rotation of
// servers between repeats, and the shape of a scenario's result.
import { startWindow } from './cpu-usage.ts';
import type { Linkid } from './linkid.ts';
import type { LoadResult } from './load.ts';
import type { Server } from './processes.ts';
import type { Target } from './sign-in.ts';

export interface Settings {
  readonly quick: boolean;
  readonly repeats: number;
  /** Seconds of load per measured run of a fixed request, and of warm-up before it. */
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly refreshChains: number;
  readonly signInUsers: number;
  readonly signInSeconds: number;
  readonly openLoopRate: number;
  readonly openLoopCount: number;
  readonly saturationCount: number;
  readonly saturationConnections: number;
  readonly slowMailRate: number;
  readonly slowMailCount: number;
  readonly slowMailDelayMs: number;
  /** Users signing in at once, each waiting for its email at the slow provider. */
  readonly slowMailSignInUsers: number;
  readonly rssCheckpoints: readonly number[];
  readonly workers: readonly number[];
  /** Each WORKERS value starts its own linkids: fewer repeats keep the run bounded. */
  readonly workerRepeats: number;
}

export interface Servers {
  readonly linkid: Linkid;
  readonly bare: Server;
  /** The bare provider again, its artefacts in linkid's SQLite store (bench/servers/bare-provider.ts). */
  readonly bareStore: Server;
  /** The bare provider on a plain SQLite table (bench/servers/plain-sqlite-adapter.ts): the anchor for store-bound work. */
  readonly bareSqlite: Server;
  readonly hello: Server;
  readonly targets: { readonly linkid: Target; readonly bare: Target; readonly bareStore: Target; readonly bareSqlite: Target };
}

/** How the bench signs in to, and asks, one of the servers. */
export function targetOf(servers: Servers, server: Server): Target {
  if (server === servers.linkid) return servers.targets.linkid;
  if (server === servers.bareStore) return servers.targets.bareStore;
  return server === servers.bareSqlite ? servers.targets.bareSqlite : servers.targets.bare;
}

export interface Context {
  readonly settings: Settings;
  readonly servers: Servers;
  readonly logDir: string;
  /** taskset CPU lists (undefined when nothing is pinned): the load generator's, the servers', every core. */
  readonly cpus: { readonly load: string | undefined; readonly servers: string | undefined; readonly all: string | undefined };
  readonly log: (line: string) => void;
}

export interface Figure {
  readonly server: string;
  readonly repeat: number;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU the server's processes spent per operation, in microseconds. */
  readonly cpuUsPerOp: number;
  /** CPU used by processes outside the bench during the run, in cores. */
  readonly otherCores: number;
  readonly ops: number;
  readonly seconds: number;
  readonly extra?: Readonly<Record<string, number>>;
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  /** What one operation is, e.g. "request", "sign-in". */
  readonly op: string;
  readonly note: string;
  readonly figures: readonly Figure[];
  /** Figures that are not per-server runs (RSS checkpoints, process counts). */
  readonly facts?: Readonly<Record<string, unknown>>;
}

/** Runs `run` as one measured window of the server with pid `pid`. */
export async function measured(
  server: { readonly name: string; readonly pid: number },
  repeat: number,
  run: () => Promise<LoadResult & { readonly extra?: Record<string, number> }>,
): Promise<Figure> {
  const window = startWindow(server.pid);
  const load = await run();
  const usage = window.stop();
  return {
    server: server.name,
    repeat,
    opsPerSecond: load.ops / load.seconds,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    cpuUsPerOp: load.ops > 0 ? (usage.serverCpuSeconds * 1e6) / load.ops : Number.NaN,
    otherCores: usage.otherCores,
    ops: load.ops,
    seconds: load.seconds,
    ...(load.extra ? { extra: load.extra } : {}),
  };
}

/** The list started at a different place for each repeat, so no server is always measured first. */
export function rotated<T>(list: readonly T[], repeat: number): T[] {
  const shift = repeat % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

/** A unique address for each sign-in of a run. */
let addressCounter = 0;
export const freshAddress = (label: string) => `${label}-${process.pid}-${(addressCounter += 1)}@bench.example`;
