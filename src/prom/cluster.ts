// Metrics shared between processes (node:cluster workers, or any processes on
// one host): the `shared` option every tophash/prom metric takes, and the
// ClusterRegistry whose clusterMetrics() renders the merged view with no IPC.
// Each metric lives in its own shared-memory segment, named after the
// cluster's name and the metric's (see Aggregator's `shared` option).
import * as client from 'prom-client';

import { Aggregator } from '../metrics/aggregator';
import { typeError } from '../runtime/errors';
import { Registry } from './registry';
import { isObject } from './shared';

/** The `shared` option of tophash/prom's Histogram, Counter and Gauge. */
export interface SharedMetricOptions {
  /**
   * Share the metric between the processes of this host that create it with the same `name`
   * (every node:cluster worker, say): each process records as usual, and reads and scrapes (any
   * process's, for instance through a {@link ClusterRegistry}) see every process's series merged.
   * A Histogram merges buckets, counts and sums; a Counter or Gauge sums every process's value
   * (prom-client's cluster default). A process that exits or is killed keeps what it last
   * published (every `flushMs`, default 1000, and on every scrape) counted. `remove`, `reset` and a
   * Histogram's `zero` throw `ENOTSUP` on a shared metric.
   */
  shared?: {
    /** The cluster's name: every process that creates the metric with it shares the metric. */
    name: string;
    /** How often this process publishes its series unprompted, in ms (default 1000; 0: only on scrapes). */
    flushMs?: number;
  };
}

/** The segment of metric `metricName` in cluster `name`. */
export function segmentName(name: string, metricName: string): string {
  return `${name}.${metricName}`;
}

/** The checked `shared` option of a metric config, or undefined. */
export function sharedOption(config: unknown): { name: string; flushMs: number } | undefined {
  if (!isObject(config)) return undefined;
  const shared = (config as SharedMetricOptions).shared;
  if (shared === undefined) return undefined;
  if (!isObject(shared) || typeof shared.name !== 'string') {
    throw typeError('an object { name: string }', 'config.shared', shared);
  }
  return { name: shared.name, flushMs: shared.flushMs ?? 1000 };
}

/**
 * prom-client's `AggregatorRegistry` for tophash/prom metrics created with `shared`: any process
 * renders the merged exposition of every process from shared memory, with no IPC and no
 * waiting on workers. Metrics without `shared` render this process's own values.
 *
 * @example
 * ```ts
 * // in every node:cluster worker
 * const registry = new ClusterRegistry();
 * new Histogram({ name: 'http_request_duration_seconds', help: '...', labelNames: ['route'],
 *   registers: [registry], shared: { name: 'my-app' } });
 * // GET /metrics, answered by whichever worker got the request:
 * res.end(await registry.clusterMetrics());
 * ```
 */
export class ClusterRegistry<
  ContentType extends client.RegistryContentType = client.PrometheusContentType,
> extends Registry<ContentType> {
  /** The merged exposition of every process (the name prom-client's AggregatorRegistry uses). */
  async clusterMetrics(): Promise<string> {
    return this.metrics();
  }

  /**
   * Removes the segments of cluster `name`'s metrics, for a fresh start (call it in the primary
   * before forking workers); processes that have them open keep using them.
   *
   * @param name - the `shared.name` the metrics were created with
   * @param metricNames - their names
   */
  static unlinkShared(name: string, metricNames: readonly string[]): void {
    for (const metric of metricNames) Aggregator.unlinkShared(segmentName(name, metric));
  }
}
