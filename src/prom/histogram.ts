// tophash/prom's Histogram: prom-client's class over an Aggregator with the same buckets.
import { format } from 'node:util';

import * as client from 'prom-client';

import {
  Aggregator,
  READ_HANDLES,
  READ_ROWS,
  RENDER_TEXT_ASYNC,
  type AggHandle,
  type LabelKey,
} from '../metrics/aggregator';
import { compileObserve, copyLabels, LabelIndex, type IndexedSeries, type LabelObject } from '../metrics/label-index';
import { rangeError, typeError } from '../runtime/errors';
import { refuseShared } from './value-series';
import { segmentName, sharedOption, type SharedMetricOptions } from './cluster';
import { fastFormatRegisters } from './registry';
import { OverflowHistogram } from './overflow-histogram';
import {
  OVERFLOW_LABEL,
  refusedOnShared,
  seriesStatsOf,
  SeriesPolicy,
  seriesOptions,
  type SeriesLimitOptions,
} from './series-policy';
import { renderFamilySamples } from '../metrics/exposition';
import { NativeCounts, NativeHandle, parseNativeOption, type NativeHistogramOptions } from './native-buckets';
import { encodeHistogramFamily } from './histogram-proto';
import { SERIES_READOUT, type HistogramReadout } from '../metrics/series-readout';
import { encodeFamilies, familyFromJSON } from './protobuf';
import {
  checkLabelNames,
  isObject,
  labelsFromArgs,
  rejectExemplars,
  PROTO,
  rejectUnknownConfig,
  runCollect,
  startTimer,
  SERIES_STATS,
  TEXT,
  type LabelValues,
  type SeriesStats,
} from './shared';

// prom-client's defaults, so an unconfigured Histogram exports the same buckets.
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface HistogramSeries extends IndexedSeries {
  /** An aggregator handle; for the overflow series, its own counts; with native buckets, either beside them. */
  handle: ClassicHandle | NativeHandle<ClassicHandle>;
  /** The aggregator key as READ_ROWS spells it: label values joined by NUL ('0' without labels). */
  readonly key: string;
}

type ClassicHandle = AggHandle | OverflowHistogram;

function classicHandle(handle: ClassicHandle | NativeHandle<ClassicHandle>): ClassicHandle {
  return handle instanceof NativeHandle ? handle.classic : handle;
}

/** A histogram's series as its readouts list them (see currentSeries()). */
interface SeriesList {
  readonly labels: readonly Record<string, string | number>[];
  readonly handles: readonly AggHandle[];
  readonly native: readonly (NativeCounts | undefined)[] | undefined;
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

/** tophash's options for {@link Histogram}, beside prom-client's configuration. */
export interface HistogramOptions {
  /**
   * Record through an offloaded {@link Aggregator}: `observe` appends to a ring that a native
   * thread drains, so the event loop does no aggregation at all (default false).
   */
  offload?: boolean;
  /**
   * Also keep Prometheus native-histogram buckets at this schema, exported in the protobuf
   * exposition format (see `Registry#metricsFor`); the text format keeps the classic `buckets`.
   * Buckets are upper-inclusive, as Prometheus defines them: a value on a boundary counts in the
   * bucket it closes. Not with `shared`.
   */
  native?: NativeHistogramOptions;
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
  // Created with `shared`: reads and scrapes cover every process's series.
  private shared = false;
  private policy!: SeriesPolicy;
  // The protobuf exposition carries the classic buckets (without native buckets, or native.classic).
  private protobufClassic = true;
  // The last readout: handed out again while nothing changed.
  private lastReadout: HistogramReadout | undefined;
  // The series list seriesRows() gathered last, kept while the series set stands: walking the index
  // and building the arrays again cost a readout of unchanged series as much as their rows.
  private seriesList: (SeriesList & { changes: number; overflow: HistogramSeries | undefined }) | undefined;

