// How many series a tophash/prom metric may hold and how long an idle one
// lives: the `maxSeries` and `ttl` options, their checks, and the per-metric
// bookkeeping (overflowed events, expired series) that self-metrics report.
//
// Expiry needs the time of every update, and reading the clock (Date.now,
// performance.now) on every observe would cost more than the observe itself.
// The hot path instead copies a number that a timer refreshes every `tick`
// ms: a series' stamp is at most one tick older than its last update, so the
// sweep removes a series only once `ttl + tick` has passed since its stamp,
// never before ttl has passed since the update.
import type { IndexedSeries, LabelIndex, SeriesClock } from '../metrics/label-index';
import { rangeError, typeError } from '../runtime/errors';
import { isObject, type SeriesStats } from './shared';

export { OVERFLOW_LABEL } from '../metrics/exposition';

/** The `maxSeries` and `ttl` options of tophash/prom's Histogram, Counter and Gauge. */
export interface SeriesLimitOptions {
  /**
   * Most series the metric holds. Past it, events of a new label set go to one overflow series
   * labelled `otel_metric_overflow="true"` (its other labels absent), as OpenTelemetry does, and
   * are counted in `overflowEvents`; label sets seen before keep their own series. An integer in
   * [1, 2^31]; default: no limit.
   */
  maxSeries?: number;
  /**
   * Removes a series not updated for this many ms before the next read (`get()`, a scrape). A
   * handle from `labels(...)` keeps working: its next update creates the series again, a counter
   * from 0. A positive integer; default: series never expire.
   */
  ttl?: number;
}

const NO_CLOCK: SeriesClock = Object.freeze({ now: 0 });
const MAX_SERIES = 2 ** 31;

// A metric that is garbage-collected stops its clock's timer.
const timers = new FinalizationRegistry<NodeJS.Timeout>((timer) => clearInterval(timer));

function checkInteger(value: unknown, expected: string, what: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw typeError(expected, what, value);
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw rangeError(expected, what, value);
  return value;
}

// Why each option is refused on a metric shared between processes. A series' overflow and its
// expiry would both have to be decided over every process, and the shared segment has no place for
// either: an overflow series there needs a key no label tuple can take (the overflow series lives
// in each process's JavaScript), and a process can remove only its own shard's part of a series, so
// expiring it in one process while another still updates it would make a counter or histogram go
// down. Native buckets are counted per process in JavaScript, outside the segment's fixed rows.
const NOT_SHARED = {
  maxSeries: 'series past the limit would be counted outside shared memory',
  ttl: 'a process can expire only its own part of a series, and the merged value would go down',
  native: 'native buckets are counted in each process, outside shared memory',
} as const;

/** A RangeError naming config's `option`, which a metric shared between processes cannot take, and why. */
export function refusedOnShared(option: keyof typeof NOT_SHARED, value: unknown): RangeError {
  return rangeError(
    `no ${option} on a metric shared between processes (${NOT_SHARED[option]})`,
    `config.${option}`,
    value,
  );
}

/**
 * The checked `maxSeries` and `ttl` of a metric config. Neither works on a metric shared between
 * processes (see NOT_SHARED): that throws here, before the metric is registered, rather than
 * being ignored.
 */
export function seriesOptions(config: unknown, shared: boolean): SeriesLimitOptions {
  if (!isObject(config)) return {};
  const o = config as SeriesLimitOptions;
  const maxSeries = checkInteger(o.maxSeries, 'an integer in [1, 2^31]', 'config.maxSeries', MAX_SERIES);
  const ttl = checkInteger(o.ttl, 'a positive integer (ms)', 'config.ttl', Number.MAX_SAFE_INTEGER);
  if (shared && maxSeries !== undefined) throw refusedOnShared('maxSeries', maxSeries);
  if (shared && ttl !== undefined) throw refusedOnShared('ttl', ttl);
  return { maxSeries, ttl };
}

/** One metric's limits and what they have done so far. */
export class SeriesPolicy {
  /** Events recorded into the overflow series since the metric was created. */
  overflowEvents = 0;
  /** Series removed by the ttl since the metric was created. */
  expiredSeries = 0;
  readonly maxSeries: number | undefined;
  readonly ttl: number | undefined;
  /** Stamped into a series on every update; never advances without a ttl. */
  readonly clock: SeriesClock;
  private readonly tick: number;

  constructor(options: SeriesLimitOptions) {
    this.maxSeries = options.maxSeries;
    this.ttl = options.ttl;
    if (this.ttl === undefined) {
      this.clock = NO_CLOCK;
      this.tick = 0;
      return;
    }
    // A sixteenth of the ttl (10 ms to 1 s): expiry is late by at most that, and the timer cheap.
    this.tick = Math.min(1000, Math.max(10, Math.floor(this.ttl / 16)));
    const clock: SeriesClock = { now: Date.now() };
    this.clock = clock;
    const timer = setInterval(() => {
      clock.now = Date.now();
    }, this.tick);
    timer.unref();
    timers.register(this, timer);
  }

  /** The clock for a compiled hot path: undefined without a ttl, so it stamps nothing. */
  get hotClock(): SeriesClock | undefined {
    return this.ttl === undefined ? undefined : this.clock;
  }

  /**
   * Removes the series of index (the overflow series too) not updated for ttl, calling drop for
   * each after it left the index. Runs before every read.
   */
  sweep<S extends IndexedSeries>(index: LabelIndex<S>, drop?: (series: S) => void): void {
    if (this.ttl === undefined) return;
    this.clock.now = Date.now();
    const oldest = this.clock.now - this.ttl - this.tick;
    const expire = (series: S) => {
      index.removeSeries(series);
      drop?.(series);
      this.expiredSeries++;
    };
    for (const series of index.series()) if (series.seen <= oldest) expire(series);
    const overflow = index.overflow;
    if (overflow !== undefined && overflow.seen <= oldest) expire(overflow);
  }
}

// Heap bytes per series and per inner trie node, measured with
// v8.getHeapStatistics() over 100,000 new series of Counters with one and
// three labels (node 20, x64): ~320 bytes for the series object, its labels
// copy, its Map entry and its trie slot; ~1,460 for each inner trie node (a
// null-prototype object in dictionary mode), which a series whose first label
// is new adds one of per further label. Label text is counted as V8 stores
// a one-byte string: a header and a byte per character.
const SERIES_HEAP_BYTES = 320;
const NODE_HEAP_BYTES = 1460;
const STRING_HEAP_BYTES = 16;

/** What a metric reports to self-metrics: its series (the overflow series counted), its policy's counts, and memory. */
export function seriesStatsOf<S extends IndexedSeries>(
  index: LabelIndex<S>,
  policy: SeriesPolicy,
  offHeapBytes: number,
): SeriesStats {
  return {
    series: index.size + (index.overflow === undefined ? 0 : 1),
    overflowEvents: policy.overflowEvents,
    expiredSeries: policy.expiredSeries,
    bytes: offHeapBytes + seriesHeapBytes(index),
  };
}

/** An estimate of the JavaScript heap held by index's series (see the measurements above). */
export function seriesHeapBytes<S extends IndexedSeries>(index: LabelIndex<S>): number {
  const series = index.size;
  const innerNodes = Math.max(0, index.nodes - series);
  let bytes = series * SERIES_HEAP_BYTES + innerNodes * NODE_HEAP_BYTES;
  for (const s of index.series()) for (const value of s.values) bytes += STRING_HEAP_BYTES + value.length;
  return bytes;
}
