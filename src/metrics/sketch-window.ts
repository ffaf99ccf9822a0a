// The sliding window of a Summary's quantiles, as prom-client keeps it
// (maxAgeSeconds split into ageBuckets): quantiles cover the last ageBuckets - 1
// whole periods of maxAgeSeconds / ageBuckets and the current one. prom-client
// pushes every value into every bucket's t-digest and reads the oldest; with a
// mergeable sketch a value goes into its own period's sketch only, and a read
// merges the periods, which gives the same window for 1/ageBuckets the work
// per observation.
import { QuantileSketch } from './quantile-sketch';

/** A window of quantile sketches, rotated on Date.now(). */
export class SketchWindow {
  private readonly ring: QuantileSketch[];
  private current = 0;
  private lastRotate: number;
  private readonly period: number;

  /**
   * @param maxAgeSeconds - the window; with ageBuckets, both positive, the window slides
   * @param ageBuckets - the periods the window is split into
   */
  constructor(maxAgeSeconds: number | undefined, ageBuckets: number | undefined) {
    const slides = maxAgeSeconds !== undefined && ageBuckets !== undefined;
    this.ring = Array.from({ length: slides ? ageBuckets : 1 }, () => new QuantileSketch());
    this.period = slides ? (maxAgeSeconds * 1000) / ageBuckets : Infinity;
    this.lastRotate = slides ? Date.now() : 0;
  }

  /** Counts a finite value in the current period. */
  add(value: number): void {
    if (this.period !== Infinity) this.rotate();
    this.ring[this.current].add(value);
  }

  /** The quantiles of the window's values, in the order asked; NaN where it is empty. */
  quantiles(qs: readonly number[]): number[] {
    if (this.period !== Infinity) this.rotate();
    let merged = this.ring[0];
    if (this.ring.length > 1) {
      merged = new QuantileSketch();
      for (const sketch of this.ring) merged.merge(sketch);
    }
    return qs.map((q) => merged.quantile(q));
  }

  /** How many values the window holds now. */
  size(): number {
    if (this.period !== Infinity) this.rotate();
    let n = 0;
    for (const sketch of this.ring) n += sketch.count;
    return n;
  }

  /** Forgets every value. */
  reset(): void {
    for (let i = 0; i < this.ring.length; i++) this.ring[i] = new QuantileSketch();
  }

  // prom-client's rule: a period ends once more than `period` ms have passed since the last one did.
  private rotate(): void {
    let since = Date.now() - this.lastRotate;
    // Idle for the whole window: every period is empty, without a step per period.
    const whole = this.period * this.ring.length;
    if (since > whole) {
      this.reset();
      const periods = Math.floor(since / this.period);
      this.current = (this.current + periods) % this.ring.length;
      this.lastRotate += periods * this.period;
      since -= periods * this.period;
    }
    while (since > this.period) {
      this.current = (this.current + 1) % this.ring.length;
      this.ring[this.current] = new QuantileSketch();
      since -= this.period;
      this.lastRotate += this.period;
    }
  }
}
