// The JavaScript half of a Summary's quantiles: observations staged in typed
// arrays and handed to the native sketches (native/core/summary_windows.h) a
// batch at a time, since one crossing into the addon per value would cost more
// than the sketch update. A value carries its observation time when the window
// slides, so a batch counted later still lands in the period it was observed
// in; every read, reset and removal counts what is staged first.
import { native, type NativeSummarySketches, type SummarySketchStats } from '../runtime/native';

const BATCH = 1024;

/** A Summary's windows, one slot per series. */
export class SummarySketches {
  private readonly sketches: NativeSummarySketches;
  private readonly slides: boolean;
  private readonly slots = new Uint32Array(BATCH);
  private readonly values = new Float64Array(BATCH);
  private readonly times: Float64Array | undefined;
  private n = 0;

  /**
   * @param maxAgeSeconds - the window; with ageBuckets, both positive, the window slides
   * @param ageBuckets - the periods the window is split into
   */
  constructor(maxAgeSeconds: number | undefined, ageBuckets: number | undefined) {
    this.slides = maxAgeSeconds !== undefined && ageBuckets !== undefined;
    this.sketches = this.slides
      ? new native.SummarySketches(ageBuckets!, (maxAgeSeconds! * 1000) / ageBuckets!)
      : new native.SummarySketches(1, Infinity);
    this.times = this.slides ? new Float64Array(BATCH) : undefined;
  }

  /** A new series' window; its slot. */
  open(): number {
    return this.sketches.open(this.slides ? Date.now() : 0);
  }

  /** Counts a finite value in slot's window. */
  add(slot: number, value: number): void {
    const n = this.n;
    this.slots[n] = slot;
    this.values[n] = value;
    if (this.times !== undefined) this.times[n] = Date.now();
    this.n = n + 1;
    if (n + 1 === BATCH) this.flush();
  }

  /** The quantiles of slot's window into out (NaN where empty); returns how many values it holds. */
  quantiles(slot: number, qs: Float64Array, out: Float64Array): number {
    this.flush();
    return this.sketches.quantiles(slot, this.slides ? Date.now() : 0, qs, out);
  }

  /** Empties slot's window. */
  reset(slot: number): void {
    this.flush();
    this.sketches.reset(slot);
  }

  /** Frees slot: its series is gone. */
  close(slot: number): void {
    this.flush();
    this.sketches.close(slot);
  }

  /** The native sketches' figures, staged values counted. */
  stats(): SummarySketchStats {
    this.flush();
    return this.sketches.stats();
  }

  private flush(): void {
    if (this.n === 0) return;
    const n = this.n;
    this.n = 0;
    this.sketches.record(this.slots, this.values, this.times, n);
  }
}
