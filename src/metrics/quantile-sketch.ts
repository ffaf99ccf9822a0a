// A quantile sketch with a relative-error guarantee (DDSketch, Masson et al.,
// VLDB 2019): a value v > 0 is counted in bucket ceil(log_gamma(v)), with
// gamma = (1 + a) / (1 - a), and a bucket is read back as 2 gamma^i /
// (gamma + 1), which lies within a relative distance a of every value the
// bucket holds. So any quantile is within a of the exact order statistic,
// whatever the distribution, and two sketches merge exactly by adding their
// buckets: what a sliding window of sketches needs.
//
// Why not the Aggregator's log2 histogram: bpftrace's buckets are integers
// (every value below 1 falls in one bucket), which loses the seconds-scale
// latencies a Summary usually holds.

/** The relative error of every quantile a {@link QuantileSketch} gives. */
export const SKETCH_RELATIVE_ERROR = 0.01;

const GAMMA = (1 + SKETCH_RELATIVE_ERROR) / (1 - SKETCH_RELATIVE_ERROR);
const LOG_GAMMA = Math.log(GAMMA);

/** Bucket counts of positive magnitudes, by bucket index. */
type Store = Map<number, number>;

function add(store: Store, magnitude: number, n: number): void {
  const i = Math.ceil(Math.log(magnitude) / LOG_GAMMA);
  store.set(i, (store.get(i) ?? 0) + n);
}

function bucketValue(i: number): number {
  return (2 * Math.pow(GAMMA, i)) / (GAMMA + 1);
}

/** A mergeable quantile sketch; see the file's comment for the guarantee. */
export class QuantileSketch {
  count = 0;
  private zeros = 0;
  private readonly positive: Store = new Map();
  private readonly negative: Store = new Map();

  /** Counts a finite value. */
  add(value: number): void {
    this.count++;
    if (value > 0) add(this.positive, value, 1);
    else if (value < 0) add(this.negative, -value, 1);
    else this.zeros++;
  }

  /** Adds every count of other into this one. */
  merge(other: QuantileSketch): void {
    this.count += other.count;
    this.zeros += other.zeros;
    for (const [i, n] of other.positive) this.positive.set(i, (this.positive.get(i) ?? 0) + n);
    for (const [i, n] of other.negative) this.negative.set(i, (this.negative.get(i) ?? 0) + n);
  }

  /**
   * The q-quantile (q in [0, 1]): the value of rank floor(q (count - 1)) in sorted order, within
   * the relative error; NaN when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.floor(q * (this.count - 1));
    let seen = 0;
    // Most negative first: negative magnitudes in decreasing bucket order.
    const negative = [...this.negative.keys()].sort((a, b) => b - a);
    for (const i of negative) {
      seen += this.negative.get(i)!;
      if (seen > rank) return -bucketValue(i);
    }
    seen += this.zeros;
    if (seen > rank) return 0;
    const positive = [...this.positive.keys()].sort((a, b) => a - b);
    for (const i of positive) {
      seen += this.positive.get(i)!;
      if (seen > rank) return bucketValue(i);
    }
    return bucketValue(positive[positive.length - 1]);
  }

  /** Buckets held: what its memory grows with (logarithmically in the values' range). */
  get buckets(): number {
    return this.positive.size + this.negative.size + (this.zeros > 0 ? 1 : 0);
  }
}
