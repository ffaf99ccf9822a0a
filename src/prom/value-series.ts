// Counter and Gauge: one number per series, kept in the series object itself. An aggregator key
// holds count/sum/min/max per event stream, which a gauge's set() cannot express and a counter
// does not need; adding to a cached number is the cheapest hot path there is.
import { Aggregator, READ_ROWS, type LabelKey } from '../metrics/aggregator';
import type { ExpositionFamily, ExpositionSeries } from '../metrics/exposition';
import { LabelIndex, type IndexedSeries, type LabelObject } from '../metrics/label-index';
import { CodedError } from '../runtime/errors';
import { segmentName, sharedOption } from './cluster';
import { OVERFLOW_LABEL, seriesStatsOf, type SeriesPolicy } from './series-policy';
import { checkLabelNames, labelsFromArgs, runCollect, type SeriesStats } from './shared';

export interface ValueSeries extends IndexedSeries {
  value: number;
  /** Shared between processes: the value last handed to the shared aggregator. */
  synced?: number;
}

/**
 * A Counter's or Gauge's values shared between processes. The hot path stays a JavaScript add on
 * the series; every `flushMs` and before every read, each series' change since the last sync is
 * recorded into an Aggregator shared through a segment (its sum is then the series' value), so
 * the merged view sums every process's value, as prom-client's cluster registry does by default.
 */
export class SharedValues {
  readonly #agg: Aggregator<LabelKey> | Aggregator<number>;
  readonly #names: readonly string[];

  constructor(
    segment: string,
    names: readonly string[],
    flushMs: number,
    private readonly index: () => LabelIndex<ValueSeries>,
  ) {
    this.#names = names;
    this.#agg =
      names.length > 0
        ? new Aggregator<LabelKey>({ key: { labels: [...names] }, shared: { name: segment, flushMs: 0 } })
        : new Aggregator<number>({ key: 'u64', shared: { name: segment, flushMs: 0 } });
    // flushMs 0: synced on scrapes only.
    if (flushMs > 0) setInterval(() => this.sync(), flushMs).unref();
  }

