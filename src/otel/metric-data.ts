// Readings in the shapes of @opentelemetry/sdk-metrics' MetricData. Enum values are written as
// numbers so nothing of the SDK is loaded at run time; the type annotations hold them to the SDK's.
import type {
  AggregationTemporality,
  DataPoint,
  DataPointType,
  ExponentialHistogram,
  Histogram,
  MetricData,
  MetricDescriptor,
} from '@opentelemetry/sdk-metrics';

import { toExponential } from './exponential';
import type { FamilyReading, HrTime, Reading, SeriesRows } from './readings';

const HISTOGRAM = 0 as DataPointType.HISTOGRAM;
const EXPONENTIAL_HISTOGRAM = 1 as DataPointType.EXPONENTIAL_HISTOGRAM;
const GAUGE = 2 as DataPointType.GAUGE;
const SUM = 3 as DataPointType.SUM;
/** @opentelemetry/api's ValueType.DOUBLE: readings are doubles. */
const DOUBLE = 1 as MetricDescriptor['valueType'];

function counts(r: Reading): number[] {
  // A reading's own array is handed on as it is: readings are built afresh whenever their source
  // changed, and the points of an unchanged source are handed on again whole (producer.ts).
  if (Array.isArray(r.buckets)) return r.buckets as number[];
  const buckets = r.buckets ?? [r.value];
  const out = new Array<number>(buckets.length);
  for (let i = 0; i < out.length; i++) out[i] = buckets[i];
  return out;
}

// The points are built in plain loops over top-level functions: a closure made per collect is a
// new function each time, and after a full GC (which drops optimized code no live function holds)
// every collect ran it unoptimized again.

function readingPoints<T>(
  family: FamilyReading,
  series: readonly Reading[],
  startTime: HrTime,
  endTime: HrTime,
  valueOf: (family: FamilyReading, r: Reading) => T,
): DataPoint<T>[] {
  const points = new Array<DataPoint<T>>(series.length);
  for (let i = 0; i < series.length; i++) {
    const r = series[i];
    points[i] = { startTime, endTime, attributes: r.attributes, value: valueOf(family, r) };
  }
  return points;
}

function plainValue(_family: FamilyReading, r: Reading): number {
  return r.value;
}

function histogramValue(family: FamilyReading, r: Reading): Histogram {
  const value: Histogram = {
    buckets: { boundaries: family.bounds as number[], counts: counts(r) },
    count: r.value,
    sum: r.sum,
  };
  if (!Number.isNaN(r.min)) value.min = r.min;
  if (!Number.isNaN(r.max)) value.max = r.max;
  return value;
}

function exponentialValue(family: FamilyReading, r: Reading): ExponentialHistogram {
  return toExponential(family.layout!, r.buckets ?? [], r.value, r.sum, r.min, r.max);
}

// Where a row's per-bucket counts start: after count, sum, min and max.
const ROW_BUCKETS = 4;

/** Points straight from rows: per series the point, its value, its buckets and its counts, nothing more. */
function rowPoints(bounds: number[], from: SeriesRows, startTime: HrTime, endTime: HrTime): DataPoint<Histogram>[] {
  const { attributes, rows, stride } = from;
  const n = attributes.length;
  const width = stride - ROW_BUCKETS;
  const points = new Array<DataPoint<Histogram>>(n);
  for (let i = 0; i < n; i++) {
    const row = i * stride;
    const counts = new Array<number>(width);
    for (let j = 0; j < width; j++) counts[j] = rows[row + ROW_BUCKETS + j];
    const value: Histogram = { buckets: { boundaries: bounds, counts }, count: rows[row], sum: rows[row + 1] };
    points[i] = { startTime, endTime, attributes: attributes[i], value };
  }
  return points;
}

/**
 * The family as MetricData, or undefined without series (the SDK leaves such metrics out too).
 * series is the family's readings after the temporality, or its rows (cumulative, when it has them).
 */
export function toMetricData(
  family: FamilyReading,
  series: readonly Reading[] | SeriesRows,
  temporality: AggregationTemporality,
  startTime: HrTime,
  endTime: HrTime,
): MetricData | undefined {
  const readings = Array.isArray(series) ? (series as readonly Reading[]) : undefined;
  if ((readings ?? (series as SeriesRows).keys).length === 0) return undefined;
  const descriptor = { name: family.name, description: family.description, unit: family.unit, valueType: DOUBLE };
  const aggregationTemporality = temporality;
  switch (family.kind) {
    case 'sum': {
      const dataPoints = readingPoints(family, readings!, startTime, endTime, plainValue);
      return { descriptor, aggregationTemporality, dataPointType: SUM, isMonotonic: true, dataPoints };
    }
    case 'gauge':
      return {
        descriptor,
        aggregationTemporality,
        dataPointType: GAUGE,
        dataPoints: readingPoints(family, readings!, startTime, endTime, plainValue),
      };
    case 'histogram': {
      const dataPoints =
        readings === undefined
          ? rowPoints(family.bounds as number[], series as SeriesRows, startTime, endTime)
          : readingPoints(family, readings, startTime, endTime, histogramValue);
      return { descriptor, aggregationTemporality, dataPointType: HISTOGRAM, dataPoints };
    }
    case 'exponential': {
      const dataPoints = readingPoints(family, readings!, startTime, endTime, exponentialValue);
      return { descriptor, aggregationTemporality, dataPointType: EXPONENTIAL_HISTOGRAM, dataPoints };
    }
  }
}
