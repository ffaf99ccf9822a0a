// How many series a tophash/prom metric may hold: the `maxSeries` option, its
// check, and the count of events that went to the overflow series.
import { rangeError, typeError } from '../runtime/errors';
import { isObject } from './shared';

/** The label of the one series that label sets past `maxSeries` share (OpenTelemetry's name for it). */
export const OVERFLOW_LABEL = 'otel_metric_overflow';

/** The `maxSeries` and `ttl` options of tophash/prom's Histogram, Counter and Gauge. */
export interface SeriesLimitOptions {
  /**
   * Most series the metric holds. Past it, events of a new label set go to one overflow series
   * labelled `otel_metric_overflow="true"` (its other labels absent), as OpenTelemetry does, and
   * are counted in `overflowEvents`; label sets seen before keep their own series. An integer in
   * [1, 2^31]; default: no limit.
   */
  maxSeries?: number;
}

const MAX_SERIES = 2 ** 31;

function checkInteger(value: unknown, expected: string, what: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw typeError(expected, what, value);
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw rangeError(expected, what, value);
  return value;
}

/**
 * The checked `maxSeries` of a metric config. It does not work yet on a metric shared between
 * processes (one process cannot bound the others' series): that throws here, before the metric
 * is registered, rather than being ignored.
 */
export function seriesOptions(config: unknown, shared: boolean): SeriesLimitOptions {
  if (!isObject(config)) return {};
  const o = config as SeriesLimitOptions;
  const maxSeries = checkInteger(o.maxSeries, 'an integer in [1, 2^31]', 'config.maxSeries', MAX_SERIES);
  if (shared && maxSeries !== undefined) {
    throw rangeError(
      'no maxSeries on a metric shared between processes (not supported yet)',
      'config.maxSeries',
      maxSeries,
    );
  }
  return { maxSeries };
}

/** One metric's limit and what it has done so far. */
export class SeriesPolicy {
  /** Events recorded into the overflow series since the metric was created. */
  overflowEvents = 0;
  readonly maxSeries: number | undefined;

  constructor(options: SeriesLimitOptions) {
    this.maxSeries = options.maxSeries;
  }
}
