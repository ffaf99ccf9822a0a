// What the CPU offers and which kernels tophash picks, plus direct access to
// the hash kernels (for tests, benchmarks and users who need a seeded hash).
import { typeError, withCode } from './errors';
import { native, type CpuInfo, type KernelInfo } from './native';
import type { PackedKeys } from './packed-keys';
import type { HashKernelName } from './kernel-names';

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

/** Options for {@link hash} (and, with `out`, {@link hashBatch}). */
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
 * Fixed-width byte keys for {@link hashBatch}: key `i` is
 * `bytes.subarray(i * keySize, (i + 1) * keySize)`, the shape of an eBPF map's keys (a 16-byte
 * flow tuple, a label tuple), so `bytes.length` must be a multiple of `keySize`.
 */
export interface FixedSizeKeys {
  /** The keys' bytes, back to back. */
  bytes: Uint8Array;
  /** Bytes per key: a positive integer (eBPF's `key_size`). */
  keySize: number;
}

/**
 * What {@link hashBatch} hashes: u64 keys (each as its 8 little-endian bytes), variable-length
 * byte keys as {@link PackedKeys} (`{ bytes, offsets }`, the StrMap batch shape), or
 * {@link FixedSizeKeys} (`{ bytes, keySize }`).
 */
export type HashBatchKeys = BigUint64Array | PackedKeys | FixedSizeKeys;

/** Options for {@link hashBatch}: those of {@link hash}, plus where to write. */
export interface HashBatchOptions extends HashOptions {
  /**
   * Filled in place and returned instead of a new array: a `BigUint64Array` of exactly one
   * element per key. For byte keys it must share no memory with `bytes` or `offsets` (a hash
   * written early would change a key still to be read); u64 keys may be hashed in place.
   */
  out?: BigUint64Array;
}

const batchShapes = 'a BigUint64Array, { bytes, offsets } or { bytes, keySize }';

/**
 * Hashes a batch of keys in one native call: element `i` of the result is exactly
 * `hash(key i, options)` (u64 keys hash as their 8 little-endian bytes), whatever else is in
 * the batch. Returns `options.out`, filled in place, or a new array.
 *
 * The whole batch is checked before anything is written: a `TypeError` for a wrong kind of
 * argument, a `RangeError` naming the argument and index for `offsets` that decrease or pass
 * `bytes.length`, a `keySize` that is not a positive integer dividing `bytes.length`, or an
 * `out` of the wrong length. A detached buffer reads as empty, as everywhere in tophash.
 *
 * @example
 * ```ts
 * const hashes = hashBatch(new BigUint64Array([1n, 2n, 3n]), { seed: 1n });
 * // Three 16-byte keys back to back (an eBPF-style key array):
 * hashBatch({ bytes: new Uint8Array(48), keySize: 16 });
 * // Variable-length keys 'ab', '', 'cde':
 * hashBatch({ bytes: new TextEncoder().encode('abcde'), offsets: new Uint32Array([0, 2, 2, 5]) });
 * ```
 */
export function hashBatch(keys: HashBatchKeys, options: HashBatchOptions = {}): BigUint64Array {
  const kernel = kernelFor(options);
  if (ArrayBuffer.isView(keys)) {
    // The native side checks the kind (a BigUint64Array) and out's length.
    const out = options.out ?? new BigUint64Array(keys.length);
    native.hashU64Batch(keys, out, options.seed, kernel);
    return out;
  }
  if (typeof keys !== 'object' || keys === null) throw typeError(batchShapes, 'keys', keys);
  // Each property is read once, so a getter cannot hand the checks one value and the hash another.
  const { bytes, offsets, keySize } = keys as Partial<PackedKeys & FixedSizeKeys>;
  if (keySize !== undefined && offsets !== undefined) {
    throw withCode(
      new TypeError(`Expected ${batchShapes} for keys but received an object with both offsets and keySize`),
      'ERR_INVALID_ARG_VALUE',
    );
  }
  if (keySize !== undefined)
    return native.hashFixedBatch(bytes as Uint8Array, keySize, options.out, options.seed, kernel);
  if (offsets !== undefined)
    return native.hashPackedBatch(bytes as Uint8Array, offsets, options.out, options.seed, kernel);
  throw typeError(batchShapes, 'keys', keys);
}
