// What the CPU offers and which kernels tophash picks, plus direct access to
// the hash kernels (for tests, benchmarks and users who need a seeded hash).
import { typeError } from './errors';
import { native, type CpuInfo, type KernelInfo } from './native';
import type { HashKernelName } from './u64map';

export type { CpuInfo, KernelInfo } from './native';

/**
 * Every match and hash kernel compiled in, whether this CPU runs it, and which is active.
 *
 * @example
 * ```ts
 * kernels().filter((k) => k.kind === 'match' && k.supported).map((k) => k.name);
 * // e.g. ['scalar', 'swar', 'sse2', 'avx2']
 * ```
 */
export function kernels(): KernelInfo[] {
  return native.kernels();
}

/**
 * CPU identity and the features the kernels care about (cpuid + xgetbv on x86).
 *
 * @example
 * ```ts
 * const { features, selected } = cpu();
 * features.avx2;   // true on most x86-64 servers
 * selected.match;  // 'avx2'
 * ```
 */
export function cpu(): CpuInfo {
  return native.cpu();
}

/** Options for {@link hash} and {@link hashBatch}. */
export interface HashOptions {
  /** Default 0n. */
  seed?: bigint;
  /** 'aes' (default where AES-NI exists) or 'fold': the family fixes the output. */
  family?: 'aes' | 'fold';
  /** A specific kernel: 'aes', 'vaes' and 'aes-portable' give identical results. */
  kernel?: HashKernelName;
}

const encoder = new TextEncoder();

// Strings are encoded into one reused buffer. A fresh small Uint8Array per
// call (TextEncoder.encode) lives on V8's heap, and handing it to Node-API
// makes V8 move its bytes off the heap first: that cost ~1 µs of a ~1.2 µs
// hash('16 characters') in W4.
let scratch = new Uint8Array(256);

function utf8View(s: string): Uint8Array {
  if (s.length * 3 > scratch.length) scratch = new Uint8Array(Math.max(s.length * 3, scratch.length * 2));
  return scratch.subarray(0, encoder.encodeInto(s, scratch).written);
}

let aesKernel: string | undefined;

function kernelFor(options: HashOptions): string | undefined {
  if (options.kernel !== undefined) return options.kernel;
  if (options.family === undefined) return undefined;
  if (options.family === 'fold') return 'fold';
  if (options.family === 'aes') {
    aesKernel ??= native.kernels().find((k) => k.name === 'aes')?.supported ? 'aes' : 'aes-portable';
    return aesKernel;
  }
  throw typeError("'aes' or 'fold'", 'options.family', options.family);
}

/**
 * The 64-bit hash tophash's maps use, of bytes or of a string's UTF-8 bytes.
 *
 * @example
 * ```ts
 * hash('hello');                       // a bigint, the same on every AES kernel
 * hash(new Uint8Array([1, 2, 3]), { seed: 7n, family: 'fold' });
 * ```
 */
export function hash(data: Uint8Array | string, options: HashOptions = {}): bigint {
  const bytes = typeof data === 'string' ? utf8View(data) : data;
  return native.hashBytes(bytes, options.seed, kernelFor(options));
}

/**
 * Hashes each u64 key as its 8 little-endian bytes; returns `options.out`
 * (filled in place) or a new array.
 *
 * @example
 * ```ts
 * const hashes = hashBatch(new BigUint64Array([1n, 2n, 3n]), { seed: 1n });
 * ```
 */
export function hashBatch(keys: BigUint64Array, options: HashOptions & { out?: BigUint64Array } = {}): BigUint64Array {
  const out = options.out ?? new BigUint64Array(keys.length);
  native.hashU64Batch(keys, out, options.seed, kernelFor(options));
  return out;
}
