// tophash/prom's Summary: prom-client's class, its quantiles from a mergeable
// native sketch with a stated relative error over prom-client's sliding window
// (native/core/quantile_sketch.h, sketch_window.h; staged by
// src/metrics/summary-sketches.ts).
import { format } from 'node:util';

import * as client from 'prom-client';

import { LabelIndex, type IndexedSeries, type LabelObject } from '../metrics/label-index';
import { SummarySketches } from '../metrics/summary-sketches';
import { rangeError, typeError } from '../runtime/errors';
import { OVERFLOW_LABEL, SeriesPolicy, seriesOptions, seriesStatsOf, type SeriesLimitOptions } from './series-policy';
import {
  checkLabelNames,
  isObject,
  labelsFromArgs,
  rejectUnknownConfig,
  runCollect,
  SERIES_STATS,
  startTimer,
  type LabelValues,
  type SeriesStats,
} from './shared';

interface SummarySeries extends IndexedSeries {
  count: number;
  sum: number;
  /** The series' window in the metric's native sketches. */
  slot: number;
}

/** A summary child bound to one label set, as `labels(...)` returns it. */
export interface SummaryChild<T extends string> {
  /** Observes value for the bound labels. */
  observe(value: number): void;
  /** Starts a timer; the returned function observes the elapsed seconds (and returns them). */
  startTimer(): (labels?: LabelValues<T>) => number;
}

function checkOptions(config: unknown): void {
  if (!isObject(config)) return;
  // compressCount tunes prom-client's t-digest and has no counterpart here; it is accepted so that
  // prom-client code moves over unchanged.
  rejectUnknownConfig(config, [
    'percentiles',
    'maxAgeSeconds',
    'ageBuckets',
    'pruneAgedBuckets',
    'compressCount',
    'maxSeries',
    'ttl',
  ]);
  const { percentiles, maxAgeSeconds, ageBuckets } = config as client.SummaryConfiguration<string>;
  if (percentiles !== undefined) {
    if (!Array.isArray(percentiles)) throw typeError('an array of quantiles', 'config.percentiles', percentiles);
    percentiles.forEach((q: unknown, i) => {
      if (typeof q !== 'number') throw typeError('a number in [0, 1]', `config.percentiles[${i}]`, q);
      if (!(q >= 0 && q <= 1)) throw rangeError('a number in [0, 1]', `config.percentiles[${i}]`, q);
    });
  }
  if (maxAgeSeconds !== undefined) {
    if (typeof maxAgeSeconds !== 'number') throw typeError('a positive number', 'config.maxAgeSeconds', maxAgeSeconds);
    if (!(maxAgeSeconds > 0 && maxAgeSeconds < Infinity)) {
      throw rangeError('a positive number', 'config.maxAgeSeconds', maxAgeSeconds);
    }
  }
  if (ageBuckets !== undefined) {
    if (typeof ageBuckets !== 'number') throw typeError('a positive integer', 'config.ageBuckets', ageBuckets);
    if (!Number.isSafeInteger(ageBuckets) || ageBuckets < 1) {
      throw rangeError('a positive integer', 'config.ageBuckets', ageBuckets);
    }
  }
}

/**
 * prom-client's `Summary`: same options (`percentiles`, `maxAgeSeconds`, `ageBuckets`,
 * `pruneAgedBuckets`) and methods, its quantiles from a native DDSketch-style sketch whose every
 * quantile is within a relative error of 1 % of the exact one (prom-client's t-digest gives no
 * bound). With `maxAgeSeconds` and `ageBuckets` the window slides as
 * prom-client's does; a value goes into its own period's sketch only, and a read merges the periods.
 * The `q`-quantile is the value of rank `floor(q (count - 1))`; `_sum` and `_count` cover every
 * observation, as in prom-client. `maxSeries` and `ttl` work as on the other metrics: label sets
 * past the limit share one overflow series (its own window), and a series idle for `ttl` ms is
 * removed before the next read, its window freed.
 */
export class Summary<T extends string = string> extends client.Summary<T> {
  /** The metric name. */
  declare readonly name: string;
  /** The help text. */
  declare readonly help: string;
  /** The metric type, as prom-client's registry reads it. */
  declare readonly type: string;
  /** The label names, in the order positional `labels(...)` values follow. */
  declare readonly labelNames: readonly T[];
  /** How prom-client's cluster registry aggregates this metric across workers. */
  declare readonly aggregator: client.Aggregator;
  /** The quantiles exported. */
  declare readonly percentiles: readonly number[];
  declare private readonly maxAgeSeconds?: number;
  declare private readonly ageBuckets?: number;
  declare private readonly pruneAgedBuckets?: boolean;
  private index!: LabelIndex<SummarySeries>;
  private policy!: SeriesPolicy;
  private sketches!: SummarySketches;
  private qs!: Float64Array;
  private out!: Float64Array;

