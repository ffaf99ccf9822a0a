// Reads prom-client registries (tophash/prom metrics register in them). A tophash/prom
// histogram is read through its readout (series-readout.ts: its rows in one native call, its
// series' label objects), its attributes built once per series and reused while the series
// lives; every other metric through its own get(), default labels applied as prom-client's
// getMetricsAsJSON() applies them. A registry without getMetricsAsArray() is read through
// getMetricsAsJSON(), the one read every prom-client registry answers.
import { readsOut, SERIES_READOUT, type HistogramReadout } from '../metrics/series-readout';
import type { Attributes, FamilyReading, Reading } from './readings';
import { RowsFamily } from './rows-family';

/** What tophash/otel needs of a prom-client (or tophash/prom) `Registry`. */
export interface PromRegistryLike {
  /** prom-client's `Registry#getMetricsAsJSON()`. */
  getMetricsAsJSON(): Promise<readonly unknown[]>;
  /** prom-client's `Registry#getMetricsAsArray()`: read metric by metric when present. */
  getMetricsAsArray?(): readonly unknown[];
}

interface SampleJSON {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface MetricJSON {
  name: string;
  help: string;
  type: string;
  values: SampleJSON[];
}

/** A series' identity within its family: its labels but `le`. */
function seriesKey(labels: Record<string, string | number>): string {
  let key = '';
  for (const name in labels) if (name !== 'le') key += name + '\0' + labels[name] + '\0';
  return key;
}

function attributesOf(labels: Record<string, string | number>): Attributes {
  const attributes: Attributes = {};
  for (const name in labels) if (name !== 'le') attributes[name] = labels[name];
  return attributes;
}

function valueReading(sample: SampleJSON): Reading {
  const { labels } = sample;
  return {
    key: seriesKey(labels),
    attributes: attributesOf(labels),
    value: sample.value,
    sum: NaN,
    min: NaN,
    max: NaN,
  };
}

interface HistogramParts {
  key: string;
  attributes: Attributes;
  cumulative: number[];
  sum: number;
  count: number;
}

/** A histogram's bucket, `_sum` and `_count` samples gathered per series, cumulative buckets made per-bucket. */
function histogramFamily(metric: MetricJSON): FamilyReading {
  const bySeries = new Map<string, HistogramParts>();
  let bounds: number[] | undefined;
  let first: HistogramParts | undefined;
  for (const sample of metric.values) {
    const key = seriesKey(sample.labels);
    let parts = bySeries.get(key);
    if (parts === undefined) {
      // Attributes once per series, not once per sample: a histogram has a sample per bucket.
      parts = { key, attributes: attributesOf(sample.labels), cumulative: [], sum: 0, count: 0 };
      bySeries.set(key, parts);
      first ??= parts;
    }
    const suffix = sample.metricName?.slice(metric.name.length);
    if (suffix === '_bucket') {
      parts.cumulative.push(sample.value);
      if (parts === first && sample.labels.le !== '+Inf') (bounds ??= []).push(Number(sample.labels.le));
    } else if (suffix === '_sum') {
      parts.sum = sample.value;
    } else if (suffix === '_count') {
      parts.count = sample.value;
    }
  }
  const series: Reading[] = [];
  for (const { key, attributes, cumulative, sum, count } of bySeries.values()) {
    const buckets = new Float64Array(cumulative.length);
    for (let i = 0; i < cumulative.length; i++) buckets[i] = cumulative[i] - (i === 0 ? 0 : cumulative[i - 1]);
    series.push({ key, attributes, value: count, sum, min: NaN, max: NaN, buckets });
  }
  return { name: metric.name, description: metric.help, unit: '', kind: 'histogram', bounds: bounds ?? [], series };
}

type Labels = Record<string, string | number>;

const NO_DEFAULTS: Labels = Object.freeze({});

/** labels with the registry's default labels, as getMetricsAsJSON() merges them (a falsy value takes the default). */
function withDefaults(labels: Labels, defaults: Labels): Labels {
  const out: Labels = { ...labels };
  for (const name in defaults) out[name] = out[name] || defaults[name];
  return out;
}

interface Derived {
  attributes: Attributes;
  key: string;
}

/**
 * Each metric's series' keys and attributes from its previous read, by position: a series keeps
 * its label object while it lives and the index keeps its order, so one compare per series finds
 * them again (a lookup by label object cost more than the rest of a series' reading), and none
 * when the readout hands out the same label array (no series came or went). Behind it, by label
 * object, for series that moved.
 */
interface MetricCache {
  defaults: Labels;
  labels: readonly Labels[];
  keys: string[];
  attributes: Attributes[];
  readout?: HistogramReadout;
  family?: FamilyReading;
}
const derivedByMetric = new WeakMap<object, MetricCache>();
const derivedByLabels = new WeakMap<object, Derived & { defaults: Labels }>();
let nextSeries = 0;

/**
 * A series' attributes and key. The key names the series object (its label object), not only its
 * labels: a series removed or expired and created again is a new series, whose first delta is its
 * whole total, even when that total happens to equal the old series' last one.
 */
function derive(labels: Labels, defaults: Labels): Derived {
  const cached = derivedByLabels.get(labels);
  if (cached !== undefined && cached.defaults === defaults) return cached;
  const all = defaults === NO_DEFAULTS ? labels : withDefaults(labels, defaults);
  const derived = { defaults, attributes: attributesOf(all), key: `${seriesKey(all)}#${nextSeries++}` };
  derivedByLabels.set(labels, derived);
  return derived;
}

/** The cache's keys and attributes brought up to the readout's labels. */
function rederive(cache: MetricCache, labels: readonly Labels[], defaults: Labels): void {
  if (cache.labels === labels) return;
  const before = cache.labels;
  const keys = new Array<string>(labels.length);
  const attributes = new Array<Attributes>(labels.length);
  for (let i = 0; i < labels.length; i++) {
    if (before[i] === labels[i]) {
      keys[i] = cache.keys[i];
      attributes[i] = cache.attributes[i];
    } else {
      const d = derive(labels[i], defaults);
      keys[i] = d.key;
      attributes[i] = d.attributes;
    }
  }
  cache.labels = labels;
  cache.keys = keys;
  cache.attributes = attributes;
}

/** A tophash/prom histogram's readout as a family. */
function readoutFamily(metric: object, readout: HistogramReadout, defaults: Labels): FamilyReading {
  let cache = derivedByMetric.get(metric);
  if (cache === undefined || cache.defaults !== defaults) {
    cache = { defaults, labels: [], keys: [], attributes: [] };
    derivedByMetric.set(metric, cache);
  }
  // The metric hands out its previous readout while nothing changed: so is the family, and the
  // producer can tell (see producer.ts).
  if (cache.readout === readout && cache.family !== undefined) return cache.family;
  rederive(cache, readout.labels, defaults);
  const { keys, attributes } = cache;
  const rows = { keys, attributes, rows: readout.rows, stride: readout.stride };
  cache.readout = readout;
  cache.family = new RowsFamily(readout.name, readout.help, readout.bounds, rows);
  return cache.family;
}

/** One metric as prom-client's getMetricsAsJSON() gives it. */
async function metricJSON(metric: unknown, defaults: Labels): Promise<MetricJSON> {
  const json = await (metric as { get(): Promise<MetricJSON> }).get();
  if (defaults !== NO_DEFAULTS && json.values !== undefined) {
    for (const value of json.values) value.labels = withDefaults(value.labels, defaults);
  }
  return json;
}

type MaybeFamily = FamilyReading | undefined;

async function jsonFamily(metric: unknown, defaults: Labels): Promise<MaybeFamily> {
  return familyOf(await metricJSON(metric, defaults));
}

/**
 * One metric's family, or undefined for a kind OpenTelemetry has no point type for: at once for a
 * tophash/prom histogram without a collect callback, else in a promise.
 */
function readMetric(metric: unknown, defaults: Labels): MaybeFamily | Promise<MaybeFamily> {
  if (readsOut(metric)) {
    const readout = metric[SERIES_READOUT]();
    if (readout instanceof Promise) {
      return readout.then((r) => (r === undefined ? jsonFamily(metric, defaults) : readoutFamily(metric, r, defaults)));
    }
    if (readout !== undefined) return readoutFamily(metric, readout, defaults);
  }
  return jsonFamily(metric, defaults);
}

/** Values and promises as promises, for Promise.all and Promise.allSettled. */
export function settling<T>(values: readonly (T | Promise<T>)[]): Promise<T>[] {
  const out = new Array<Promise<T>>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Promise.resolve(values[i]);
  return out;
}

function present(read: readonly MaybeFamily[]): FamilyReading[] {
  const families: FamilyReading[] = [];
  for (let i = 0; i < read.length; i++) if (read[i] !== undefined) families.push(read[i]!);
  return families;
}

function familyOf(metric: MetricJSON): FamilyReading | undefined {
  const base = { name: metric.name, description: metric.help, unit: '' };
  if (metric.type === 'counter') return { ...base, kind: 'sum', series: metric.values.map(valueReading) };
  if (metric.type === 'gauge') return { ...base, kind: 'gauge', series: metric.values.map(valueReading) };
  if (metric.type === 'histogram') return histogramFamily(metric);
  return undefined;
}

/**
 * Every counter, gauge and histogram of a registry. Summaries are left out: OpenTelemetry's SDK
 * has no summary point type (OTLP keeps one for compatibility only), and a summary's quantiles
 * cannot be turned into buckets. At once, without a promise, when every metric reads at once (see
 * readMetric): each await costs a trip through the microtask queue. May throw.
 */
function readRegistry(registry: PromRegistryLike): FamilyReading[] | Promise<FamilyReading[]> {
  if (typeof registry.getMetricsAsArray !== 'function') {
    return Promise.resolve(registry.getMetricsAsJSON()).then((json) => present((json as MetricJSON[]).map(familyOf)));
  }
  const own = (registry as { _defaultLabels?: Labels })._defaultLabels;
  const defaults = own === undefined || Object.keys(own).length === 0 ? NO_DEFAULTS : own;
  // Loops, not callbacks: a callback made per collect runs unoptimized after each full GC.
  const metrics = registry.getMetricsAsArray();
  const reads = new Array<MaybeFamily | Promise<MaybeFamily>>(metrics.length);
  let pending = false;
  for (let i = 0; i < metrics.length; i++) {
    reads[i] = readMetric(metrics[i], defaults);
    if (reads[i] instanceof Promise) pending = true;
  }
  return pending ? Promise.all(settling(reads)).then(present) : present(reads as MaybeFamily[]);
}

/** A registry's families, or why it could not be read. */
export type RegistryRead = PromiseSettledResult<FamilyReading[]>;

/** {@link readRegistry} settled as Promise.allSettled settles it, at once when the read was. */
export function settleRegistry(registry: PromRegistryLike): RegistryRead | Promise<RegistryRead> {
  let read: FamilyReading[] | Promise<FamilyReading[]>;
  try {
    read = readRegistry(registry);
  } catch (reason) {
    return { status: 'rejected', reason };
  }
  if (!(read instanceof Promise)) return { status: 'fulfilled', value: read };
  return read.then(
    (value): RegistryRead => ({ status: 'fulfilled', value }),
    (reason: unknown): RegistryRead => ({ status: 'rejected', reason }),
  );
}
