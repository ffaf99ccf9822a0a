// Readings in the shapes of @opentelemetry/sdk-metrics' MetricData. Enum values are written as
// numbers so nothing of the SDK is loaded at run time; the type annotations hold them to the SDK's.
import type {
  AggregationTemporality,
  DataPoint,
  DataPointType,
  Histogram,
  MetricData,
  MetricDescriptor,
} from '@opentelemetry/sdk-metrics';

import { toExponential } from './exponential';
import type { FamilyReading, HrTime, Reading } from './readings';

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

function histogram(family: FamilyReading, r: Reading): Histogram {
  const value: Histogram = {
    buckets: { boundaries: family.bounds as number[], counts: counts(r) },
    count: r.value,
    sum: r.sum,
  };
  if (!Number.isNaN(r.min)) value.min = r.min;
  if (!Number.isNaN(r.max)) value.max = r.max;
  return value;
}

/** The family as MetricData, or undefined without series (the SDK leaves such metrics out too). */
export function toMetricData(
  family: FamilyReading,
  series: readonly Reading[],
  temporality: AggregationTemporality,
  startTime: HrTime,
  endTime: HrTime,
): MetricData | undefined {
  if (series.length === 0) return undefined;
  const base = {
    descriptor: { name: family.name, description: family.description, unit: family.unit, valueType: DOUBLE },
    aggregationTemporality: temporality,
  };
  const point = <T>(r: Reading, value: T): DataPoint<T> => ({ startTime, endTime, attributes: r.attributes, value });
  switch (family.kind) {
    case 'sum':
      return { ...base, dataPointType: SUM, isMonotonic: true, dataPoints: series.map((r) => point(r, r.value)) };
    case 'gauge':
      return { ...base, dataPointType: GAUGE, dataPoints: series.map((r) => point(r, r.value)) };
    case 'histogram':
      return { ...base, dataPointType: HISTOGRAM, dataPoints: series.map((r) => point(r, histogram(family, r))) };
    case 'exponential':
      return {
        ...base,
        dataPointType: EXPONENTIAL_HISTOGRAM,
        dataPoints: series.map((r) =>
          point(r, toExponential(family.layout!, r.buckets ?? [], r.value, r.sum, r.min, r.max)),
        ),
      };
  }
}
