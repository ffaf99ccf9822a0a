// Reads prom-client registries (tophash/prom metrics register in them) through
// getMetricsAsJSON(): the one read every prom-client metric answers, default labels applied.
import type { Attributes, FamilyReading, Reading } from './readings';

/** What tophash/otel needs of a prom-client (or tophash/prom) `Registry`. */
export interface PromRegistryLike {
  /** prom-client's `Registry#getMetricsAsJSON()`. */
  getMetricsAsJSON(): Promise<readonly unknown[]>;
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

/**
 * Every counter, gauge and histogram of a registry. Summaries are left out: OpenTelemetry's SDK
 * has no summary point type (OTLP keeps one for compatibility only), and a summary's quantiles
 * cannot be turned into buckets.
 */
export async function readRegistry(registry: PromRegistryLike): Promise<FamilyReading[]> {
  const metrics = (await registry.getMetricsAsJSON()) as MetricJSON[];
  const families: FamilyReading[] = [];
  for (const metric of metrics) {
    const base = { name: metric.name, description: metric.help, unit: '' };
    if (metric.type === 'counter') families.push({ ...base, kind: 'sum', series: metric.values.map(valueReading) });
    else if (metric.type === 'gauge')
      families.push({ ...base, kind: 'gauge', series: metric.values.map(valueReading) });
    else if (metric.type === 'histogram') families.push(histogramFamily(metric));
  }
  return families;
}