  /** Hands every series' change since the last sync to the shared aggregator and publishes. */
  sync(): void {
    for (const s of this.index().series()) {
      const delta = s.value - (s.synced ?? 0);
      if (delta === 0) continue;
      if (this.#names.length > 0) (this.#agg as Aggregator<LabelKey>).record(s.values, delta);
      else (this.#agg as Aggregator<number>).record(0, delta);
      s.synced = s.value;
    }
    this.#agg.flush();
  }

  /** Every process's series, summed: label values in labelNames order and the value. */
  merged(): { labelValues: string[]; value: number }[] {
    this.sync();
    const { keys, rows, stride } = this.#agg[READ_ROWS]();
    const merged = keys.map((key, i) => ({
      labelValues: this.#names.length > 0 ? key.split('\0') : [],
      value: rows[i * stride + 1],
    }));
    // An unlabelled metric always has its one series, as in prom-client (no change synced yet: 0).
    if (this.#names.length === 0 && merged.length === 0) merged.push({ labelValues: [], value: 0 });
    return merged;
  }
}

export function valueIndex(names: readonly string[], policy: SeriesPolicy): LabelIndex<ValueSeries> {
  const clock = policy.clock;
  const create = (labels: Record<string, string | number>, values: string[]): ValueSeries => ({
    labels,
    values,
    alive: true,
    seen: clock.now,
    value: 0,
  });
  const limit =
    policy.maxSeries === undefined
      ? undefined
      : { maxSeries: policy.maxSeries, overflow: () => overflowSeries(policy) };
  return new LabelIndex<ValueSeries>(names, create, limit);
}

/**
 * The overflow series of a Counter or Gauge. Every update writes `value` once (`+=` or `=`), so
 * its setter counts the overflowed events without a test on the hot path of the other series.
 */
function overflowSeries(policy: SeriesPolicy): ValueSeries {
  let value = 0;
  return {
    labels: { [OVERFLOW_LABEL]: 'true' },
    values: [],
    alive: true,
    seen: policy.clock.now,
    get value() {
      return value;
    },
    set value(v: number) {
      value = v;
      policy.overflowEvents++;
    },
  };
}

export function valueFamily(
  metric: { name: string; help: string },
  type: 'counter' | 'gauge',
  index: LabelIndex<ValueSeries>,
  shared?: SharedValues,
): ExpositionFamily {
  const series: ExpositionSeries[] = [];
  if (shared !== undefined) series.push(...shared.merged());
  else for (const s of index.series()) series.push({ labelValues: s.values, value: s.value });
  return { name: metric.name, help: metric.help, type, labelNames: index.names, series };
}

/**
 * A Counter's or Gauge's families for the registry's text: its own, then the overflow series'
 * (whose labels differ from the metric's) when there is one.
 */
export async function valueFamilies(
  metric: ValueMetric,
  type: 'counter' | 'gauge',
  index: LabelIndex<ValueSeries>,
  shared: SharedValues | undefined,
  policy: SeriesPolicy,
): Promise<ExpositionFamily[]> {
  await runCollect(metric);
  policy.sweep(index);
  const family = valueFamily(metric, type, index, shared);
  const overflow = index.overflow;
  if (overflow === undefined) return [family];
  return [
    family,
    { ...family, labelNames: [OVERFLOW_LABEL], series: [{ labelValues: ['true'], value: overflow.value }] },
  ];
}

/** What a Counter or Gauge reports to self-metrics. */
export function valueSeriesStats(index: LabelIndex<ValueSeries>, policy: SeriesPolicy): SeriesStats {
  policy.sweep(index);
  return seriesStatsOf(index, policy, 0);
}

function valueValues(
  index: LabelIndex<ValueSeries>,
  shared: SharedValues | undefined,
): { value: number; labels: Record<string, string | number> }[] {
  const values: { value: number; labels: Record<string, string | number> }[] = [];
  if (shared !== undefined) {
    for (const { labelValues, value } of shared.merged()) {
      const labels: Record<string, string> = {};
      index.names.forEach((name, i) => {
        if (labelValues[i] !== '') labels[name] = labelValues[i];
      });
      values.push({ value, labels });
    }
    return values;
  }
  for (const s of index.series()) values.push({ value: s.value, labels: s.labels });
  if (index.overflow !== undefined) values.push({ value: index.overflow.value, labels: index.overflow.labels });
  return values;
}

/** What Counter and Gauge share of prom-client's metric fields. */
export interface ValueMetric {
  name: string;
  help: string;
  type: unknown;
  aggregator: unknown;
  labelNames: readonly string[];
  collect?: (this: never) => unknown;
}

/** Whether a series' reported labels are exactly a label object's defined values. */
export function sameLabels(stored: Record<string, string | number>, labels: LabelObject): boolean {
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
export function removeValueSeries(metric: ValueMetric, index: LabelIndex<ValueSeries>, args: unknown[]): void {
  const labels = labelsFromArgs(metric.labelNames, args);
  checkLabelNames(metric.labelNames, labels);
  index.remove(labels);
}

/** `reset()` of a Counter or Gauge: every series goes; an unlabelled one restarts at 0, as in prom-client. */
export function resetValueSeries(index: LabelIndex<ValueSeries>): void {
  index.clear();
  if (index.names.length === 0) index.resolve({});
}

/** `get()` of a Counter or Gauge, in prom-client's shape. */
export async function valueMetricObject(
  metric: ValueMetric,
  index: LabelIndex<ValueSeries>,
  shared: SharedValues | undefined,
  policy: SeriesPolicy,
): Promise<unknown> {
  await runCollect(metric);
  policy.sweep(index);
  return {
    help: metric.help,
    name: metric.name,
    type: metric.type,
    values: valueValues(index, shared),
    aggregator: metric.aggregator,
  };
}

/** The SharedValues of a Counter or Gauge created with `shared`, or undefined. */
export function sharedValuesFor(
  config: unknown,
  metric: { name: string; labelNames: readonly string[] },
  index: () => LabelIndex<ValueSeries>,
): SharedValues | undefined {
  const shared = sharedOption(config);
  if (shared === undefined) return undefined;
  return new SharedValues(segmentName(shared.name, metric.name), metric.labelNames, shared.flushMs, index);
}

/** remove/reset/zero on a shared metric: one process cannot take series out of the others. */
export function refuseShared(shared: SharedValues | boolean | undefined, what: string): void {
  if (shared !== undefined && shared !== false) {
    throw new CodedError('ENOTSUP', `${what} is not supported on a metric shared between processes`);
  }
}