  /**
   * Creates the histogram and registers it in `config.registers` (default: prom-client's global
   * registry), exactly as prom-client does.
   *
   * @param config - prom-client's histogram options: `name`, `help`, `labelNames`, `buckets`,
   *   `registers`, `aggregator`, `collect`; and tophash's `offload` (see {@link HistogramOptions}),
   *   `native`, `shared` (see {@link SharedMetricOptions}), `maxSeries` and `ttl` (see {@link SeriesLimitOptions})
   */
  constructor(config: client.HistogramConfiguration<T> & HistogramOptions & SharedMetricOptions & SeriesLimitOptions) {
    rejectExemplars(config, 'Histogram');
    rejectUnknownConfig(config, ['buckets', 'offload', 'shared', 'maxSeries', 'ttl', 'native']);
    const buckets = isObject(config) && config.buckets !== undefined ? config.buckets : DEFAULT_BUCKETS;
    checkBuckets(buckets);
    const offload = (isObject(config) ? config.offload : undefined) ?? false;
    if (typeof offload !== 'boolean') throw typeError('a boolean', 'config.offload', offload);
    const shared = sharedOption(config);
    const native = parseNativeOption(isObject(config) ? config.native : undefined);
    if (native !== undefined && shared !== undefined) throw refusedOnShared('native', config.native);
    const limits = seriesOptions(config, shared !== undefined);
    super(config);
    const policy = new SeriesPolicy(limits);
    this.policy = policy;
    this.protobufClassic = native === undefined || native.classic;
    const withNative = (handle: ClassicHandle): ClassicHandle | NativeHandle<ClassicHandle> =>
      native === undefined ? handle : new NativeHandle(handle, new NativeCounts(native.schema, native.zeroThreshold));
    // prom-client installs observe as an own property; ours replaces it below.
    delete (this as { observe?: unknown }).observe;
    this.bounds = [...buckets];
    const names = [...this.labelNames] as string[];
    const hist = { buckets: this.bounds };
    const across =
      shared === undefined ? undefined : { name: segmentName(shared.name, this.name), flushMs: shared.flushMs };
    this.shared = across !== undefined;
    // Room in the aggregator for every series maxSeries allows.
    const maxEntries = Math.max(limits.maxSeries ?? 0, 1_000_000);
    const agg: Aggregator<LabelKey> | Aggregator<number> =
      names.length > 0
        ? new Aggregator<LabelKey>({ key: { labels: names }, hist, offload, shared: across, maxEntries })
        : new Aggregator<number>({ key: 'u64', hist, offload, shared: across, maxEntries });
    this.agg = agg;
    const bounds = this.bounds;
    const overflow = (): HistogramSeries => ({
      labels: { [OVERFLOW_LABEL]: 'true' },
      values: [],
      alive: true,
      seen: policy.clock.now,
      key: '',
      handle: withNative(new OverflowHistogram(bounds, policy)),
    });
    const create = (labels: Record<string, string | number>, values: string[]): HistogramSeries => ({
      labels,
      values,
      alive: true,
      seen: policy.clock.now,
      key: names.length > 0 ? values.join('\0') : '0',
      handle: withNative(
        names.length > 0 ? (agg as Aggregator<LabelKey>).handle(values) : (agg as Aggregator<number>).handle(0),
      ),
    });
    const limit = limits.maxSeries === undefined ? undefined : { maxSeries: limits.maxSeries, overflow };
    this.index = new LabelIndex<HistogramSeries>(names, create, limit);
    // prom-client starts an unlabelled histogram with its one (zero) series.
    if (names.length === 0) this.index.resolve({});
    // Like prom-client, an own observe: this one compiled for labelNames (see compileObserve).
    const observeSlow = (labels: unknown, value: unknown) => this.observeSlow(labels, value);
    (this as { observe: unknown }).observe = compileObserve(this.index, observeSlow, policy.hotClock);
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
        series.seen = this.policy.clock.now;
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
    const series = this.index.resolve(labels as LabelObject);
    series.seen = this.policy.clock.now;
    series.handle.record(value);
  }

