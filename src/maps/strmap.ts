// StrMap: the idiomatic layer over the native byte-key table. It encodes
// string keys as WTF-8 (src/wtf8.ts), packs string[] batches into one buffer,
// decodes keys for iteration and does the receiver and closed checks; the
// native side checks every argument it reads again.
import { OffHeapMap } from './map-protocol';
import {
  closedError,
  keyTooLong,
  refuseStructuredClone,
  thisError,
  typeError,
  withCallerStack,
} from '../runtime/errors';
import { native, type MapStats, type NativeStrMap } from '../runtime/native';
import { nativeLoadArgs, nativeMapArgs, snapshotPath } from '../runtime/options';
import { saveSnapshotAsync } from '../runtime/snapshot-save';
import type { U64MapLoadOptions, U64MapOptions } from './u64map';
import { encodeKeyAt, isBytes, MAX_KEY_BYTES, packKeys } from '../runtime/strpack';
import type { PackedKeys } from '../runtime/packed-keys';
import { decodeWtf8 } from '../runtime/wtf8';

export { MAX_KEY_BYTES } from '../runtime/strpack';
export type { PackedKeys } from '../runtime/packed-keys';

/**
 * A StrMap key: a string (encoded as WTF-8, see {@link StrMap}) or the raw bytes of a key. A
 * well-formed string and the `Uint8Array` of its UTF-8 bytes are the same key.
 */
export type StrKey = string | Uint8Array;

/** A batch of keys for {@link StrMap}'s batch methods: an array of keys or {@link PackedKeys}. */
export type StrKeys = readonly StrKey[] | PackedKeys;

/** Options for {@link StrMap}'s constructor: the same as {@link U64MapOptions}. */
export type StrMapOptions = U64MapOptions;

/** Options for {@link StrMap.load}: the same as {@link U64MapLoadOptions}. */
export type StrMapLoadOptions = U64MapLoadOptions;

const SCAN_CHUNK = 1024;

// Set by StrMap.load around the constructor call that wraps a loaded native
// map: private fields exist only on objects the constructor made.
let adopting: NativeStrMap | null = null;

// ---- single keys: encoded into one reused buffer ----

let scratch = new Uint8Array(1024);
// The buffer keyLength last encoded into: scratch or the key itself.
let keyBuffer: Uint8Array = scratch;

function keyLength(key: unknown): number {
  if (typeof key === 'string') {
    const n = key.length;
    if (n > MAX_KEY_BYTES) throw keyTooLong(MAX_KEY_BYTES, 'key', key);
    if (n * 3 > scratch.length) scratch = new Uint8Array(Math.max(n * 3, scratch.length * 2));
    const len = encodeKeyAt(key, scratch, 0);
    if (len > MAX_KEY_BYTES) throw keyTooLong(MAX_KEY_BYTES, 'key', key);
    keyBuffer = scratch;
    return len;
  }
  if (isBytes(key)) {
    if (key.length > MAX_KEY_BYTES) throw keyTooLong(MAX_KEY_BYTES, 'key', key);
    keyBuffer = key;
    return key.length;
  }
  throw typeError('a string or Uint8Array', 'key', key);
}

function keyOf(view: Uint8Array): StrKey {
  return decodeWtf8(view) ?? view.slice();
}

/**
 * An off-heap hash map from string (or byte) keys to numbers, with the same design and surface
 * as {@link U64Map}. Short keys (up to 15 bytes) live inline in the table, longer ones in a
 * per-map arena whose deleted bytes are reclaimed.
 *
 * Keys are strings or `Uint8Array`s. A string is stored as its WTF-8 encoding: a well-formed
 * string is exactly its UTF-8 bytes (so `'é'` and `new Uint8Array([0xc3, 0xa9])` are one key),
 * and a lone surrogate keeps its own 3-byte encoding, so `'\uD800'`, `'\uDC00'` and `'\uFFFD'` are
 * three different keys, as in a JS `Map`. Keys may be up to {@link MAX_KEY_BYTES} bytes long.
 *
 * Iteration yields every key whose bytes are valid WTF-8 (every key set as a string, and byte
 * keys that happen to be such bytes) as a string, and any other byte key as a new `Uint8Array`.
 *
 * Batch methods take an array of keys or {@link PackedKeys}; a batch is validated in full
 * before anything is applied, and bad arguments throw `TypeError`/`RangeError` naming the
 * argument and index.
 *
 * @example
 * ```ts
 * const m = new StrMap();
 * m.set('user:1', 1.5);
 * m.setBatch(['a', 'b'], new Float64Array([1, 2]));
 * const out = new Float64Array(3);
 * m.getBatch(['a', 'user:1', 'zz'], out); // 2; out = [1, 1.5, NaN]
 * m.close(); // or `using m = new StrMap()` where `using` is available
 * ```
 */
export class StrMap extends OffHeapMap<StrKey> {
  #native: NativeStrMap | null;
  // Bumped by every mutation, so a live iterator revalidates its chunk.
  #epoch = 0;