  /**
   * Creates the summary and registers it in `config.registers` (default: the global registry).
   *
   * @param config - prom-client's summary options: `name`, `help`, `labelNames`, `percentiles`,
   *   `maxAgeSeconds`, `ageBuckets`, `pruneAgedBuckets`, `registers`, `aggregator`, `collect`
   */
  constructor(config: client.SummaryConfiguration<T> & SeriesLimitOptions) {
    checkOptions(config);
    const limits = seriesOptions(config, false);
    super(config);
    const names = [...this.labelNames] as string[];
    this.sketches = new SummarySketches(this.maxAgeSeconds, this.ageBuckets);
    this.qs = Float64Array.from(this.percentiles);
    this.out = new Float64Array(this.qs.length);
    const policy = new SeriesPolicy(limits);
    this.policy = policy;
    const series = (labels: Record<string, string | number>, values: string[]): SummarySeries => ({
      labels,
      values,
      alive: true,
      seen: policy.clock.now,
      count: 0,
      sum: 0,
      slot: this.sketches.open(),
    });
    const limit =
      limits.maxSeries === undefined
        ? undefined
        : { maxSeries: limits.maxSeries, overflow: () => series({ [OVERFLOW_LABEL]: 'true' }, []) };
    this.index = new LabelIndex<SummarySeries>(names, series, limit);
    // prom-client starts an unlabelled summary with its one (empty) series.
    if (names.length === 0) this.index.resolve({});
  }

  /** Observations recorded into the overflow series (label sets past `maxSeries`) so far. */
  get overflowEvents(): number {
    return this.policy.overflowEvents;
  }

  /**
   * Observes a value, optionally for a label set: `observe(value)` or `observe(labels, value)`.
   *
   * @param value - the observation
   */
  observe(value: number): void;
  observe(labels: LabelValues<T>, value: number): void;
  observe(labels: unknown, value?: unknown): void {
    if (!isObject(labels)) {
      value = labels;
      labels = {};
    }
    this.record(this.index.resolve(labels as LabelObject), value);
  }

  private record(series: SummarySeries, value: unknown): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(`Value is not a valid number: ${format(value)}`);
    }
    this.sketches.add(series.slot, value);
    series.count++;
    series.sum += value;
    series.seen = this.policy.clock.now;
    if (series === this.index.overflow) this.policy.overflowEvents++;
  }

  /**
   * Starts a timer; the returned function observes the elapsed seconds for `labels` merged with
   * the labels passed to it, and returns them.
   *
   * @param labels - labels to observe under
   */
  startTimer(labels?: LabelValues<T>): (labels?: LabelValues<T>) => number {
    return startTimer(labels, (all, value) => this.observe(all, value));
  }

  /**
   * A child bound to one label set: `observe(value)` and `startTimer()` without labels.
   *
   * @param values - an object of label values, or the values in labelNames order
   */
  labels(...values: string[]): client.Summary.Internal<T>;
  labels(labels: LabelValues<T>): client.Summary.Internal<T>;
  labels(...args: unknown[]): SummaryChild<T> {
    const labels = labelsFromArgs(this.labelNames, args);
    checkLabelNames(this.labelNames, labels);
    let series: SummarySeries | undefined;
    return {
      observe: (value: number) => {
        if (series === undefined || !series.alive) series = this.index.resolve(labels);
        this.record(series, value);
      },
      startTimer: () => this.startTimer(labels as LabelValues<T>),
    };
  }

  /**
   * Removes a label set's series.
   *
   * @param values - an object of label values, or the values in labelNames order
   */
  remove(...values: string[]): void;
  remove(labels: LabelValues<T>): void;
  remove(...args: unknown[]): void {
    const labels = labelsFromArgs(this.labelNames, args);
    checkLabelNames(this.labelNames, labels);
    const series = this.index.remove(labels);
    if (series !== undefined) this.sketches.close(series.slot);
  }

  /** Empties every series (they stay, at zero), as prom-client's reset() does. */
  reset(): void {
    // prom-client's constructor calls reset() before this class has set its fields.
    if (this.index === undefined) return super.reset();
    for (const series of this.index.allSeries()) {
      this.sketches.reset(series.slot);
      series.count = 0;
      series.sum = 0;
    }
  }

  /** The metric as prom-client's registry reads it (`getMetricsAsJSON` shape). */
  async get(): Promise<client.MetricObjectWithValues<client.MetricValueWithName<T>>> {
    await runCollect(this as { collect?: () => unknown });
    this.sweep();
    const values: { labels: Record<string, string | number>; value: number; metricName?: string }[] = [];
    for (const series of this.index.allSeries()) {
      const size = this.sketches.quantiles(series.slot, this.qs, this.out);
      if (this.pruneAgedBuckets && size === 0) {
        this.index.removeSeries(series);
        this.sketches.close(series.slot);
        continue;
      }
      const quantiles = this.out;
      this.percentiles.forEach((quantile, i) => {
        // prom-client reports an empty window's quantiles as 0.
        const value = quantiles[i];
        values.push({ labels: { quantile, ...series.labels }, value: Number.isNaN(value) ? 0 : value });
      });
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    } as unknown as client.MetricObjectWithValues<client.MetricValueWithName<T>>;
  }

  /** @internal */
  [SERIES_STATS](): SeriesStats {
    this.sweep();
    return seriesStatsOf(this.index, this.policy, this.sketches.stats().bytes);
  }

  // Removes the series idle for ttl, their windows freed.
  private sweep(): void {
    this.policy.sweep(this.index, (series) => this.sketches.close(series.slot));
  }
}
