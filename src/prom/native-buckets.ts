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
}

/** Prometheus' Go client's default zero threshold. */
export const DEFAULT_ZERO_THRESHOLD = 2 ** -128;

/** Validates the `native` option; names the offending field in a TypeError or RangeError. */
export function parseNativeOption(native: unknown): Required<NativeHistogramOptions> | undefined {
  if (native === undefined) return undefined;
  if (typeof native !== 'object' || native === null) throw typeError('an object { schema }', 'config.native', native);
  const { schema, zeroThreshold = DEFAULT_ZERO_THRESHOLD, ...rest } = native as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    throw rangeError("'schema' or 'zeroThreshold'", 'an option name in config.native', unknown);
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
  return { schema, zeroThreshold };
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

/** Runs of consecutive populated buckets, and each count as a delta from the one before. */
export interface SpansAndDeltas {
  spans: { offset: number; length: number }[];
  deltas: number[];
}

/** The spans-and-deltas encoding of sparse bucket counts (index → count). */
export function spansAndDeltas(counts: Map<number, number>): SpansAndDeltas {
  const indexes = [...counts.keys()].sort((a, b) => a - b);
  const spans: { offset: number; length: number }[] = [];
  const deltas: number[] = [];
  let previousIndex = 0;
  let previousCount = 0;
  for (let n = 0; n < indexes.length; n++) {
    const i = indexes[n];
    const count = counts.get(i) as number;
    if (n > 0 && i === previousIndex + 1) spans[spans.length - 1].length++;
    else spans.push({ offset: n === 0 ? i : i - previousIndex - 1, length: 1 });
    deltas.push(count - previousCount);
    previousIndex = i;
    previousCount = count;
  }
  return { spans, deltas };
}

/** One series' native histogram: count, sum, the zero bucket and sparse bucket counts by sign. */
export class NativeCounts {
  count = 0;
  sum = 0;
  zeroCount = 0;
  readonly positive = new Map<number, number>();
  readonly negative = new Map<number, number>();

  constructor(
    readonly schema: number,
    readonly zeroThreshold: number,
  ) {}

  /** Records a finite value (the callers have checked it). */
  record(value: number): void {
    this.count++;
    this.sum += value;
    const magnitude = Math.abs(value);
    if (magnitude <= this.zeroThreshold) {
      this.zeroCount++;
      return;
    }
    const buckets = value > 0 ? this.positive : this.negative;
    const i = nativeBucketIndex(magnitude, this.schema);
    buckets.set(i, (buckets.get(i) ?? 0) + 1);
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