  /**
   * Creates an empty map. Throws `TypeError`/`RangeError` for a bad option and a `RangeError`
   * naming what the CPU lacks for an unsupported kernel.
   *
   * @example
   * ```ts
   * const m = new StrMap({ capacity: 10_000 });
   * ```
   */
  constructor(options: StrMapOptions = {}) {
    super();
    if (adopting !== null) {
      this.#native = adopting;
      adopting = null;
    } else {
      this.#native = new native.StrMap(...nativeMapArgs(options));
    }
    refuseStructuredClone(
      this,
      "A StrMap cannot be posted to another thread or cloned: its entries live in this thread's native memory; post its keys and a Float64Array of values (from entries() or getBatch) and setBatch them there",
    );
  }

  /**
   * Reads a map written by {@link StrMap.save}, as {@link U64Map.load} does:
   * nothing is rehashed, and a damaged or foreign file throws a
   * {@link CodedError} with an `ERR_SNAPSHOT_*` code (docs/FORMAT.md).
   *
   * @example
   * ```ts
   * const m = StrMap.load('/var/lib/app/routes.thm');
   * ```
   */
  static load(path: string, options: StrMapLoadOptions = {}): StrMap {
    const n = new native.StrMap(...nativeLoadArgs(path, options));
    adopting = n;
    try {
      return new StrMap();
    } finally {
      adopting = null;
    }
  }

  /**
   * Writes the map to `path`, crash-safely, as {@link U64Map.save} does; long
   * keys are written packed, without the garbage deletes left in the arena.
   *
   * @example
   * ```ts
   * m.save('/var/lib/app/routes.thm');
   * ```
   */
  save(path: string): void {
    StrMap.#open(this).save(snapshotPath(path));
  }

  /**
   * {@link StrMap.save} on the libuv thread pool; the map is busy (`EBUSY`
   * for every other call) until the promise settles, so the file holds the
   * map as it was when called.
   *
   * @example
   * ```ts
   * await m.saveAsync('/var/lib/app/routes.thm');
   * ```
   */
  async saveAsync(path: string): Promise<void> {
    await saveSnapshotAsync(StrMap.#open(this), path);
  }

  static #open(self: unknown): NativeStrMap {
    if (typeof self !== 'object' || self === null || !(#native in self)) {
      throw thisError('StrMap', self);
    }
    const n = self.#native;
    if (n === null) throw closedError('StrMap');
    return n;
  }

  static #mutating(self: unknown): NativeStrMap {
    const n = StrMap.#open(self);
    (self as StrMap).#epoch++;
    return n;
  }

  /**
   * The number of entries.
   *
   * @example
   * ```ts
   * new StrMap().set('a', 2).size; // 1
   * ```
   */
  get size(): number {
    return StrMap.#open(this).size();
  }

  /**
   * The value stored for key, or `undefined`.
   *
   * @example
   * ```ts
   * m.set('é', 7);
   * m.get(new Uint8Array([0xc3, 0xa9])); // 7: the same key
   * ```
   */
  get(key: StrKey): number | undefined {
    const handle = StrMap.#open(this).handle;
    const len = keyLength(key);
    return native.strGet(handle, keyBuffer, len);
  }

  /**
   * Sets key to value; returns this, as `Map#set` does.
   *
   * @example
   * ```ts
   * m.set('a', 10).set('b', 20);
   * ```
   */
  set(key: StrKey, value: number): this {
    const handle = StrMap.#open(this).handle;
    const len = keyLength(key);
    if (typeof value !== 'number') throw typeError('a number', 'value', value);
    StrMap.#mutating(this);
    native.strSet(handle, keyBuffer, len, value);
    return this;
  }

  /**
   * Whether key is present.
   *
   * @example
   * ```ts
   * m.has('\uD800'); // false even when '\uFFFD' is present
   * ```
   */
  has(key: StrKey): boolean {
    const handle = StrMap.#open(this).handle;
    const len = keyLength(key);
    return native.strHas(handle, keyBuffer, len);
  }

  /**
   * Removes key; returns whether it was present.
   *
   * @example
   * ```ts
   * m.delete('a'); // true, then false
   * ```
   */
  delete(key: StrKey): boolean {
    const handle = StrMap.#open(this).handle;
    const len = keyLength(key);
    StrMap.#mutating(this);
    return native.strDelete(handle, keyBuffer, len);
  }

  /** Removes every entry; the map stays open. */
  clear(): void {
    StrMap.#mutating(this).clear();
  }

  /**
   * Sets `keys[i]` to `values[i]` in order (a key repeated in the batch ends with its last
   * value); returns how many keys were new. `values` must have one element per key.
   *
   * @example
   * ```ts
   * m.setBatch(['a', 'b', 'a'], new Float64Array([1, 2, 3])); // 2; m.get('a') === 3
   * ```
   */
  setBatch(keys: StrKeys, values: Float64Array): number {
    const n = StrMap.#open(this);
    const [bytes, offsets] = packKeys(keys);
    StrMap.#mutating(this);
    return n.setBatch(bytes, offsets, values);
  }

