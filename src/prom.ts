/**
 * `tophash/prom`: prom-client's `Histogram`, `Counter` and `Gauge` with the same options and
 * methods, registered in prom-client registries, whose hot path is tophash's {@link Aggregator}.
 * Swap the import and keep the rest:
 *
 * @example
 * ```ts
 * import { register } from 'prom-client';
 * import { Histogram } from 'tophash/prom'; // was: from 'prom-client'
 *
 * const latency = new Histogram({
 *   name: 'http_request_duration_seconds',
 *   help: 'Request latency',
 *   labelNames: ['route', 'method', 'status_code'],
 * });
 * latency.observe({ route: '/api', method: 'GET', status_code: 200 }, 0.012);
 * const text = await register.metrics(); // includes it, as before
 * ```
 *
 * prom-client is an optional peer dependency of tophash; this entry point needs it installed.
 *
 * @packageDocumentation
 */
import { format } from 'node:util';

import * as client from 'prom-client';

import { Aggregator, READ_ROWS, RENDER_TEXT, type AggHandle, type LabelKey } from './metrics/aggregator';
import { rangeError, typeError } from './runtime/errors';
import { renderFamilyBody, type ExpositionFamily, type ExpositionSeries } from './metrics/exposition';
import { compileObserve, copyLabels, LabelIndex, type IndexedSeries, type LabelObject } from './metrics/label-index';

export {
  renderPrometheus,
  renderOpenMetrics,
  escapeLabelValue,
  PROMETHEUS_CONTENT_TYPE,
  OPENMETRICS_CONTENT_TYPE,
} from './metrics/exposition';
export type { ExpositionFamily, ExpositionSeries } from './metrics/exposition';

/** prom-client's label object type: label name to value. */
export type LabelValues<T extends string> = client.LabelValues<T>;

// prom-client's defaults, so an unconfigured Histogram exports the same buckets.
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Marks tophash metrics so {@link Registry} can render them itself. */
const FAMILY = Symbol('tophash.prom.family');

interface RendersFamily {
  [FAMILY](): Promise<ExpositionFamily>;
}

/** Marks metrics that render their own text (histograms: natively, from the aggregator). */
const TEXT = Symbol('tophash.prom.text');

interface RendersText {
  /** The family's text, ending with a newline. */
  [TEXT](openMetrics: boolean): Promise<string>;
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

function rejectExemplars(config: { enableExemplars?: boolean } | undefined, className: string): void {
  if (isObject(config) && config.enableExemplars) {
    throw typeError(
      `enableExemplars false (tophash/prom ${className} has no exemplars)`,
      'config.enableExemplars',
      true,
    );
  }
}

/** prom-client's `labels(...)` arguments: an object, or values in labelNames order. */
function labelsFromArgs(names: readonly string[], args: readonly unknown[]): LabelObject {
  if (isObject(args[0])) return args[0] as LabelObject;
  if (names.length !== args.length) {
    throw new Error(
      `Invalid number of arguments (${args.length}): "${args.join(', ')}" for label names (${names.length}): "${names.join(', ')}".`,
    );
  }
  const labels: Record<string, string | number> = {};
  for (let i = 0; i < names.length; i++) labels[names[i]] = args[i] as string | number;
  return labels;
}

function seconds(start: [number, number]): number {
  const delta = process.hrtime(start);
  return delta[0] + delta[1] / 1e9;
}

async function runCollect(metric: { collect?: (this: never) => unknown }): Promise<void> {
  if (metric.collect) {
    const result = (metric.collect as (this: unknown) => unknown).call(metric);
    if (result instanceof Promise) await result;
  }
}

// ---------------------------------------------------------------------------------------------
// Histogram

interface HistogramSeries extends IndexedSeries {
  handle: AggHandle;
  /** The aggregator key as READ_ROWS spells it: label values joined by NUL ('0' without labels). */
  readonly key: string;
}

/** One series' aggregate as a scrape reads it. */
interface SeriesReading {
  count: number;
  sum: number;
  hist: ArrayLike<number> | undefined;
}

/** The value object prom-client's registry formats: one sample line. */
interface SampleValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string | number>;
  value: number;
  metricName?: string;
  exemplar?: null;
}

