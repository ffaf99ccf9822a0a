// What a collect reads from each source, before temporality and before OpenTelemetry's shapes:
// one form for tophash/prom and prom-client metrics and for Aggregators alike, so the delta
// arithmetic is written once.
import type { DataPoint } from '@opentelemetry/sdk-metrics';

import type { HistLayout } from '../metrics/histogram';

export type Attributes = DataPoint<number>['attributes'];
export type HrTime = DataPoint<number>['startTime'];

/** One series, cumulative since it was created. */
export interface Reading {
  /** Identifies the series within its family from one collect to the next. */
  readonly key: string;
  readonly attributes: Attributes;
  /** A sum's or gauge's value; a histogram's count. */
  readonly value: number;
  readonly sum: number;
  /** NaN when not known (prom-client histograms do not keep them; deltas cannot recover them). */
  readonly min: number;
  readonly max: number;
  /** Per-bucket counts, not cumulative. */
  readonly buckets?: ArrayLike<number>;
}

/**
 * A histogram family's series as rows, as tophash/prom reads them out: series i's count, sum, min
 * and max at `i * stride`, then its per-bucket counts. A cumulative collect builds its points
 * straight from them, without a {@link Reading} per series.
 */
export interface SeriesRows {
  readonly keys: readonly string[];
  readonly attributes: readonly Attributes[];
  readonly rows: Float64Array;
  readonly stride: number;
}

export interface FamilyReading {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly kind: 'sum' | 'gauge' | 'histogram' | 'exponential';
  /** Histogram only: upper-inclusive bounds, one fewer than the buckets. */
  readonly bounds?: readonly number[];
  /** Exponential only: the log2 layout the buckets follow. */
  readonly layout?: HistLayout;
  readonly series: Reading[];
  /** The same series as rows, when the source reads them so. */
  readonly rows?: SeriesRows;
}
