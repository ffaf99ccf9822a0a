// Histogram specs and their bucket layouts: validation, a mirror of the native
// bucket functions (native/core/histogram.h) and bpftrace's bucket labels.
import { rangeError, typeError } from '../runtime/errors';

/**
 * The histogram an {@link Aggregator} keeps per key:
 *
 * - `{ log2: { k } }`: bpftrace `hist(n, k)`. Index 0 holds n < 0, then `[0]`, `[1]`, `[2, 4)`,
 *   `[4, 8)` …; with `k` in 1..5 every power of two is split into 2^k buckets. k defaults to 0.
 * - `{ linear: { min, max, step } }`: bpftrace `lhist(n, min, max, step)`. `(..., min)` holds
 *   n < min, then `[min, min+step)` …, and `[max, ...)` holds n ≥ max (max included). Integers,
 *   step ≥ 1, max − min ≥ step, at most 1000 buckets between them, max − min below 2^53.
 * - `{ buckets: [...] }`: Prometheus `le` buckets: finite, strictly increasing upper bounds
 *   (1..1024 of them), each upper-inclusive, plus a final bucket above the last bound (+Inf).
 *
 * Values are doubles while bpftrace buckets integers: a value lands where bpftrace would put
 * `Math.floor(value)`. Every log2 and linear bucket edge is an integer, so this is also plain
 * comparison on the real line: 3.7 is in `[2, 4)`, −0.5 in `(..., 0)`.
 */
export type HistSpec =
  | {
      /** bpftrace `hist`. */
      readonly log2: {
        /** Sub-buckets per power of two as a power of two, 0..5 (default 0). */
        readonly k?: number;
      };
    }
  | {
      /** bpftrace `lhist`. */
      readonly linear: {
        /** Lower edge of the first in-range bucket (integer). */
        readonly min: number;
        /** Values at or above this land in the overflow bucket (integer). */
        readonly max: number;
        /** Bucket width (integer >= 1). */
        readonly step: number;
      };
    }
  | {
      /** Prometheus `le` upper bounds, finite and strictly increasing. */
      readonly buckets: readonly number[];
    };

/** The bucket layout of a {@link HistSpec}, as {@link Aggregator.histogram} exposes it. */
export interface HistLayout {
  /** Which kind of histogram. */
  readonly kind: 'log2' | 'linear' | 'buckets';
  /** Number of buckets (the length of every `AggValue.hist`). */
  readonly size: number;
  /** The bucket a value lands in: the same function the native code runs. */
  index(value: number): number;
  /** Bucket `i`'s label as bpftrace prints it, e.g. `[0]`, `[2, 4)`, `[1K, 2K)`, `(..., 0)`. */
  label(i: number): string;
  /**
   * Upper edges of buckets 0..size−2 (the last bucket is unbounded), for Prometheus export. For
   * `buckets` these are the `le` bounds themselves; for log2 and linear they are the exclusive
   * upper edges of bpftrace's lower-inclusive buckets, so `le` is approximate for values equal to
   * an edge.
   */
  readonly bounds: Float64Array;
}

/** The parsed spec the native constructor takes. */
export interface NativeHistOptions {
  hist: 'none' | 'log2' | 'linear' | 'buckets';
  k?: number;
  min?: number;
  max?: number;
  step?: number;
  bounds?: Float64Array;
}

