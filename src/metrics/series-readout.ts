// A metric's series as numbers, for readers that need neither text nor prom-client's JSON: how
// tophash/prom's histograms hand their series to tophash/otel (two layers that may not import
// each other meet here). prom-client's `get()` builds an object per bucket sample (14 per
// series with the default buckets) that the OpenTelemetry producer then had to regroup by
// series; a readout is one Float64Array of rows read natively through the series' handles and
// the series' own label objects, which stay the same objects from one read to the next (so a
// reader can cache what it derives from them).

/**
 * The method a metric answers its readout by (not public API).
 *
 * @internal
 */
export const SERIES_READOUT = Symbol('tophash.metrics.seriesReadout');

/** What {@link SERIES_READOUT} resolves to. @internal */
export interface HistogramReadout {
  readonly kind: 'histogram';
  readonly name: string;
  readonly help: string;
  /** Upper-inclusive classic bounds, without +Inf. */
  readonly bounds: readonly number[];
  /** Series i's labels: the same object on every read while the series lives. */
  readonly labels: readonly Record<string, string | number>[];
  /** Series i's row at `i * stride`: count, sum, min, max, then bounds.length + 1 per-bucket counts. */
  readonly rows: Float64Array;
  readonly stride: number;
}

/** A metric with {@link SERIES_READOUT}. @internal */
export interface ReadsOut {
  /**
   * The series as they are now, after the metric's collect callback and expiry; undefined to be
   * read through `get()`. The same object as the previous call's when nothing changed since, so a
   * reader can keep what it built from it. A promise only when a collect callback runs first.
   */
  [SERIES_READOUT](): HistogramReadout | undefined | Promise<HistogramReadout | undefined>;
}

/** Whether metric has a {@link SERIES_READOUT}. @internal */
export function readsOut(metric: unknown): metric is ReadsOut {
  return typeof metric === 'object' && metric !== null && SERIES_READOUT in metric;
}
