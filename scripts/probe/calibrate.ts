// Quick timings of every supported kernel: ns per key for match kernels
// (U64Map.getBatch of all-hit lookups) and hash kernels (hashBatch of u64
// keys), and GB/s of hash() over a 1 KiB buffer. Medians of a few runs, taken
// round-robin across kernels so a clock-speed change mid-probe hits all alike.
import { hash, hashBatch, kernels, U64Map, type HashKernelName, type MatchKernelName } from '../../src/index';

export interface CalibrationOptions {
  /** Keys in each map and in each batch. */
  keys: number;
  /** Timed runs per kernel (after one warm-up run); the median is reported. */
  runs: number;
  /** hash() calls of bufferBytes per run. */
  bufferCalls: number;
  bufferBytes: number;
  /** Hash kernel of every map timed for match kernels. */
  mapHash: string;
}

export const DEFAULT_CALIBRATION: Omit<CalibrationOptions, 'mapHash'> = {
  keys: 100_000,
  runs: 9,
  bufferCalls: 2_000,
  bufferBytes: 1024,
};

export interface MatchTiming {
  kernel: string;
  hash: string;
  nsPerKey: number;
}

export interface HashTiming {
  kernel: string;
  /** hashBatch of u64 keys. */
  nsPerKey: number;
  /** hash() of a bufferBytes buffer, in 1e9 bytes per second. */
  gbPerSec: number;
}

export interface Calibration {
  keys: number;
  runs: number;
  bufferBytes: number;
  match: MatchTiming[];
  hash: HashTiming[];
}

/** mulberry32: deterministic filler so every run times the same keys. */
function fillRandom(words: Uint32Array, seed: number): void {
  let a = seed >>> 0;
  for (let i = 0; i < words.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    words[i] = (t ^ (t >>> 14)) >>> 0;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function timeNs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0);
}

/** Runs each task once untimed, then `runs` timed rounds; returns each task's median ns. */
function roundRobin(tasks: Array<() => void>, runs: number): number[] {
  for (const task of tasks) task();
  const samples = tasks.map((): number[] => []);
  for (let r = 0; r < runs; r++) {
    tasks.forEach((task, i) => samples[i].push(timeNs(task)));
  }
  return samples.map(median);
}

export function calibrate(options: CalibrationOptions): Calibration {
  const { keys: n, runs, bufferCalls, bufferBytes, mapHash } = options;
  const list = kernels().filter((k) => k.supported);
  const matchNames = list.filter((k) => k.kind === 'match').map((k) => k.name);
  const hashNames = list.filter((k) => k.kind === 'hash').map((k) => k.name);

  const keys = new BigUint64Array(n);
  fillRandom(new Uint32Array(keys.buffer), 0x7097a5);
  const values = Float64Array.from({ length: n }, (_, i) => i);

  // Match kernels: one map per kernel, all with the same keys, seed and hash.
  const maps = matchNames.map(
    (match) => new U64Map({ capacity: n, seed: 1n, match: match as MatchKernelName, hash: mapHash as HashKernelName }),
  );
  try {
    const out = new Float64Array(n);
    for (const m of maps) m.setBatch(keys, values);
    const lookups = maps.map((m, i) => () => {
      const hits = m.getBatch(keys, out);
      if (hits !== n) throw new Error(`calibration: ${matchNames[i]} found ${hits} of ${n} keys`);
    });
    const matchNs = roundRobin(lookups, runs);
    const match = matchNames.map((kernel, i) => ({ kernel, hash: mapHash, nsPerKey: matchNs[i] / n }));

    // Hash kernels: a u64 batch and repeated hash() of one buffer.
    const hashed = new BigUint64Array(n);
    const buffer = new Uint8Array(bufferBytes);
    fillRandom(new Uint32Array(buffer.buffer, 0, bufferBytes >> 2), 0xb0ff);
    const batchNs = roundRobin(
      hashNames.map((kernel) => () => void hashBatch(keys, { kernel: kernel as HashKernelName, out: hashed })),
      runs,
    );
    const bufferNs = roundRobin(
      hashNames.map((kernel) => () => {
        const opts = { kernel: kernel as HashKernelName };
        for (let i = 0; i < bufferCalls; i++) hash(buffer, opts);
      }),
      runs,
    );
    const hashTimings = hashNames.map((kernel, i) => ({
      kernel,
      nsPerKey: batchNs[i] / n,
      gbPerSec: (bufferBytes * bufferCalls) / bufferNs[i],
    }));
    return { keys: n, runs, bufferBytes, match, hash: hashTimings };
  } finally {
    for (const m of maps) m.close();
  }
}
