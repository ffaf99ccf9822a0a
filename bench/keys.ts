// Benchmark keys, exactly as bench/WORKLOADS.md defines them, so
// that tophash's numbers line up with the C++ and Go runs of the same workloads:
//
//   * splitmix64 seeded with 42; for a size N the present keys are its first N
//     outputs and the absent keys the next N outputs;
//   * the hit (lookup) order is a Fisher–Yates shuffle driven by splitmix64
//     seeded with 43: for i = N-1..1: j = (next() >> 32) % (i+1); swap(i, j);
//   * number keys (JS Map, Float64Array batches) are x >> 11: random integers
//     below 2^53, i.e. HeapNumbers in V8;
//   * an XOR checksum of each key set is printed so runs can be compared.
//
// A BigInt splitmix64 costs ~1 µs per output, far too slow for 2·10^7 keys, so
// the generator works on 32-bit halves (Math.imul plus a 16-bit split for the
// high half of the 32×32 products) and writes straight into the memory of a
// BigUint64Array. It is checked against a BigInt reference at start-up.
import * as os from 'node:os';

export const KEY_SEED = 42n;
export const SHUFFLE_SEED = 43n;

const MASK64 = (1n << 64n) - 1n;

/** The textbook BigInt splitmix64: the oracle the fast generator is checked against. */
export function* splitmix64Reference(seed: bigint): Generator<bigint, never, void> {
  let state = seed & MASK64;
  for (;;) {
    state = (state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    yield z ^ (z >> 31n);
  }
}

/** High 32 bits of the 64-bit product of two uint32s. */
function mulHi32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/**
 * A splitmix64 stream on 32-bit halves that can be drawn from in chunks (W3
 * draws 2·10^7 outputs without holding them all).
 */
export class Splitmix64Halves {
  private lo: number;
  private hi: number;

  constructor(seed: bigint) {
    this.lo = Number(seed & 0xffffffffn);
    this.hi = Number((seed >> 32n) & 0xffffffffn);
  }

  /**
   * Fills out[2i] / out[2i+1] with the low / high 32-bit halves of the next
   * out.length / 2 outputs.
   */
  fill(out: Uint32Array): void {
    let sLo = this.lo;
    let sHi = this.hi;
    const count = out.length >>> 1;
    for (let i = 0; i < count; i++) {
      // state += 0x9E3779B97F4A7C15
      const lo = sLo + 0x7f4a7c15;
      sLo = lo >>> 0;
      sHi = (sHi + 0x9e3779b9 + (lo > 0xffffffff ? 1 : 0)) >>> 0;
      // z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
      let zl = (sLo ^ ((sLo >>> 30) | (sHi << 2))) >>> 0;
      let zh = (sHi ^ (sHi >>> 30)) >>> 0;
      let hi = (mulHi32(zl, 0x1ce4e5b9) + Math.imul(zl, 0xbf58476d) + Math.imul(zh, 0x1ce4e5b9)) >>> 0;
      zl = Math.imul(zl, 0x1ce4e5b9) >>> 0;
      zh = hi;
      // z = (z ^ (z >> 27)) * 0x94D049BB133111EB
      zl = (zl ^ ((zl >>> 27) | (zh << 5))) >>> 0;
      zh = (zh ^ (zh >>> 27)) >>> 0;
      hi = (mulHi32(zl, 0x133111eb) + Math.imul(zl, 0x94d049bb) + Math.imul(zh, 0x133111eb)) >>> 0;
      zl = Math.imul(zl, 0x133111eb) >>> 0;
      zh = hi;
      // z ^ (z >> 31)
      out[2 * i] = (zl ^ ((zl >>> 31) | (zh << 1))) >>> 0;
      out[2 * i + 1] = (zh ^ (zh >>> 31)) >>> 0;
    }
    this.lo = sLo;
    this.hi = sHi;
  }
}

/**
 * Fills out[2i] / out[2i+1] with the low / high 32-bit halves of the first
 * out.length / 2 outputs of splitmix64(seed).
 */
function splitmix64Halves(seed: bigint, out: Uint32Array): void {
  new Splitmix64Halves(seed).fill(out);
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** The first `count` outputs of splitmix64(seed) as a BigUint64Array. */
export function splitmix64Array(seed: bigint, count: number): BigUint64Array {
  const out = new BigUint64Array(count);
  const halves = new Uint32Array(out.buffer, out.byteOffset, count * 2);
  splitmix64Halves(seed, halves);
  if (!LITTLE_ENDIAN) {
    // The halves were written low word first; on a big-endian host rebuild
    // each element from them (slow, but correct).
    const copy = Uint32Array.from(halves);
    for (let i = 0; i < count; i++) out[i] = (BigInt(copy[2 * i + 1]) << 32n) | BigInt(copy[2 * i]);
  }
  return out;
}

/** Checks the 32-bit-halves generator against the BigInt reference; throws on a mismatch. */
export function selfTest(): void {
  for (const seed of [KEY_SEED, SHUFFLE_SEED, 0n, MASK64]) {
    const fast = splitmix64Array(seed, 4096);
    const ref = splitmix64Reference(seed);
    for (let i = 0; i < fast.length; i++) {
      const want = ref.next().value;
      if (fast[i] !== want) {
        throw new Error(`splitmix64(${seed}) output ${i}: fast generator gave ${fast[i]}, reference ${want}`);
      }
    }
  }
  // Chunks of a stream continue where the previous one stopped.
  const stream = new Splitmix64Halves(KEY_SEED);
  const ref = splitmix64Reference(KEY_SEED);
  let index = 0;
  for (const chunk of [1, 3, 4096, 7]) {
    const halves = new Uint32Array(2 * chunk);
    stream.fill(halves);
    for (let i = 0; i < chunk; i++, index++) {
      const got = (BigInt(halves[2 * i + 1]) << 32n) | BigInt(halves[2 * i]);
      const want = ref.next().value;
      if (got !== want) throw new Error(`splitmix64 stream output ${index}: got ${got}, reference ${want}`);
    }
  }
}

/** XOR of all keys, as 16 hex digits. */
export function xorChecksum(keys: BigUint64Array): string {
  const halves = new Uint32Array(keys.buffer, keys.byteOffset, keys.length * 2);
  let a = 0;
  let b = 0;
  for (let i = 0; i < halves.length; i += 2) {
    a ^= halves[i];
    b ^= halves[i + 1];
  }
  const [lo, hi] = LITTLE_ENDIAN ? [a, b] : [b, a];
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** x >> 11 for every key: integers below 2^53, exactly representable as doubles. */
export function toNumberKeys(keys: BigUint64Array): Float64Array {
  const out = new Float64Array(keys.length);
  const halves = new Uint32Array(keys.buffer, keys.byteOffset, keys.length * 2);
  const lo = LITTLE_ENDIAN ? 0 : 1;
  const hi = 1 - lo;
  for (let i = 0; i < keys.length; i++) {
    out[i] = halves[2 * i + hi] * 2097152 + (halves[2 * i + lo] >>> 11);
  }
  return out;
}

/**
 * The Fisher–Yates lookup order for n keys: order[i] is the index (= inserted
 * value) of the i-th key looked up. Driven by splitmix64(43):
 * for i = n-1..1: j = (next() >> 32) % (i+1).
 */
export function shuffleOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < 2) return order;
  const stream = new Uint32Array(2 * (n - 1));
  splitmix64Halves(SHUFFLE_SEED, stream);
  const hi = LITTLE_ENDIAN ? 1 : 0;
  for (let i = n - 1, k = 0; i >= 1; i--, k++) {
    // floor(x / d) is exact here (x, d < 2^32), and avoids a float fmod for x >= 2^31.
    const x = stream[2 * k + hi];
    const d = i + 1;
    const j = x - Math.floor(x / d) * d;
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** Everything a u64-key workload needs for one N, materialized before any timing. */
export interface KeySet {
  n: number;
  /** The first n splitmix64(42) outputs, in generation (= insertion) order. */
  present: BigUint64Array;
  /** The next n outputs, in generation order (the miss lookups). */
  absent: BigUint64Array;
  /** Lookup order: hit[i] = present[order[i]]; the value stored for it is order[i]. */
  order: Uint32Array;
  hit: BigUint64Array;
  /** Number keys x >> 11 of present / hit / absent. */
  presentNum: Float64Array;
  hitNum: Float64Array;
  absentNum: Float64Array;
  /** values[i] = i: the insertion index, as setBatch wants it. */
  values: Float64Array;
  /** Sum of all values: what a full pass of hits must add up to. */
  hitSum: number;
  checksum: { present: string; absent: string };
  /** Wall time to build this set, ms. */
  buildMs: number;
}

let cachedStream: BigUint64Array | null = null;

/** The first `count` splitmix64(42) outputs; the longest stream generated so far is kept and sliced. */
function keyStream(count: number): BigUint64Array {
  if (cachedStream === null || cachedStream.length < count) cachedStream = splitmix64Array(KEY_SEED, count);
  return cachedStream.subarray(0, count);
}

/** Drops the cached key stream (call when the large sizes are done). */
export function releaseKeyCache(): void {
  cachedStream = null;
}

export function makeKeySet(n: number): KeySet {
  const t0 = performance.now();
  const stream = keyStream(2 * n);
  const present = stream.subarray(0, n);
  const absent = stream.subarray(n, 2 * n);
  const order = shuffleOrder(n);
  const hit = new BigUint64Array(n);
  // Copy through 32-bit views: reading a BigUint64Array element allocates a BigInt.
  const src = new Uint32Array(present.buffer, present.byteOffset, 2 * n);
  const dst = new Uint32Array(hit.buffer, hit.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const j = order[i];
    dst[2 * i] = src[2 * j];
    dst[2 * i + 1] = src[2 * j + 1];
  }
  const presentNum = toNumberKeys(present);
  const absentNum = toNumberKeys(absent);
  const hitNum = new Float64Array(n);
  for (let i = 0; i < n; i++) hitNum[i] = presentNum[order[i]];
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = i;
  return {
    n,
    present,
    absent,
    order,
    hit,
    presentNum,
    hitNum,
    absentNum,
    values,
    hitSum: (n * (n - 1)) / 2,
    checksum: { present: xorChecksum(present), absent: xorChecksum(absent) },
    buildMs: performance.now() - t0,
  };
}

/** Materializes a BigUint64Array as an array of bigints (for JS Map with BigInt keys). */
export function toBigIntArray(keys: BigUint64Array): bigint[] {
  const out = new Array<bigint>(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = keys[i];
  return out;
}

// ---- W2: string keys 'user:<int>' ----

/** Everything W2 needs for one N: the keys as packed latin1 bytes, materialized before any timing. */
export interface StrKeySet {
  n: number;
  /** Present keys in insertion order: key i = bytes[offsets[i] .. offsets[i+1]), value i. */
  present: { bytes: Buffer; offsets: Uint32Array };
  /** Present keys in lookup (Fisher–Yates, splitmix64(43)) order; the value of hit key i is order[i]. */
  hit: { bytes: Buffer; offsets: Uint32Array };
  /** Absent keys (odd v), in generation order. */
  absent: { bytes: Buffer; offsets: Uint32Array };
  order: Uint32Array;
  /** values[i] = i. */
  values: Float64Array;
  hitSum: number;
  /** XOR of the integers v (as u64) of each key set, 16 hex digits. */
  checksum: { present: string; absent: string };
  /** splitmix64(42) outputs consumed (two per drawn key, duplicates included). */
  draws: number;
  duplicates: number;
  /** Mean key length in bytes. */
  meanBytes: number;
  buildMs: number;
}

const POW10: number[] = [];
for (let i = 0, p = 1; i <= 15; i++, p *= 10) POW10.push(p);

function packStrings(strs: readonly string[]): { bytes: Buffer; offsets: Uint32Array } {
  let total = 0;
  for (const s of strs) total += s.length;
  const bytes = Buffer.allocUnsafe(total);
  const offsets = new Uint32Array(strs.length + 1);
  let pos = 0;
  for (let i = 0; i < strs.length; i++) {
    pos += bytes.write(strs[i], pos, 'latin1');
    offsets[i + 1] = pos;
  }
  return { bytes, offsets };
}

function hex64(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/**
 * W2's keys, exactly per WORKLOADS.md: per key two splitmix64(42) draws d1, d2;
 * digits d = 5 + hi32(d1) % 11, v = 10^(d-1) + (d2 >> 11) % (9·10^(d-1)); present keys use
 * v - v%2, absent keys v - v%2 + 1; a duplicate is skipped (redrawn); the absent keys continue
 * the same stream. All of this is exact in doubles: d2 >> 11 < 2^53 and v < 10^15.
 */
export function makeStrKeySet(n: number): StrKeySet {
  const t0 = performance.now();
  let streamLen = Math.max(64, 4 * n + 4096);
  let stream = splitmix64Array(KEY_SEED, streamLen);
  let halves = new Uint32Array(stream.buffer, stream.byteOffset, stream.length * 2);
  const lo = LITTLE_ENDIAN ? 0 : 1;
  const hi = 1 - lo;
  let pos = 0;
  let duplicates = 0;
  const draw = (parity: 0 | 1): number => {
    if (pos + 2 > streamLen) {
      streamLen *= 2;
      stream = splitmix64Array(KEY_SEED, streamLen);
      halves = new Uint32Array(stream.buffer, stream.byteOffset, stream.length * 2);
    }
    const h1 = halves[2 * pos + hi];
    const d2hi = halves[2 * pos + 2 + hi];
    const d2lo = halves[2 * pos + 2 + lo];
    pos += 2;
    const d = 5 + (h1 % 11);
    const x = d2hi * 2097152 + (d2lo >>> 11); // d2 >> 11, exact (< 2^53)
    const v = POW10[d - 1] + (x % (9 * POW10[d - 1]));
    return v - (v % 2) + parity;
  };
  const gen = (parity: 0 | 1): { strs: string[]; xhi: number; xlo: number } => {
    const seen = new Set<number>();
    const strs = new Array<string>(n);
    let xhi = 0;
    let xlo = 0;
    for (let i = 0; i < n;) {
      const v = draw(parity);
      if (seen.has(v)) {
        duplicates++;
        continue;
      }
      seen.add(v);
      strs[i++] = `user:${v}`;
      xhi ^= Math.floor(v / 4294967296);
      xlo ^= v >>> 0;
    }
    return { strs, xhi, xlo };
  };
  const p = gen(0);
  const a = gen(1);
  const order = shuffleOrder(n);
  const hitStrs = new Array<string>(n);
  for (let i = 0; i < n; i++) hitStrs[i] = p.strs[order[i]];
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = i;
  const present = packStrings(p.strs);
  return {
    n,
    present,
    hit: packStrings(hitStrs),
    absent: packStrings(a.strs),
    order,
    values,
    hitSum: (n * (n - 1)) / 2,
    checksum: { present: hex64(p.xhi, p.xlo), absent: hex64(a.xhi, a.xlo) },
    draws: pos,
    duplicates,
    meanBytes: present.bytes.length / n,
    buildMs: performance.now() - t0,
  };
}

/** Fresh flat one-byte strings (no cached hash) from packed latin1 keys, as keys read from I/O would be. */
export function materializeStrings(keys: { bytes: Buffer; offsets: Uint32Array }): string[] {
  const { bytes, offsets } = keys;
  const n = offsets.length - 1;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = bytes.toString('latin1', offsets[i], offsets[i + 1]);
  return out;
}