  /**
   * Writes each key's value to `out[i]` (`NaN` for a miss) and, when given, 1/0 to `found[i]`;
   * returns the hits. `out` and `found` must have one element per key.
   *
   * @example
   * ```ts
   * const out = new Float64Array(2);
   * m.getBatch(['a', 'zz'], out); // 1; out = [3, NaN]
   * ```
   */
  getBatch(keys: StrKeys, out: Float64Array, found?: Uint8Array): number {
    const n = StrMap.#open(this);
    const [bytes, offsets] = packKeys(keys);
    return n.getBatch(bytes, offsets, out, found);
  }

  /**
   * {@link StrMap.getBatch} on the libuv thread pool, for batches big enough
   * that blocking the event loop matters. The keys are encoded and copied when
   * called and the results written to `out`/`found` when the promise settles.
   * Until then every other use of this map throws an error with
   * `code: 'EBUSY'`; `close()` frees the map once the batch is done.
   *
   * @example
   * ```ts
   * const hits = await m.getBatchAsync(keys, out);
   * ```
   */
  async getBatchAsync(keys: StrKeys, out: Float64Array, found?: Uint8Array): Promise<number> {
    const n = StrMap.#open(this);
    const [bytes, offsets] = packKeys(keys);
    return withCallerStack(() => n.getBatchAsync(bytes, offsets, out, found));
  }

  /**
   * {@link StrMap.setBatch} on the libuv thread pool; resolves to how many
   * keys were new. The map is busy (`EBUSY`) until the promise settles.
   *
   * @example
   * ```ts
   * const added = await m.setBatchAsync(['a', 'b'], new Float64Array([1, 2]));
   * ```
   */
  async setBatchAsync(keys: StrKeys, values: Float64Array): Promise<number> {
    const n = StrMap.#open(this);
    const [bytes, offsets] = packKeys(keys);
    StrMap.#mutating(this);
    return withCallerStack(() => n.setBatchAsync(bytes, offsets, values));
  }

  /**
   * Writes 1/0 to `out[i]` for each key; returns the hits.
   *
   * @example
   * ```ts
   * const present = new Uint8Array(2);
   * m.hasBatch(['a', 'zz'], present); // 1; present = [1, 0]
   * ```
   */
  hasBatch(keys: StrKeys, out: Uint8Array): number {
    const n = StrMap.#open(this);
    const [bytes, offsets] = packKeys(keys);
    return n.hasBatch(bytes, offsets, out);
  }

  /**
   * Deletes every key in the batch; returns how many were present.
   *
   * @example
   * ```ts
   * m.deleteBatch(['a', 'b', 'zz']); // 2
   * ```
   */
  deleteBatch(keys: StrKeys): number {
    const n = StrMap.#open(this);
    const [bytes, offsets] = packKeys(keys);
    StrMap.#mutating(this);
    return n.deleteBatch(bytes, offsets);
  }

  /**
   * The table's shape and the kernels it uses; `bytes` includes the arena of long keys.
   *
   * @example
   * ```ts
   * m.stats(); // { size, B, buckets, overflowBuckets, loadFactor, bytes, growing, match, hash }
   * ```
   */
  stats(): MapStats {
    return StrMap.#open(this).stats();
  }

  /**
   * Entries in table order. Every key present for the whole iteration is produced exactly once,
   * even if the map grows meanwhile; a key deleted before it is reached is not produced; keys
   * added may or may not be. Keys come out as strings when their bytes are valid WTF-8 and as
   * new `Uint8Array`s otherwise (see {@link StrMap}).
   *
   * @example
   * ```ts
   * for (const [key, value] of m.entries()) console.log(key, value);
   * ```
   */
  *entries(): IterableIterator<[StrKey, number]> {
    let cursor = 0;
    do {
      const [bytes, offsets, values, next] = StrMap.#open(this).scan(cursor, SCAN_CHUNK);
      const count = values.length;
      let found: Uint8Array | null = null;
      let epoch = this.#epoch;
      for (let i = 0; i < count; i++) {
        if (this.#epoch !== epoch) {
          // The map changed while the caller held our chunk: drop entries
          // deleted since and pick up new values.
          found ??= new Uint8Array(count);
          StrMap.#open(this).getBatch(bytes, offsets.subarray(i), values.subarray(i), found.subarray(i));
          epoch = this.#epoch;
        }
        if (found !== null && found[i] === 0) continue;
        yield [keyOf(bytes.subarray(offsets[i], offsets[i + 1])), values[i]];
      }
      cursor = next;
    } while (cursor !== 0);
  }

  /**
   * Frees the native memory now; later calls throw a {@link CodedError} with code `ERR_CLOSED`.
   * Safe to call twice. Without it the memory is freed when the map is garbage collected.
   *
   * @example
   * ```ts
   * const m = new StrMap();
   * m.close();
   * m.get('a'); // throws: This StrMap is closed
   * ```
   */
  close(): void {
    if (typeof this !== 'object' || this === null || !(#native in this)) {
      throw thisError('StrMap', this);
    }
    this.#native?.close();
    this.#native = null;
  }

  /** `'StrMap'`, for `Object.prototype.toString`. */
  get [Symbol.toStringTag](): string {
    return 'StrMap';
  }
}
