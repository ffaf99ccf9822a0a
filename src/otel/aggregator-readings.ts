// Reads an Aggregator's rows in one native scan, the way tophash/prom's scrape does.
import { LABEL_NAMES, READ_ROWS, type Aggregator } from '../metrics/aggregator';
import type { Attributes, FamilyReading, Reading } from './readings';

/** One Aggregator exported as an OpenTelemetry metric. */
export interface AggregatorSource {
  /** The metric name (OpenTelemetry instrument name syntax: a letter, then `[A-Za-z0-9_./-]`). */
  name: string;
  /** The aggregator whose keys become the metric's series. */
  aggregator: Aggregator;
  /** The metric description (default empty). */
  description?: string;
  /** The metric unit, e.g. `ms` (default empty). */
  unit?: string;
  /** The attribute a u64 or string key is reported under (default `key`); label keys use their label names. */
  keyAttribute?: string;
}

/** The attribute OpenTelemetry gives the series that keys past a series limit share. */
const OVERFLOW_ATTRIBUTES: Attributes = { 'otel.metric.overflow': true };

export function readAggregator(source: Required<AggregatorSource>): FamilyReading {
  const { aggregator, keyAttribute } = source;
  const layout = aggregator.histogram;
  const names = aggregator[LABEL_NAMES];
  const { keys, rows, stride } = aggregator[READ_ROWS]();
  const series: Reading[] = [];
  const row = (key: string, attributes: Attributes, at: number, from: ArrayLike<number>): Reading => ({
    key,
    attributes,
    value: from[at],
    sum: from[at + 1],
    min: from[at + 2],
    max: from[at + 3],
    // Without a histogram the series is a bucketless histogram: count, sum, min and max.
    buckets: layout === undefined ? [from[at]] : Array.prototype.slice.call(from, at + 4, at + stride),
  });
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const attributes: Attributes = {};
    if (names.length === 0) {
      attributes[keyAttribute] = key;
    } else {
      const values = key.split('\0');
      // A missing label and an empty one are one series, as in the Prometheus export.
      for (let j = 0; j < names.length; j++) if (values[j] !== '') attributes[names[j]] = values[j];
    }
    series.push(row(key, attributes, i * stride, rows));
  }
  const overflow = aggregator.overflow();
  if (overflow !== undefined) {
    const { count, sum, min, max, hist } = overflow;
    series.push(row('\0overflow', OVERFLOW_ATTRIBUTES, 0, [count, sum, min, max, ...(hist ?? [])]));
  }
  return {
    name: source.name,
    description: source.description,
    unit: source.unit,
    kind: layout?.kind === 'log2' ? 'exponential' : 'histogram',
    bounds: layout === undefined ? [] : Array.from(layout.bounds),
    layout,
    series,
  };
}