  /** Events that went to the overflow series (see {@link SeriesLimitOptions.maxSeries}) since the histogram was created. */
  get overflowEvents(): number {
    return this.policy.overflowEvents;
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
    // Read once: without a ttl the child's hot path is a constant test, not three loads and a store.
    const clock = this.policy.hotClock;
    return {
      observe: (value: number) => {
        if (typeof value !== 'number' || value - value !== 0) {
          throw new TypeError(`Value is not a valid number: ${format(value)}`);
        }
        if (series === undefined || !series.alive) series = this.index.resolve(labels);
        if (clock !== undefined) series.seen = clock.now;
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
    refuseShared(this.shared, 'zero()');
    // A label set past maxSeries gets no series of its own, not even a zero one.
    const series = this.index.resolveOwn(labels);
    if (series === undefined) return;
    series.seen = this.policy.clock.now;
    // prom-client's zero() starts the series afresh, reported under these labels.
    series.labels = copyLabels(labels);
    // A new label object in a series set that did not change: the series list is gathered again.
    this.seriesList = undefined;
    this.agg.flush();
    this.deleteKey(series);
    if (series.handle instanceof NativeHandle) series.handle.native.clear();
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
    refuseShared(this.shared, 'reset()');
    this.agg.flush();
    this.agg.clear();
    this.index.clear();
  }

  /** Shared: every process's series (as READ_ROWS keys them), in scan order. */
  private mergedSeries(): { labels: Record<string, string>; key: string }[] {
    const names = this.index.names;
    return this.agg[READ_ROWS]().keys.map((key) => {
      const labels: Record<string, string> = {};
      if (names.length > 0) {
        key.split('\0').forEach((v, i) => {
          if (v !== '') labels[names[i]] = v;
        });
      }
      return { labels, key };
    });
  }

  /** Removes the series not updated for ttl, their aggregator keys with them (a re-created series starts empty). */
  private sweep(): void {
    this.policy.sweep(this.index, (series) => {
      if (series.key !== '') this.deleteKey(series);
    });
  }

  private deleteKey(series: HistogramSeries): void {
    if (this.index.names.length > 0) (this.agg as Aggregator<LabelKey>).delete(series.values);
    else (this.agg as Aggregator<number>).delete(0);
  }

  /**
   * Every series' aggregate from one bulk readout of the aggregator (one native scan, rows
   * indexed by key text) rather than an encode, native lookup and copy per series.
   */
  private reader(): (series: { readonly key: string }) => SeriesReading {
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
    this.sweep();
    const name = this.name;
    const bucketName = `${name}_bucket`;
    const values: SampleValue[] = [];
    const readRow = this.reader();
    const read = (series: { readonly key: string; handle?: ClassicHandle | NativeHandle<ClassicHandle> }) => {
      const handle = series.handle === undefined ? undefined : classicHandle(series.handle);
      return handle instanceof OverflowHistogram ? handle : readRow(series);
    };
    const all: Iterable<{
      labels: Record<string, string | number>;
      key: string;
      handle?: ClassicHandle | NativeHandle<ClassicHandle>;
    }> = this.shared ? this.mergedSeries() : this.index.allSeries();
    for (const series of all) {
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
    this.sweep();
    const family = { name: this.name, help: this.help, labelNames: this.index.names, openMetrics, eof: false };
    // Shared: every process's series, not only those this one has handles for.
    if (this.shared) return this.agg[RENDER_TEXT_ASYNC](family);
    const handles: AggHandle[] = [];
    for (const s of this.index.series()) handles.push(classicHandle(s.handle));
    const overflowSeries = this.index.overflow;
    const overflow = overflowSeries && (classicHandle(overflowSeries.handle) as OverflowHistogram);
    // Taken now, with the rows the render reads: events that overflow meanwhile go to the next scrape.
    const overflowText =
      overflow === undefined ? '' : renderFamilySamples(overflow.family(this.name, this.help), openMetrics) + '\n';
    // Rendered on the libuv pool: a scrape costs the event loop the string's creation only.
    return (await this.agg[RENDER_TEXT_ASYNC](family, handles)) + overflowText;
  }

  /**
   * @internal The family as one length-delimited protobuf MetricFamily: classic buckets from one
   * readout of the aggregator and, with `native`, each series' native buckets beside them.
   */
  async [PROTO](defaults: Record<string, string | number>): Promise<Uint8Array> {
    if (this.shared) return encodeFamilies([familyFromJSON(await this.get(), defaults)]);
    await runCollect(this as { collect?: () => unknown });
    this.sweep();
    const { labels, rows, stride, native } = this.seriesRows();
    const classic = this.protobufClassic;
    return encodeHistogramFamily(
      this.name,
      this.help,
      this.bounds,
      { labels, rows, stride, native, classic },
      defaults,
    );
  }

  /**
   * Every series of this process in the index's order, the overflow series last: labels, rows
   * (count, sum, min, max, per-bucket counts) read in one native call through the series'
   * handles, and native counts when the histogram has them.
   */
  private seriesRows(): SeriesList & { rows: Float64Array; stride: number } {
    const { labels, handles, native } = this.currentSeries();
    const read = this.agg[READ_HANDLES](handles);
    const stride = read.stride;
    let rows = read.rows;
    const overflowSeries = this.index.overflow;
    if (overflowSeries !== undefined) {
      const overflow = classicHandle(overflowSeries.handle) as OverflowHistogram;
      const withOverflow = new Float64Array(rows.length + stride);
      withOverflow.set(rows);
      withOverflow[rows.length] = overflow.count;
      withOverflow[rows.length + 1] = overflow.sum;
      withOverflow.set(overflow.hist, rows.length + 4);
      rows = withOverflow;
    }
    return { labels, handles, rows, stride, native };
  }

  /**
   * The series' labels and native counts in the index's order, the overflow series last, and the
   * handles of all but the overflow series. The same arrays (never changed once handed out) while
   * the series set stands.
   */
  private currentSeries(): SeriesList {
    const changes = this.index.changes;
    const overflowSeries = this.index.overflow;
    const last = this.seriesList;
    if (last !== undefined && last.changes === changes && last.overflow === overflowSeries) return last;
    const labels: Record<string, string | number>[] = [];
    const handles: AggHandle[] = [];
    let native: (NativeCounts | undefined)[] | undefined;
    for (const s of this.index.series()) {
      labels.push(s.labels);
      handles.push(classicHandle(s.handle));
      if (s.handle instanceof NativeHandle) (native ??= []).push(s.handle.native);
    }
    if (overflowSeries !== undefined) {
      labels.push(overflowSeries.labels);
      if (overflowSeries.handle instanceof NativeHandle) (native ??= []).push(overflowSeries.handle.native);
    }
    this.seriesList = { labels, handles, native, changes, overflow: overflowSeries };
    return this.seriesList;
  }

  /**
   * @internal See {@link SERIES_READOUT}; a shared histogram reads through `get()`. Without a collect
   * callback the rows are read at once, not in a promise: each await is a trip through the
   * microtask queue, and after a full GC the few of a collect cost about as much as the rows.
   */
  [SERIES_READOUT](): HistogramReadout | undefined | Promise<HistogramReadout | undefined> {
    if (this.shared) return undefined;
    if ((this as { collect?: unknown }).collect === undefined) return this.readout();
    return runCollect(this as { collect?: () => unknown }).then(() => this.readout());
  }

  private readout(): HistogramReadout {
    this.sweep();
    // The same series with the same rows (events, zero() and overflowed events all show in them):
    // the previous readout stands. Asking the aggregator for its event count instead cost more than
    // reading and comparing the rows.
    const { labels, rows, stride } = this.seriesRows();
    const last = this.lastReadout;
    if (last !== undefined && last.labels === labels && sameRows(last.rows, rows)) return last;
    this.lastReadout = {
      kind: 'histogram',
      name: this.name,
      help: this.help,
      bounds: this.bounds,
      labels,
      rows,
      stride,
    };
    return this.lastReadout;
  }

  /** @internal */
  [SERIES_STATS](): SeriesStats {
    this.sweep();
    return seriesStatsOf(this.index, this.policy, this.agg.stats().bytes);
  }
}

function sameRows(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