const MAX_BOUNDS = 1024;
const TWO63 = 2 ** 63;
const SUFFIXES = ['', 'K', 'M', 'G', 'T', 'P', 'E'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function integerOption(v: unknown, what: string): number {
  if (typeof v !== 'number') throw typeError('an integer', what, v);
  if (!Number.isSafeInteger(v)) throw rangeError('a safe integer', what, v);
  return v;
}

// bpftrace's hist_index_label: the lower edge of bucket `index` (> 2^(k+1)), in powers of 1024.
function log2EdgeLabel(index: number, k: number): string {
  const n = 1 << k;
  const interval = index & (n - 1);
  let power = (index >> k) - 1;
  const decade = Math.floor(power / 10);
  power -= 10 * decade;
  return `${(1 << power) * (n + interval)}${SUFFIXES[decade]}`;
}

function log2Edge(index: number, k: number): number {
  const n = 1 << k;
  return 2 ** ((index >> k) - 1) * (n + (index & (n - 1)));
}

function log2Layout(k: number): HistLayout {
  const size = (64 - k) * 2 ** k + 1;
  const mask = 2 ** k - 1;
  const singles = 2 << k;
  const bounds = new Float64Array(size - 1);
  for (let i = 0; i < size - 1; i++) bounds[i] = i <= singles ? i : log2Edge(i, k);
  return {
    kind: 'log2',
    size,
    bounds,
    index(v: number): number {
      if (!(v >= 0)) return 0;
      if (v >= TWO63) return size - 1;
      const n = Math.floor(v);
      if (n <= mask) return n + 1;
      const hi = Math.floor(n / 4294967296);
      const top = hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(n >>> 0);
      const l = top - k;
      const x = Math.floor(n / 2 ** l) % (mask + 1);
      return (l + 1) * 2 ** k + x + 1;
    },
    label(i: number): string {
      if (i === 0) return '(..., 0)';
      if (i <= singles) return `[${i - 1}]`;
      return `[${log2EdgeLabel(i - 1, k)}, ${log2EdgeLabel(i, k)})`;
    },
  };
}

// bpftrace's lhist_index_label: K/M suffixes only when the step is a multiple of 1024.
function linearEdgeLabel(n: number, step: number): string {
  if (step % 1024 !== 0 || n === 0) return String(n);
  if (n % 1048576 === 0) return `${n / 1048576}M`;
  if (n % 1024 === 0) return `${n / 1024}K`;
  return String(n);
}

function linearLayout(min: number, max: number, step: number): HistLayout {
  const buckets = Math.floor((max - min) / step);
  const size = buckets + 2;
  const bounds = new Float64Array(size - 1);
  for (let i = 0; i < size - 1; i++) bounds[i] = min + i * step;
  return {
    kind: 'linear',
    size,
    bounds,
    index(v: number): number {
      if (v < min) return 0;
      if (v >= max) return buckets + 1;
      const d = Math.floor(v) - min;
      let q = Math.floor(d / step);
      if (q * step > d) q--;
      else if ((q + 1) * step <= d) q++;
      return q + 1;
    },
    label(i: number): string {
      if (i === 0) return `(..., ${linearEdgeLabel(min, step)})`;
      const lower = min + (i - 1) * step;
      if (i > buckets) return `[${linearEdgeLabel(lower, step)}, ...)`;
      // bpftrace prints a one-value bucket (step 1) as [v].
      if (step === 1) return `[${lower}]`;
      return `[${linearEdgeLabel(lower, step)}, ${linearEdgeLabel(lower + step, step)})`;
    },
  };
}

function formatBound(b: number): string {
  return String(b);
}

function bucketsLayout(bounds: Float64Array): HistLayout {
  const n = bounds.length;
  return {
    kind: 'buckets',
    size: n + 1,
    bounds,
    index(v: number): number {
      let lo = 0;
      let hi = n;
      // The first bound >= v: the count of bounds below v.
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (bounds[mid] < v) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
    label(i: number): string {
      if (i === 0) return `(..., ${formatBound(bounds[0])}]`;
      if (i === n) return `(${formatBound(bounds[n - 1])}, ...)`;
      return `(${formatBound(bounds[i - 1])}, ${formatBound(bounds[i])}]`;
    },
  };
}

/**
 * Validates a {@link HistSpec} and returns its layout and the options the native constructor
 * takes. Throws TypeError/RangeError naming the offending field, e.g. `options.hist.linear.step`.
 *
 * @internal
 */
export function parseHistSpec(
  spec: unknown,
  what = 'options.hist',
): { layout: HistLayout | undefined; native: NativeHistOptions } {
  if (spec === undefined) return { layout: undefined, native: { hist: 'none' } };
  if (!isObject(spec)) throw typeError('{ log2 } | { linear } | { buckets }', what, spec);
  const kinds = ['log2', 'linear', 'buckets'].filter((k) => spec[k] !== undefined);
  if (kinds.length !== 1) throw typeError('exactly one of log2, linear or buckets', what, spec);
  if (kinds[0] === 'log2') {
    const o = spec.log2;
    if (!isObject(o)) throw typeError('an object { k? }', `${what}.log2`, o);
    const k = o.k === undefined ? 0 : integerOption(o.k, `${what}.log2.k`);
    if (k < 0 || k > 5) throw rangeError('an integer in [0, 5]', `${what}.log2.k`, k);
    return { layout: log2Layout(k), native: { hist: 'log2', k } };
  }
  if (kinds[0] === 'linear') {
    const o = spec.linear;
    if (!isObject(o)) throw typeError('an object { min, max, step }', `${what}.linear`, o);
    const min = integerOption(o.min, `${what}.linear.min`);
    const max = integerOption(o.max, `${what}.linear.max`);
    const step = integerOption(o.step, `${what}.linear.step`);
    if (step < 1) throw rangeError('an integer >= 1', `${what}.linear.step`, step);
    if (max - min < step) throw rangeError(`an integer >= min + step (${min + step})`, `${what}.linear.max`, max);
    if (!Number.isSafeInteger(max - min)) throw rangeError('max - min below 2^53', `${what}.linear.max`, max);
    const buckets = Math.floor((max - min) / step);
    if (buckets > 1000) {
      throw rangeError(`at most 1000 buckets ((max - min) / step is ${buckets})`, `${what}.linear.step`, step);
    }
    return { layout: linearLayout(min, max, step), native: { hist: 'linear', min, max, step } };
  }
  const b = spec.buckets;
  if (!Array.isArray(b)) throw typeError('an array of numbers', `${what}.buckets`, b);
  if (b.length === 0 || b.length > MAX_BOUNDS) {
    throw rangeError(`1 to ${MAX_BOUNDS} bounds`, `${what}.buckets`, b);
  }
  const bounds = new Float64Array(b.length);
  for (let i = 0; i < b.length; i++) {
    const v: unknown = b[i];
    if (typeof v !== 'number') throw typeError('a number', `${what}.buckets[${i}]`, v);
    if (!Number.isFinite(v)) throw rangeError('a finite number', `${what}.buckets[${i}]`, v);
    if (i > 0 && !(v > bounds[i - 1])) {
      throw rangeError(`a bound above ${bounds[i - 1]} (strictly increasing)`, `${what}.buckets[${i}]`, v);
    }
    bounds[i] = v;
  }
  return { layout: bucketsLayout(bounds), native: { hist: 'buckets', bounds } };
}

/**
 * The bucket layout of a histogram spec, without an aggregator: what {@link Aggregator.histogram}
 * returns for the same spec.
 *
 * @param spec - the spec to lay out
 * @returns its layout
 *
 * @example
 * ```ts
 * const h = histogramLayout({ log2: {} });
 * h.label(h.index(1500)); // '[1K, 2K)'
 * ```
 */
export function histogramLayout(spec: HistSpec): HistLayout {
  return parseHistSpec(spec, 'spec').layout as HistLayout;
}

/** The spec that {@link parseHistSpec} turns into these native options (what a share() token carries). */
export function specOf(native: NativeHistOptions): HistSpec | undefined {
  switch (native.hist) {
    case 'log2':
      return { log2: { k: native.k ?? 0 } };
    case 'linear':
      return { linear: { min: native.min ?? 0, max: native.max ?? 0, step: native.step ?? 1 } };
    case 'buckets':
      return { buckets: [...(native.bounds ?? [])] };
    default:
      return undefined;
  }
}
