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

/**
 * Reads one aggregator, keeping each key's attributes from one collect to the next: a collect then
 * costs the native scan and a Map lookup per series, with no key parsing or attribute objects.
 */
/** A Reading of the row at `at` (a top-level function: a closure per read runs unoptimized after a full GC). */
function row(
  key: string,
  attributes: Attributes,
  at: number,
  from: Float64Array,
  stride: number,
  hist: boolean,
): Reading {
  return {
    key,
    attributes,
    value: from[at],
    sum: from[at + 1],
    min: from[at + 2],
    max: from[at + 3],
    // Without a histogram the series is a bucketless histogram: count, sum, min and max.
    buckets: hist ? from.subarray(at + 4, at + stride) : from.subarray(at, at + 1),
  };
}

export class AggregatorReader {
  readonly #source: Required<AggregatorSource>;
  #attributes = new Map<string, Attributes>();

  constructor(source: Required<AggregatorSource>) {
    this.#source = source;
  }

  #attributesOf(key: string, names: readonly string[]): Attributes {
    const attributes: Attributes = {};
    if (names.length === 0) {
      attributes[this.#source.keyAttribute] = key;
    } else {
      const values = key.split('\0');
      // A missing label and an empty one are one series, as in the Prometheus export.
      for (let j = 0; j < names.length; j++) if (values[j] !== '') attributes[names[j]] = values[j];
    }
    return attributes;
  }

  read(): FamilyReading {
    const { aggregator } = this.#source;
    const layout = aggregator.histogram;
    const names = aggregator[LABEL_NAMES];
    const { keys, rows, stride } = aggregator[READ_ROWS]();
    const known = this.#attributes;
    // Only the keys read now are kept: deleted and drained keys do not pile up.
    const current = new Map<string, Attributes>();
    const series: Reading[] = new Array<Reading>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const attributes = known.get(key) ?? this.#attributesOf(key, names);
      current.set(key, attributes);
      series[i] = row(key, attributes, i * stride, rows, stride, layout !== undefined);
    }
    this.#attributes = current;
    const overflow = aggregator.overflow();
    if (overflow !== undefined) {
      const { count, sum, min, max, hist } = overflow;
      const from = Float64Array.of(count, sum, min, max, ...(hist ?? []));
      series.push(row('\0overflow', OVERFLOW_ATTRIBUTES, 0, from, stride, layout !== undefined));
    }
    const { name, description, unit } = this.#source;
    return {
      name,
      description,
      unit,
      kind: layout?.kind === 'log2' ? 'exponential' : 'histogram',
      bounds: layout === undefined ? [] : Array.from(layout.bounds),
      layout,
      series,
    };
  }
}
