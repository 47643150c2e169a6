// What a cluster's primary and its workers say to each other over node:cluster's IPC channel, in
// one place so both ends agree. Every message carries `linkid` (its kind), so messages of other
// libraries on the same channel are told apart and ignored.
import type { Registry } from 'prom-client';

/** One registry's metrics as prom-client exports them for aggregation. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

export type ClusterMessage =
  /** Worker to primary: the one line that says why this worker could not start. */
  | { readonly linkid: 'start-failed'; readonly message: string }
  /** Primary to worker: send me your own metrics. */
  | { readonly linkid: 'metrics-request'; readonly id: number }
  /** Worker to primary: my own metrics, or why I cannot give them. */
  | { readonly linkid: 'metrics'; readonly id: number; readonly metrics?: MetricsJson; readonly error?: string }
  /** Worker to primary: /metrics was asked of me; send me the whole cluster's. */
  | { readonly linkid: 'scrape'; readonly id: number }
  /** Primary to worker: the whole cluster's metrics as Prometheus text, or why there are none. */
  | { readonly linkid: 'scrape-result'; readonly id: number; readonly text?: string; readonly error?: string };

type Kind = ClusterMessage['linkid'];

export function isMessage<K extends Kind>(value: unknown, kind: K): value is Extract<ClusterMessage, { linkid: K }> {
  return typeof value === 'object' && value !== null && (value as { linkid?: unknown }).linkid === kind;
}
