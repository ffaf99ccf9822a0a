// The timing rules of WORKLOADS.md, on top of tinybench:
//
//   N < 1e6:  R = 1e6 / N passes per sample, 5 samples + 1 warm-up sample;
//   N ≥ 1e6:  R = 1, 3 samples (no warm-up: the smaller sizes already ran the
//             same code, and a warm-up pass at 1e7 would cost as much as a sample).
//   The median sample is reported, as ns/op and ops/s (= 1e9 / ns).
//   gc() runs between samples, outside the timed region.
//
// One tinybench iteration is one sample: tinybench times exactly the task
// function (one monotonic hrtime read either side), and its beforeEach /
// afterEach hooks build fresh maps / verify results / destroy maps / gc()
// outside the timed region. `time: 0` and `warmupTime: 0` make the sample
// counts exact (tinybench keeps iterating until both the time budget and the
// iteration count are met).
import { Bench } from 'tinybench';

export interface Plan {
  /** Passes over the N keys per sample (R). */
  reps: number;
  /** Timed samples. */
  samples: number;
  /** Untimed warm-up samples. */
  warmup: number;
}

// --quick (CI's smoke run) does a tenth of the passes and 3 samples: it checks the suite works,
// its figures are not reported anywhere.
export function planFor(n: number, quick = false): Plan {
  if (quick && n < 1e6) return { reps: Math.max(1, Math.round(1e5 / n)), samples: 3, warmup: 1 };
  if (n < 1e6) return { reps: Math.max(1, Math.round(1e6 / n)), samples: 5, warmup: 1 };
  return { reps: 1, samples: 3, warmup: 0 };
}

export interface Measurement {
  n: number;
  reps: number;
  warmup: number;
  /** Operations per sample: n × reps. */
  opsPerSample: number;
  /** Wall time of each timed sample, ms, in ascending order (as tinybench reports them). */
  samplesMs: number[];
  /** The same samples as ns per operation. */
  nsPerOp: number[];
  /** Median ns per operation. */
  medianNs: number;
  /** 1e9 / medianNs. */
  opsPerSec: number;
}

const gcFn = (globalThis as { gc?: () => void }).gc;

/** A full, blocking garbage collection (needs `node --expose-gc`). */
export function gc(): void {
  if (gcFn === undefined) throw new Error('bench: run node with --expose-gc (npm run bench does)');
  gcFn();
}

export function hasGc(): boolean {
  return gcFn !== undefined;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >>> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface MeasureOptions {
  name: string;
  n: number;
  plan: Plan;
  /** The timed region: R passes over the N keys. */
  run: () => void;
  /** Untimed, before every sample (warm-up included): build fresh maps, reset accumulators. */
  before?: () => void;
  /** Untimed, after every sample: verify, destroy maps. gc() follows it. */
  after?: () => void;
}

/** Runs one measurement under the timing rules; verification errors thrown by `after` propagate. */
export function measure(options: MeasureOptions): Measurement {
  const { name, n, plan, run, before, after } = options;
  const bench = new Bench({
    name,
    iterations: plan.samples,
    time: 0,
    warmup: plan.warmup > 0,
    warmupIterations: plan.warmup,
    warmupTime: 0,
    retainSamples: true,
    throws: true,
    timestampProvider: 'hrtimeNow',
  });
  bench.add(name, run, {
    beforeEach: before === undefined ? undefined : () => before(),
    afterEach: () => {
      after?.();
      gc();
    },
  });
  gc();
  bench.runSync();
  const result = bench.tasks[0].result;
  if (result.state === 'errored') throw result.error;
  if (result.state !== 'completed') throw new Error(`bench: ${name} ended in state ${result.state}`);
  const samplesMs = [...(result.latency.samples ?? [])];
  if (samplesMs.length !== plan.samples) {
    throw new Error(`bench: ${name} produced ${samplesMs.length} samples, expected ${plan.samples}`);
  }
  const opsPerSample = n * plan.reps;
  const nsPerOp = samplesMs.map((ms) => (ms * 1e6) / opsPerSample);
  const medianNs = median(nsPerOp);
  return {
    n,
    reps: plan.reps,
    warmup: plan.warmup,
    opsPerSample,
    samplesMs,
    nsPerOp,
    medianNs,
    opsPerSec: 1e9 / medianNs,
  };
}

/** Throws a verification error naming the measurement. */
export function check(condition: boolean, what: string, got: unknown, want: unknown): void {
  if (!condition) throw new Error(`bench verification failed: ${what}: got ${String(got)}, expected ${String(want)}`);
}

/** Percentile (0..1) of an ascending-sorted array, nearest-rank. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank];
}
