// A Registry's metrics about its own tophash metrics (`selfMetrics: true`):
// series held, events sent to the overflow series, series expired, memory.
// Each family is a metric object registered in the registry like any other,
// so every way a registry renders (the fast text, prom-client's formatting
// with default labels, OpenMetrics, getMetricsAsJSON, merge) includes it.
import type * as client from 'prom-client';

import type { ExpositionFamily } from '../metrics/exposition';
import { FAMILY, SERIES_STATS, type ReportsSeries, type SeriesStats } from './shared';

interface SelfFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  read: (stats: SeriesStats) => number;
}

const FAMILIES: readonly SelfFamily[] = [
  {
    name: 'tophash_series',
    help: 'Series the metric holds, its overflow series included.',
    type: 'gauge',
    read: (s) => s.series,
  },
  {
    name: 'tophash_overflow_events_total',
    help: 'Events recorded into the overflow series of the metric (new label sets past maxSeries).',
    type: 'counter',
    read: (s) => s.overflowEvents,
  },
  {
    name: 'tophash_expired_series_total',
    help: 'Series of the metric removed because they were not updated for its ttl.',
    type: 'counter',
    read: (s) => s.expiredSeries,
  },
  {
    name: 'tophash_memory_bytes',
    help: "Bytes the metric holds: its aggregator's off-heap bytes and an estimate of its series' JavaScript heap.",
    type: 'gauge',
    read: (s) => s.bytes,
  },
];

function reportsSeries(metric: unknown): metric is ReportsSeries & { name: string } {
  return typeof metric === 'object' && metric !== null && SERIES_STATS in metric;
}

/** One self-metric family, as a metric object prom-client's registry accepts. */
class SelfMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly labelNames = ['metric'];
  readonly aggregator = 'sum';

  constructor(
    private readonly registry: client.Registry,
    private readonly family: SelfFamily,
  ) {
    this.name = family.name;
    this.help = family.help;
    this.type = family.type;
  }

  /** The registry's tophash metrics, by name, and this family's value for each. */
  private readings(): { metric: string; value: number }[] {
    const out: { metric: string; value: number }[] = [];
    for (const metric of this.registry.getMetricsAsArray() as unknown[]) {
      if (reportsSeries(metric)) {
        out.push({ metric: metric.name, value: this.family.read(metric[SERIES_STATS]()) });
      }
    }
    return out;
  }

  get(): Promise<unknown> {
    const values = this.readings().map(({ metric, value }) => ({ value, labels: { metric } }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  [FAMILY](): Promise<ExpositionFamily[]> {
    const series = this.readings().map(({ metric, value }) => ({ labelValues: [metric], value }));
    return Promise.resolve([
      { name: this.name, help: this.help, type: this.family.type, labelNames: ['metric'], series },
    ]);
  }

  // Nothing to reset: the values are read from the metrics on every scrape.
  reset(): void {}
}

/** Registers the self-metric families in registry. */
export function registerSelfMetrics(registry: client.Registry): void {
  for (const family of FAMILIES) registry.registerMetric(new SelfMetric(registry, family) as unknown as client.Metric);
}
