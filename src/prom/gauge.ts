// tophash/prom's Gauge: prom-client's class with one number per series.
import { format } from 'node:util';

import * as client from 'prom-client';

import type { ExpositionFamily } from '../metrics/exposition';
import { copyLabels, type LabelIndex, type LabelObject } from '../metrics/label-index';
import { fastFormatRegisters } from './registry';
import {
  checkLabelNames,
  FAMILY,
  isObject,
  labelsFromArgs,
  rejectExemplars,
  rejectUnknownConfig,
  SERIES_STATS,
  startTimer,
  type LabelValues,
  type SeriesStats,
} from './shared';
import {
  removeValueSeries,
  resetValueSeries,
  sameLabels,
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

/** A gauge child bound to one label set, as `labels(...)` returns it. */
export interface GaugeChild<T extends string> {
  /** Adds value (default 1). */
  inc(value?: number): void;
  /** Subtracts value (default 1). */
  dec(value?: number): void;
  /** Sets the value. */
  set(value: number): void;
  /** Sets the value to the current Unix time in seconds. */
  setToCurrentTime(): void;
  /** Starts a timer; the returned function sets the elapsed seconds (and returns them). */
  startTimer(): (labels?: LabelValues<T>) => number;
}

/**
 * prom-client's `Gauge`: same options and methods, series found through nested Maps of label
 * values instead of a hashed label string.
 */
export class Gauge<T extends string = string> extends client.Gauge<T> {
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
   * Creates the gauge and registers it in `config.registers` (default: the global registry).
   *
   * @param config - prom-client's gauge options: `name`, `help`, `labelNames`, `registers`,
   *   `aggregator`, `collect`; and tophash's `shared` (see {@link SharedMetricOptions}),
   *   `maxSeries` and `ttl` (see {@link SeriesLimitOptions})
   */
  constructor(config: client.GaugeConfiguration<T> & SharedMetricOptions & SeriesLimitOptions) {
    rejectExemplars(config, 'Gauge');
    rejectUnknownConfig(config, ['shared', 'maxSeries', 'ttl']);
    // Checked before prom-client registers the metric.
    const limits = seriesOptions(config, sharedOption(config) !== undefined);
    super(config);
    this.policy = new SeriesPolicy(limits);
    this.index = valueIndex([...this.labelNames] as string[], this.policy);
    this.reset();
    this.shared = sharedValuesFor(config, this, () => this.index);
    fastFormatRegisters(this as { registers?: unknown });
  }

  // Every update goes through here: the series is stamped as updated now.
  private seriesFor(labels: unknown): ValueSeries {
    const object = (isObject(labels) ? labels : {}) as LabelObject;
    const series = this.index.find(object) ?? this.index.resolve(object);
    series.seen = this.policy.clock.now;
    return series;
  }

  /** Events that went to the overflow series (see {@link SeriesLimitOptions.maxSeries}) since the gauge was created. */
  get overflowEvents(): number {
    return this.policy.overflowEvents;
  }

  /**
   * Sets the value, optionally for a label set: `set(value)` or `set(labels, value)`.
   *
   * @param value - the new value
   */
  set(value: number): void;
  set(labels: LabelValues<T>, value: number): void;
  set(labels: unknown, value?: unknown): void {
    if (!isObject(labels)) value = labels;
    if (typeof value !== 'number') throw new TypeError(`Value is not a valid number: ${format(value)}`);
    const series = this.seriesFor(labels);
    series.value = value;
    // prom-client's set() keeps the label object it was given last (inc and dec keep the
    // first): `true` and 'true' are one series, reported as the latest spelling.
    if (isObject(labels) && series !== this.index.overflow && !sameLabels(series.labels, labels as LabelObject)) {
      series.labels = copyLabels(labels as LabelObject);
    }
  }

  /**
   * Adds value (default 1), optionally for a label set: `inc(value?)` or `inc(labels, value?)`.
   *
   * @param value - the delta
   */
  inc(value?: number): void;
  inc(labels: LabelValues<T>, value?: number): void;
  inc(labels?: unknown, value?: unknown): void {
    if (!isObject(labels)) value = labels;
    this.addDelta(labels, value === undefined ? 1 : value);
  }

  /**
   * Subtracts value (default 1), optionally for a label set: `dec(value?)` or `dec(labels, value?)`.
   *
   * @param value - the delta to subtract
   */
  dec(value?: number): void;
  dec(labels: LabelValues<T>, value?: number): void;
  dec(labels?: unknown, value?: unknown): void {
    if (!isObject(labels)) value = labels;
    this.addDelta(labels, value === undefined ? -1 : -(value as number));
  }

  private addDelta(labels: unknown, delta: unknown): void {
    if (typeof delta !== 'number') throw new TypeError(`Delta is not a valid number: ${format(delta)}`);
    this.seriesFor(labels).value += delta;
  }

  /**
   * Sets the value to the current Unix time in seconds.
   *
   * @param labels - the label set
   */
  setToCurrentTime(labels?: LabelValues<T>): void {
    const now = Date.now() / 1000;
    if (labels === undefined) this.set(now);
    else this.set(labels, now);
  }

  /**
   * Starts a timer; the returned function sets the elapsed seconds for `labels` merged with the
   * labels passed to it, and returns them.
   *
   * @param labels - labels to set under
   */
  startTimer(labels?: LabelValues<T>): (labels?: LabelValues<T>) => number {
    return startTimer(labels, (all, value) => this.set(all, value));
  }

  /**
   * A child bound to one label set: `inc`, `dec`, `set`, `setToCurrentTime`, `startTimer`.
   *
   * @param values - an object of label values, or the values in labelNames order
   */
  labels(...values: string[]): client.Gauge.Internal<T>;
  labels(labels: LabelValues<T>): client.Gauge.Internal<T>;
  labels(...args: unknown[]): GaugeChild<T> {
    const labels = labelsFromArgs(this.labelNames, args) as LabelValues<T>;
    checkLabelNames(this.labelNames, labels);
    return {
      inc: (value?: number) => this.inc(labels, value),
      dec: (value?: number) => this.dec(labels, value),
      set: (value: number) => this.set(labels, value),
      setToCurrentTime: () => this.setToCurrentTime(labels),
      startTimer: () => this.startTimer(labels),
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

  /** Removes every series; an unlabelled gauge restarts at 0, as in prom-client. */
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
    return valueFamilies(this, 'gauge', this.index, this.shared, this.policy);
  }

  /** @internal */
  [SERIES_STATS](): SeriesStats {
    return valueSeriesStats(this.index, this.policy);
  }
}