/** A histogram child bound to one label set, as `labels(...)` returns it. */
export interface HistogramChild<T extends string> {
  /** Observes value for the bound labels. */
  observe(value: number): void;
  /** Starts a timer; the returned function observes the elapsed seconds (and returns them). */
  startTimer(): (labels?: LabelValues<T>) => number;
}

/**
 * prom-client's `Histogram`, recording into a tophash {@link Aggregator} with the same `le`
 * buckets. Each label set's aggregator handle is cached in nested Maps keyed by the label values,
 * so a labelled `observe` is a few Map lookups and two typed-array writes; the arithmetic runs
 * natively once per batch of events. Reads (`get`, `register.metrics()`) flush first.
 *
 * Differences from prom-client: no exemplars; a missing label and an empty one are one series;
 * buckets must be finite and strictly increasing.
 */
export class Histogram<T extends string = string> extends client.Histogram<T> {
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
  private agg!: Aggregator<LabelKey> | Aggregator<number>;
  private index!: LabelIndex<HistogramSeries>;
  private bounds!: readonly number[];

  /**
   * Creates the histogram and registers it in `config.registers` (default: prom-client's global
   * registry), exactly as prom-client does.
   *
   * @param config - prom-client's histogram options: `name`, `help`, `labelNames`, `buckets`,
   *   `registers`, `aggregator`, `collect`
   */
  constructor(config: client.HistogramConfiguration<T>) {
    rejectExemplars(config, 'Histogram');
    const buckets = isObject(config) && config.buckets !== undefined ? config.buckets : DEFAULT_BUCKETS;
    checkBuckets(buckets);
    super(config);
    // prom-client installs observe as an own property; ours replaces it below.
    delete (this as { observe?: unknown }).observe;
    this.bounds = [...buckets];
    const names = [...this.labelNames] as string[];
    const hist = { buckets: this.bounds };
    const agg: Aggregator<LabelKey> | Aggregator<number> =
      names.length > 0
        ? new Aggregator<LabelKey>({ key: { labels: names }, hist })
        : new Aggregator<number>({ key: 'u64', hist });
    this.agg = agg;
    this.index = new LabelIndex<HistogramSeries>(names, (labels, values) => ({
      labels,
      values,
      alive: true,
      key: names.length > 0 ? values.join('\0') : '0',
      handle: names.length > 0 ? (agg as Aggregator<LabelKey>).handle(values) : (agg as Aggregator<number>).handle(0),
    }));
    // prom-client starts an unlabelled histogram with its one (zero) series.
    if (names.length === 0) this.index.resolve({});
    // Like prom-client, an own observe: this one compiled for labelNames (see compileObserve).
    const observeSlow = (labels: unknown, value: unknown) => this.observeSlow(labels, value);
    (this as { observe: unknown }).observe = compileObserve(this.index, observeSlow);
    fastFormatRegisters(this as { registers?: unknown });
  }

  /**
   * Observes a value, optionally for a label set: `observe(value)` or `observe(labels, value)`.
   *
   * @param value - the observation
   */
  observe(value: number): void;
  observe(labels: LabelValues<T>, value: number): void;
  observe(observeData: client.ObserveDataWithExemplar<T>): void;
  observe(labels: unknown, value?: unknown): void {
    // The hot path stays small enough for V8 to inline: a label set seen before and a finite value.
    if (typeof labels === 'object' && labels !== null && typeof value === 'number' && value - value === 0) {
      const series = this.index.find(labels as LabelObject);
      if (series !== undefined) {
        series.handle.record(value);
        return;
      }
    }
    this.observeSlow(labels, value);
  }

  private observeSlow(labels: unknown, value: unknown): void {
    if (!isObject(labels)) {
      value = labels;
      labels = {};
    }
    if (typeof value !== 'number' || value - value !== 0) {
      throw new TypeError(`Value is not a valid number: ${format(value)}`);
    }
    this.index.resolve(labels as LabelObject).handle.record(value);
  }

  /**
   * Starts a timer; the returned function observes the elapsed seconds for `labels` merged with
   * the labels passed to it, and returns them.
   *
   * @param labels - labels to observe under
   */
  startTimer(labels?: LabelValues<T>): (labels?: LabelValues<T>) => number {
    const start = process.hrtime();
    return (endLabels?: LabelValues<T>) => {
      const value = seconds(start);
      this.observe(
        Object.assign<LabelValues<T>, LabelValues<T> | undefined, LabelValues<T> | undefined>({}, labels, endLabels),
        value,
      );
      return value;
    };
  }

