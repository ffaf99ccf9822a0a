// bpftrace-style log2 buckets as an OpenTelemetry exponential histogram.
//
// A log2 layout's bucket 0 holds n < 0, bucket 1 holds [0, 1) (bpftrace's [0]), and every later
// bucket lies inside one octave [2^t, 2^(t+1)): the whole octave for k = 0, one of its 2^k equal
// (linear) slices for k > 0. OpenTelemetry's exponential bucket i at scale s is
// (base^i, base^(i+1)] with base = 2^(2^-s): geometric slices. Only at scale 0 do the two
// families of edges coincide (a linear slice edge such as 6 within [4, 8) is no power of 2^(1/2)),
// so every k is reported at scale 0 with each octave's slices summed: exact bucket for bucket,
// except that tophash's buckets are lower-inclusive and OpenTelemetry's upper-inclusive, so a
// value equal to a power of two is reported one bucket up (2^t counts in (2^t, 2^(t+1)]).
import type { ExponentialHistogram } from '@opentelemetry/sdk-metrics';

import type { HistLayout } from '../metrics/histogram';

const octaveCache = new WeakMap<HistLayout, Int32Array>();

/** The scale-0 index (octave t of [2^t, 2^(t+1))) of each bucket from 2 on. */
function octaves(layout: HistLayout): Int32Array {
  let out = octaveCache.get(layout);
  if (out === undefined) {
    out = new Int32Array(layout.size);
    // Bucket i starts where bucket i - 1 ends; every such edge is an integer >= 1.
    for (let i = 2; i < layout.size; i++) out[i] = Math.floor(Math.log2(layout.bounds[i - 1]));
    octaveCache.set(layout, out);
  }
  return out;
}

/**
 * The exponential histogram of one series' log2 buckets. [0, 1) becomes the zero count (bpftrace
 * buckets integers: it is the value 0). The negatives' magnitudes are not kept, only that they
 * are at most |min|: they are reported together in the negative bucket holding min.
 */
export function toExponential(
  layout: HistLayout,
  buckets: ArrayLike<number>,
  count: number,
  sum: number,
  min: number,
  max: number,
): ExponentialHistogram {
  const octave = octaves(layout);
  let lowest = Infinity;
  let highest = -Infinity;
  for (let i = 2; i < buckets.length; i++) {
    if (buckets[i] === 0) continue;
    lowest = Math.min(lowest, octave[i]);
    highest = Math.max(highest, octave[i]);
  }
  const positive = { offset: 0, bucketCounts: [] as number[] };
  if (highest >= lowest) {
    positive.offset = lowest;
    positive.bucketCounts = new Array<number>(highest - lowest + 1).fill(0);
    for (let i = 2; i < buckets.length; i++)
      if (buckets[i] !== 0) positive.bucketCounts[octave[i] - lowest] += buckets[i];
  }
  const negative = { offset: 0, bucketCounts: [] as number[] };
  if (buckets[0] > 0) {
    negative.offset = min < 0 ? Math.ceil(Math.log2(-min)) - 1 : 0;
    negative.bucketCounts = [buckets[0]];
  }
  const histogram: ExponentialHistogram = { count, sum, scale: 0, zeroCount: buckets[1], positive, negative };
  if (!Number.isNaN(min)) histogram.min = min;
  if (!Number.isNaN(max)) histogram.max = max;
  return histogram;
}
