// tophash/prom's Counter: prom-client's class with one number per series.
import { format } from 'node:util';

import * as client from 'prom-client';

import type { ExpositionFamily } from '../metrics/exposition';
import type { LabelIndex, LabelObject } from '../metrics/label-index';
import { fastFormatRegisters } from './registry';
import {
  FAMILY,
  isObject,
  labelsFromArgs,
  rejectExemplars,
  rejectUnknownConfig,
  SERIES_STATS,
  type LabelValues,
  type SeriesStats,
} from './shared';
import {
  removeValueSeries,
  resetValueSeries,
  valueFamilies,
  valueSeriesStats,
  valueIndex,
  valueMetricObject,
  refuseShared,
  sharedValuesFor,
  type SharedValues,
  type ValueSeries,
} from './value-series';
import { sharedOption, type SharedMetricOptions } from './cluster';
import { SeriesPolicy, seriesOptions, type SeriesLimitOptions } from './series-policy';

/** A counter child bound to one label set, as `labels(...)` returns it. */
export interface CounterChild {
  /** Adds value (default 1) for the bound labels. */
  inc(value?: number): void;
}

/**
 * prom-client's `Counter`: same options and methods, series found through nested Maps of label
 * values instead of a hashed label string. No exemplars.
 */
export class Counter<T extends string = string> extends client.Counter<T> {
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
  private index!: LabelIndex<ValueSeries>;
  private shared?: SharedValues;
  private policy!: SeriesPolicy;

  /**
   * Creates the counter and registers it in `config.registers` (default: the global registry).
   *
   * @param config - prom-client's counter options: `name`, `help`, `labelNames`, `registers`,
   *   `aggregator`, `collect`; and tophash's `shared` (see {@link SharedMetricOptions}),
   *   `maxSeries` and `ttl` (see {@link SeriesLimitOptions})
   */
  constructor(config: client.CounterConfiguration<T> & SharedMetricOptions & SeriesLimitOptions) {
    rejectExemplars(config, 'Counter');
    rejectUnknownConfig(config, ['shared', 'maxSeries', 'ttl']);
    // Checked before prom-client registers the metric.
    const limits = seriesOptions(config, sharedOption(config) !== undefined);
    super(config);
    delete (this as { inc?: unknown }).inc;
    this.policy = new SeriesPolicy(limits);
    this.index = valueIndex([...this.labelNames] as string[], this.policy);
    this.reset();
    this.shared = sharedValuesFor(config, this, () => this.index);
    fastFormatRegisters(this as { registers?: unknown });
  }

  /**
   * Adds value (default 1), optionally for a label set.
   *
   * @param labels - the label values (or the value itself)
   * @param value - the increment, >= 0
   */
  inc(labels: LabelValues<T>, value?: number): void;
  inc(value?: number): void;
  inc(incData: client.IncreaseDataWithExemplar<T>): void;
  inc(labels?: unknown, value?: unknown): void {
    let series: ValueSeries;
    if (isObject(labels)) {
      const delta = counterDelta(value);
      series = this.index.find(labels as LabelObject) ?? this.index.resolve(labels as LabelObject);
      series.value += delta;
    } else {
      const delta = counterDelta(labels);
      series = this.index.find({}) ?? this.index.resolve({});
      series.value += delta;
    }
    series.seen = this.policy.clock.now;
  }

  /** Events that went to the overflow series (see {@link SeriesLimitOptions.maxSeries}) since the counter was created. */
  get overflowEvents(): number {
    return this.policy.overflowEvents;
  }

  /**
   * A child bound to one label set: `inc(value?)`.
   *
   * @param values - an object of label values, or the values in labelNames order
   */
  labels(...values: string[]): client.Counter.Internal;
  labels(labels: LabelValues<T>): client.Counter.Internal;
  labels(...args: unknown[]): CounterChild {
    const labels = labelsFromArgs(this.labelNames, args);
    let series: ValueSeries | undefined;
    // Read once: without a ttl the child's hot path is a constant test, not three loads and a store.
    const clock = this.policy.hotClock;
    return {
      inc: (value?: number) => {
        const delta = counterDelta(value);
        if (series === undefined || !series.alive) series = this.index.resolve(labels);
        series.value += delta;
        if (clock !== undefined) series.seen = clock.now;
      },
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
    refuseShared(this.shared, 'remove()');
    removeValueSeries(this, this.index, args);
  }

  /** Removes every series; an unlabelled counter restarts at 0, as in prom-client. */
  reset(): void {
    // prom-client's constructor calls reset() before this class has set its fields.
    if (this.index === undefined) return super.reset();
    refuseShared(this.shared, 'reset()');
    resetValueSeries(this.index);
  }

  /** The metric as prom-client's registry reads it. */
  async get(): Promise<client.MetricObjectWithValues<client.MetricValue<T>>> {
    const metric = await valueMetricObject(this, this.index, this.shared, this.policy);
    return metric as client.MetricObjectWithValues<client.MetricValue<T>>;
  }

  /** @internal */
  async [FAMILY](): Promise<ExpositionFamily[]> {
    return valueFamilies(this, 'counter', this.index, this.shared, this.policy);
  }

  /** @internal */
  [SERIES_STATS](): SeriesStats {
    return valueSeriesStats(this.index, this.policy);
  }
}

/** A counter increment, checked before any series is created (as prom-client does). */
function counterDelta(value: unknown): number {
  if (value !== undefined && value !== null && (typeof value !== 'number' || value - value !== 0)) {
    throw new TypeError(`Value is not a valid number: ${format(value)}`);
  }
  if ((value as number) < 0) throw new Error('It is not possible to decrease a counter');
  return value === undefined || value === null ? 1 : value;
}
