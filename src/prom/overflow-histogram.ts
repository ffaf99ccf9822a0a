// The overflow series of a tophash/prom Histogram. Label sets past maxSeries
// share it, so it needs no key in the aggregator (whose keys are label tuples
// that no reserved value can stay clear of); its events are counted here in
// JavaScript, which costs about what a native crossing would for the few
// events that overflow.
import type { ExpositionFamily } from '../metrics/exposition';
import { OVERFLOW_LABEL, type SeriesPolicy } from './series-policy';

/** Counts, sum and per-bucket counts of the overflowed events, in the aggregator's layout. */
export class OverflowHistogram {
  count = 0;
  sum = 0;
  /** Per-bucket counts, not cumulative; the last one counts what lies above the last bound. */
  readonly hist: Float64Array;

  constructor(
    private readonly bounds: readonly number[],
    private readonly policy: SeriesPolicy,
  ) {
    this.hist = new Float64Array(bounds.length + 1);
  }

  /** Records a finite value (the callers have checked it), as the overflow series' handle. */
  record(value: number): void {
    // The first bound >= value: buckets are upper-inclusive, as Prometheus' `le`.
    let lo = 0;
    let hi = this.bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (value <= this.bounds[mid]) hi = mid;
      else lo = mid + 1;
    }
    this.hist[lo]++;
    this.count++;
    this.sum += value;
    this.policy.overflowEvents++;
  }

  /** The overflow series as a family of its own (its labels differ from the metric's). */
  family(name: string, help: string): ExpositionFamily {
    return {
      name,
      help,
      type: 'histogram',
      labelNames: [OVERFLOW_LABEL],
      bounds: this.bounds,
      series: [{ labelValues: ['true'], buckets: this.hist, count: this.count, sum: this.sum }],
    };
  }
}