  /**
   * A child bound to one label set: `observe(value)` and `startTimer()` without labels. The
   * child keeps its series, so its `observe` skips even the Map lookups.
   *
   * @param values - an object of label values, or the values in labelNames order
   */
  labels(...values: string[]): client.Histogram.Internal<T>;
  labels(labels: LabelValues<T>): client.Histogram.Internal<T>;
  labels(...args: unknown[]): HistogramChild<T> {
    const labels = labelsFromArgs(this.labelNames, args);
    checkLabelNames(this.labelNames, labels);
    // Resolved on first use, as prom-client creates the series only when it is observed.
    let series: HistogramSeries | undefined;
    return {
      observe: (value: number) => {
        if (typeof value !== 'number' || value - value !== 0) {
          throw new TypeError(`Value is not a valid number: ${format(value)}`);
        }
        if (series === undefined || !series.alive) series = this.index.resolve(labels);
        series.handle.record(value);
      },
      startTimer: () => this.startTimer(labels as LabelValues<T>),
    };
  }

  /**
   * Sets a label set's series to zero (creating it if new), so it is exported before its first
   * observation.
   *
   * @param labels - the label set
   */
  zero(labels: LabelValues<T>): void {
    const series = this.index.resolve(labels);
    // prom-client's zero() starts the series afresh, reported under these labels.
    series.labels = copyLabels(labels);
    this.agg.flush();
    this.deleteKey(series);
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
    if (series !== undefined) {
      this.agg.flush();
      this.deleteKey(series);
    }
  }

  /** Removes every series (an unlabelled histogram's too, as in prom-client). */
  reset(): void {
    // prom-client's constructor calls reset() before this class has set its fields.
    if (this.index === undefined) return super.reset();
    this.agg.flush();
    this.agg.clear();
    this.index.clear();
  }

  private deleteKey(series: HistogramSeries): void {
    if (this.index.names.length > 0) (this.agg as Aggregator<LabelKey>).delete(series.values);
    else (this.agg as Aggregator<number>).delete(0);
  }

  /**
   * Every series' aggregate from one bulk readout of the aggregator (one native scan, rows
   * indexed by key text) rather than an encode, native lookup and copy per series.
   */
  private reader(): (series: HistogramSeries) => SeriesReading {
    const { keys, rows, stride } = this.agg[READ_ROWS]();
    const at = new Map<string, number>();
    for (let i = 0; i < keys.length; i++) at.set(keys[i], i * stride);
    return (series) => {
      const offset = at.get(series.key);
      if (offset === undefined) return { count: 0, sum: 0, hist: undefined };
      return { count: rows[offset], sum: rows[offset + 1], hist: rows.subarray(offset + 4, offset + stride) };
    };
  }

  private async collectValues(splay: boolean): Promise<client.MetricObjectWithValues<client.MetricValueWithName<T>>> {
    await runCollect(this as { collect?: () => unknown });
    const name = this.name;
    const bucketName = `${name}_bucket`;
    const values: SampleValue[] = [];
    const read = this.reader();
    for (const series of this.index.series()) {
      const { count, sum, hist } = read(series);
      const shared = series.labels;
      const line = (labels: Record<string, string | number>, value: number, metricName: string, exemplar?: null) =>
        splay
          ? { value, metricName, exemplar, labels: Object.assign(labels, shared) }
          : { labels, sharedLabels: shared, value, metricName, exemplar };
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += hist === undefined ? 0 : hist[i];
        values.push(line({ le: this.bounds[i] }, cumulative, bucketName, null));
      }
      values.push(line({ le: '+Inf' }, count, bucketName, null));
      values.push(line({}, sum, `${name}_sum`));
      values.push(line({}, count, `${name}_count`));
    }
    return {
      name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    } as unknown as client.MetricObjectWithValues<client.MetricValueWithName<T>>;
  }

  /** The metric as prom-client's registry reads it (`getMetricsAsJSON` shape). */
  async get(): Promise<client.MetricObjectWithValues<client.MetricValueWithName<T>>> {
    return this.collectValues(true);
  }

  /**
   * The metric as prom-client's registry formats it: values carry the series labels as
   * `sharedLabels`, which the registry caches the formatted text of per series.
   */
  async getForPromString(): Promise<client.MetricObjectWithValues<client.MetricValueWithName<T>>> {
    return this.collectValues(false);
  }

  /**
   * @internal The text rendered natively straight from the aggregator's rows, series in the
   * index's order (prom-client's), through each series' handle.
   */
  async [TEXT](openMetrics: boolean): Promise<string> {
    await runCollect(this as { collect?: () => unknown });
    const handles: AggHandle[] = [];
    for (const s of this.index.series()) handles.push(s.handle);
    const family = { name: this.name, help: this.help, labelNames: this.index.names, openMetrics, eof: false };
    return this.agg[RENDER_TEXT](family, handles);
  }
}

