// Prometheus native-histogram buckets, counted in JavaScript. The Aggregator's log2 buckets
// cannot stand in for them: they are lower-inclusive ([2^j, 2^(j+1))) where native buckets are
// upper-inclusive ((base^(i-1), base^i]), they floor values first (all of [0, 1) is one bucket,
// and latencies in seconds live there), and their 2^k sub-buckets split a power of two linearly
// where schema k splits it geometrically. So each observation is bucketed here, exactly as
// Prometheus' Go client does (frexp, then a search in the schema's bounds), into sparse counts.
import { rangeError, typeError } from '../runtime/errors';

/** The `native` option of a tophash/prom Histogram. */
export interface NativeHistogramOptions {
  /**
   * Resolution: bucket boundaries at 2^(i·2^-schema), an integer in −4..8. Schema 0 has one bucket
   * per power of two, 3 has eight (about 9 % wide); each step down merges pairs of buckets.
   */
  schema: number;
  /**
   * Values whose magnitude is at most this go to the zero bucket (default 2^-128, Prometheus'
   * Go client's default).
   */
  zeroThreshold?: number;
  /**
   * Also send the classic `buckets` in the protobuf exposition, beside the native ones (default
   * false). Prometheus ingests only the native histogram of a histogram that has both unless its
   * scrape config sets `always_scrape_classic_histograms` (`scrape_classic_histograms` in 2.45 to
   * 2.55; 2.40 to 2.44 have no such setting), so they are usually bytes no one reads; set this while
   * migrating queries from the classic series. The text exposition always has the classic buckets.
   */
  classic?: boolean;
}

/** Prometheus' Go client's default zero threshold. */
export const DEFAULT_ZERO_THRESHOLD = 2 ** -128;

/** Validates the `native` option; names the offending field in a TypeError or RangeError. */
export function parseNativeOption(native: unknown): Required<NativeHistogramOptions> | undefined {
  if (native === undefined) return undefined;
  if (typeof native !== 'object' || native === null) throw typeError('an object { schema }', 'config.native', native);
  const {
    schema,
    zeroThreshold = DEFAULT_ZERO_THRESHOLD,
    classic = false,
    ...rest
  } = native as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    throw rangeError("'schema', 'zeroThreshold' or 'classic'", 'an option name in config.native', unknown);
  if (typeof classic !== 'boolean') throw typeError('a boolean', 'config.native.classic', classic);
  if (typeof schema !== 'number') throw typeError('an integer in -4..8', 'config.native.schema', schema);
  if (!Number.isInteger(schema) || schema < -4 || schema > 8) {
    throw rangeError('an integer in -4..8', 'config.native.schema', schema);
  }
  if (typeof zeroThreshold !== 'number') {
    throw typeError('a finite number >= 0', 'config.native.zeroThreshold', zeroThreshold);
  }
  if (!(zeroThreshold >= 0) || !Number.isFinite(zeroThreshold)) {
    throw rangeError('a finite number >= 0', 'config.native.zeroThreshold', zeroThreshold);
  }
  return { schema, zeroThreshold, classic };
}

// For schema > 0: the bucket edges inside [0.5, 1), which frexp's fraction falls in.
const FRACTION_BOUNDS: Float64Array[] = [];
for (let schema = 1; schema <= 8; schema++) {
  const n = 2 ** schema;
  const bounds = new Float64Array(n);
  for (let j = 0; j < n; j++) bounds[j] = 2 ** (j / n - 1);
  FRACTION_BOUNDS[schema] = bounds;
}

/** frexp's exponent: v = frac · 2^exp with frac in [0.5, 1), for a finite v > 0. */
function frexpExponent(v: number): number {
  let exp = Math.floor(Math.log2(v)) + 1;
  // log2 rounds: correct by one either way so that 2^(exp-1) <= v < 2^exp holds exactly.
  if (2 ** (exp - 1) > v) exp--;
  else if (2 ** exp <= v) exp++;
  return exp;
}

/**
 * The native bucket index of |v| > 0: the i with base^(i-1) < |v| <= base^i. A value on a
 * boundary belongs to the bucket it closes, as in Prometheus.
 */
export function nativeBucketIndex(v: number, schema: number): number {
  const exp = frexpExponent(v);
  const frac = v / 2 ** exp;
  if (schema > 0) {
    const bounds = FRACTION_BOUNDS[schema];
    // The first bound >= frac.
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid] < frac) lo = mid + 1;
      else hi = mid;
    }
    return lo + (exp - 1) * bounds.length;
  }
  // A power of two closes its bucket: 2^(exp-1) belongs below.
  const e = frac === 0.5 ? exp - 1 : exp;
  return Math.ceil(e / 2 ** -schema);
}

/**
 * Bucket counts over a contiguous range of indexes, grown to cover each new index: recording is
 * an increment, and the populated buckets come out in index order for spans and deltas with no
 * sort. Memory is 8 bytes per bucket between the lowest and highest index seen.
 */
export class DenseBuckets {
  /** The index of counts[0]. */
  offset = 0;
  counts = new Float64Array(0);

  add(i: number): void {
    let at = i - this.offset;
    if (at < 0 || at >= this.counts.length) at = this.grow(i);
    this.counts[at]++;
  }

  private grow(i: number): number {
    const old = this.counts;
    if (old.length === 0) {
      this.offset = i - 8;
      this.counts = new Float64Array(16);
      return 8;
    }
    // Half again as much room on the side that ran out, so a drifting range grows in few steps.
    const low = Math.min(i, this.offset);
    const high = Math.max(i, this.offset + old.length - 1);
    const pad = Math.max(8, (high - low + 1) >> 1);
    const offset = i < this.offset ? low - pad : low;
    const counts = new Float64Array(high - low + 1 + pad);
    counts.set(old, this.offset - offset);
    this.offset = offset;
    this.counts = counts;
    return i - offset;
  }

  clear(): void {
    this.counts.fill(0);
  }
}

/** One series' native histogram: count, sum, the zero bucket and sparse bucket counts by sign. */
export class NativeCounts {
  count = 0;
  sum = 0;
  zeroCount = 0;
  readonly positive = new DenseBuckets();
  readonly negative = new DenseBuckets();

  constructor(
    readonly schema: number,
    readonly zeroThreshold: number,
  ) {}

  /** Records a finite value (the callers have checked it). */
  record(value: number): void {
    this.count++;
    this.sum += value;
    const magnitude = Math.abs(value);
    if (magnitude <= this.zeroThreshold) this.zeroCount++;
    else (value > 0 ? this.positive : this.negative).add(nativeBucketIndex(magnitude, this.schema));
  }

  clear(): void {
    this.count = 0;
    this.sum = 0;
    this.zeroCount = 0;
    this.positive.clear();
    this.negative.clear();
  }
}

/** The handle of a Histogram series with native buckets: records into both its classic handle and its native counts. */
export class NativeHandle<H extends { record(value: number): void }> {
  constructor(
    readonly classic: H,
    readonly native: NativeCounts,
  ) {}

  record(value: number): void {
    this.classic.record(value);
    this.native.record(value);
  }
}