function checkBuckets(buckets: unknown): asserts buckets is readonly number[] {
  if (!Array.isArray(buckets)) throw typeError('an array of bucket bounds', 'config.buckets', buckets);
  for (let i = 0; i < buckets.length; i++) {
    const b: unknown = buckets[i];
    if (typeof b !== 'number' || !Number.isFinite(b)) throw typeError('a finite number', `config.buckets[${i}]`, b);
    if (i > 0 && !(b > (buckets[i - 1] as number))) {
      throw rangeError(`a bound greater than ${buckets[i - 1]} (buckets strictly increase)`, `config.buckets[${i}]`, b);
    }
  }
}

function checkLabelNames(names: readonly string[], labels: LabelObject): void {
  for (const label in labels) {
    if (!names.includes(label)) {
      throw new Error(`Added label "${label}" is not included in initial labelset: ${format('%O', names)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Counter and Gauge: one number per series, kept in the series object itself. An aggregator key
// holds count/sum/min/max per event stream, which a gauge's set() cannot express and a counter
// does not need; adding to a cached number is the cheapest hot path there is.

interface ValueSeries extends IndexedSeries {
  value: number;
}

function valueIndex(names: readonly string[]): LabelIndex<ValueSeries> {
  return new LabelIndex<ValueSeries>(names, (labels, values) => ({ labels, values, alive: true, value: 0 }));
}

function valueFamily(
  metric: { name: string; help: string },
  type: 'counter' | 'gauge',
  index: LabelIndex<ValueSeries>,
): ExpositionFamily {
  const series: ExpositionSeries[] = [];
  for (const s of index.series()) series.push({ labelValues: s.values, value: s.value });
  return { name: metric.name, help: metric.help, type, labelNames: index.names, series };
}

function valueValues(index: LabelIndex<ValueSeries>): { value: number; labels: Record<string, string | number> }[] {
  const values: { value: number; labels: Record<string, string | number> }[] = [];
  for (const s of index.series()) values.push({ value: s.value, labels: s.labels });
  return values;
}

/** What Counter and Gauge share of prom-client's metric fields. */
interface ValueMetric {
  name: string;
  help: string;
  type: unknown;
  aggregator: unknown;
  labelNames: readonly string[];
  collect?: (this: never) => unknown;
}

/** Whether a series' reported labels are exactly a label object's defined values. */
function sameLabels(stored: Record<string, string | number>, labels: LabelObject): boolean {
  let count = 0;
  for (const label in labels) {
    const value = labels[label];
    if (value === undefined) continue;
    if (stored[label] !== value) return false;
    count++;
  }
  return count === Object.keys(stored).length;
}

/** `remove(...)` of a Counter or Gauge: drops one label set's series. */
function removeValueSeries(metric: ValueMetric, index: LabelIndex<ValueSeries>, args: unknown[]): void {
  const labels = labelsFromArgs(metric.labelNames, args);
  checkLabelNames(metric.labelNames, labels);
  index.remove(labels);
}

/** `reset()` of a Counter or Gauge: every series goes; an unlabelled one restarts at 0, as in prom-client. */
function resetValueSeries(index: LabelIndex<ValueSeries>): void {
  index.clear();
  if (index.names.length === 0) index.resolve({});
}

/** `get()` of a Counter or Gauge, in prom-client's shape. */
async function valueMetricObject(metric: ValueMetric, index: LabelIndex<ValueSeries>): Promise<unknown> {
  await runCollect(metric);
  return {
    help: metric.help,
    name: metric.name,
    type: metric.type,
    values: valueValues(index),
    aggregator: metric.aggregator,
  };
}

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

  /**
   * Creates the counter and registers it in `config.registers` (default: the global registry).
   *
   * @param config - prom-client's counter options: `name`, `help`, `labelNames`, `registers`,
   *   `aggregator`, `collect`
   */
  constructor(config: client.CounterConfiguration<T>) {
    rejectExemplars(config, 'Counter');
    super(config);
    delete (this as { inc?: unknown }).inc;
    this.index = valueIndex([...this.labelNames] as string[]);
    this.reset();
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
    if (isObject(labels)) {
      const delta = counterDelta(value);
      (this.index.find(labels as LabelObject) ?? this.index.resolve(labels as LabelObject)).value += delta;
    } else {
      const delta = counterDelta(labels);
      (this.index.find({}) ?? this.index.resolve({})).value += delta;
    }
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
    return {
      inc: (value?: number) => {
        const delta = counterDelta(value);
        if (series === undefined || !series.alive) series = this.index.resolve(labels);
        series.value += delta;
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
    removeValueSeries(this, this.index, args);
  }

  /** Removes every series; an unlabelled counter restarts at 0, as in prom-client. */
  reset(): void {
    // prom-client's constructor calls reset() before this class has set its fields.
    if (this.index === undefined) return super.reset();
    resetValueSeries(this.index);
  }

  /** The metric as prom-client's registry reads it. */
  async get(): Promise<client.MetricObjectWithValues<client.MetricValue<T>>> {
    const metric = await valueMetricObject(this, this.index);
    return metric as client.MetricObjectWithValues<client.MetricValue<T>>;
  }

  /** @internal */
  async [FAMILY](): Promise<ExpositionFamily> {
    await runCollect(this as { collect?: () => unknown });
    return valueFamily(this, 'counter', this.index);
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

  /**
   * Creates the gauge and registers it in `config.registers` (default: the global registry).
   *
   * @param config - prom-client's gauge options: `name`, `help`, `labelNames`, `registers`,
   *   `aggregator`, `collect`
   */
  constructor(config: client.GaugeConfiguration<T>) {
    rejectExemplars(config, 'Gauge');
    super(config);
    this.index = valueIndex([...this.labelNames] as string[]);
    this.reset();
    fastFormatRegisters(this as { registers?: unknown });
  }

  private seriesFor(labels: unknown): ValueSeries {
    const object = (isObject(labels) ? labels : {}) as LabelObject;
    return this.index.find(object) ?? this.index.resolve(object);
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
    if (isObject(labels) && !sameLabels(series.labels, labels as LabelObject)) {
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
    const start = process.hrtime();
    return (endLabels?: LabelValues<T>) => {
      const value = seconds(start);
      this.set(
        Object.assign<LabelValues<T>, LabelValues<T> | undefined, LabelValues<T> | undefined>({}, labels, endLabels),
        value,
      );
      return value;
    };
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
    removeValueSeries(this, this.index, args);
  }

  /** Removes every series; an unlabelled gauge restarts at 0, as in prom-client. */
  reset(): void {
    // prom-client's constructor calls reset() before this class has set its fields.
    if (this.index === undefined) return super.reset();
    resetValueSeries(this.index);
  }

  /** The metric as prom-client's registry reads it. */
  async get(): Promise<client.MetricObjectWithValues<client.MetricValue<T>>> {
    const metric = await valueMetricObject(this, this.index);
    return metric as client.MetricObjectWithValues<client.MetricValue<T>>;
  }

  /** @internal */
  async [FAMILY](): Promise<ExpositionFamily> {
    await runCollect(this as { collect?: () => unknown });
    return valueFamily(this, 'gauge', this.index);
  }
}

// ---------------------------------------------------------------------------------------------
// Registry

function rendersFamily(metric: unknown): metric is RendersFamily {
  return isObject(metric) && FAMILY in metric;
}

function rendersText(metric: unknown): metric is RendersText {
  return isObject(metric) && TEXT in metric;
}

type FormatMetric = (this: client.Registry, metric: unknown) => Promise<string>;

const FAST_FORMAT = Symbol('tophash.prom.fastFormat');

/**
 * A registry's text for one metric: tophash metrics rendered from the aggregator by
 * src/exposition.ts, anything else (and everything once default labels are set) by prom-client.
 */
async function formatMetric(registry: client.Registry, metric: unknown, promClient: FormatMetric): Promise<string> {
  const defaults = (registry as unknown as { _defaultLabels?: object })._defaultLabels;
  const ours = rendersText(metric) || rendersFamily(metric);
  if (!ours || (defaults !== undefined && Object.keys(defaults).length > 0)) {
    return promClient.call(registry, metric);
  }
  const openMetrics = (registry.contentType as string) === client.Registry.OPENMETRICS_CONTENT_TYPE;
  // Without the final newline: prom-client's metrics() joins the families itself.
  if (rendersText(metric)) return (await metric[TEXT](openMetrics)).slice(0, -1);
  return renderFamilyBody(await metric[FAMILY](), openMetrics);
}

/**
 * Gives a prom-client registry that a tophash metric registers into the fast text path: its
 * `getMetricsAsString` (what `metrics()` calls per metric) gets an own override that renders
 * tophash metrics itself and calls the original for the rest. Only that one method of that one
 * instance changes; `get()`, `getMetricsAsJSON()`, `merge` and prom-client's own metrics are
 * untouched. A prom-client without that method keeps the (slower) compatible path.
 */
function useFastFormat(registry: client.Registry): void {
  if (!isObject(registry) || registry instanceof Registry || FAST_FORMAT in registry) return;
  const original = (registry as unknown as { getMetricsAsString?: unknown }).getMetricsAsString;
  if (typeof original !== 'function') return;
  Object.defineProperty(registry, 'getMetricsAsString', {
    value: function (this: client.Registry, metric: unknown) {
      return formatMetric(this, metric, original as FormatMetric);
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(registry, FAST_FORMAT, { value: true });
}

function fastFormatRegisters(metric: { registers?: unknown }): void {
  if (Array.isArray(metric.registers))
    for (const registry of metric.registers) useFastFormat(registry as client.Registry);
}

/**
 * A prom-client `Registry` that renders tophash metrics with tophash's own exposition code
 * (several times faster than prom-client's formatting) and everything else as prom-client does.
 * prom-client registries that a tophash metric registers in (the global `register` included) get
 * the same fast path for that metric; this class has it built in, for registries created before
 * any tophash metric or filled by `merge`. `metrics()`, `getMetricsAsJSON()`, `contentType`,
 * `setDefaultLabels` and `Registry.merge` work unchanged. With default labels set, everything is
 * formatted the prom-client way. In the fast text, labels follow `labelNames` order with `le`
 * last, and a missing label is written as `label=""` (the same series for Prometheus).
 */
export class Registry<
  ContentType extends client.RegistryContentType = client.PrometheusContentType,
> extends client.Registry<ContentType> {
  /**
   * Creates an empty registry.
   *
   * @param contentType - `Registry.PROMETHEUS_CONTENT_TYPE` (default) or `Registry.OPENMETRICS_CONTENT_TYPE`
   */
  constructor(contentType?: ContentType) {
    super();
    if (contentType !== undefined) this.setContentType(contentType);
  }

  /**
   * The text of one metric, without a trailing newline (prom-client joins metrics itself).
   *
   * @param metric - a registered metric
   */
  async getMetricsAsString(metric: unknown): Promise<string> {
    const base = client.Registry.prototype as unknown as { getMetricsAsString: FormatMetric };
    return formatMetric(this as unknown as client.Registry, metric, base.getMetricsAsString);
  }

  /**
   * One registry holding the metrics of all of `registers` (prom-client's `Registry.merge`,
   * returning this class).
   *
   * @param registers - registries with the same content type
   */
  static merge(registers: client.Registry[]): client.Registry {
    const merged = client.Registry.merge(registers);
    const ours = new Registry<client.RegistryContentType>(merged.contentType);
    for (const metric of merged.getMetricsAsArray()) ours.registerMetric(metric as unknown as client.Metric);
    return ours as unknown as client.Registry;
  }
}
