// U64Map: the idiomatic layer over the native table. It owns option parsing,
// receiver and closed checks, key conversion for iteration and the iterator
// protocol; the native side checks every argument it reads again, so nothing
// that reaches it unchecked can crash the process.
import { OffHeapMap } from './map-protocol';
import { closedError, readonlyError, refuseStructuredClone, thisError, withCallerStack } from '../runtime/errors';
import { nativeLoadArgs, nativeMapArgs, nativeOpenArgs, snapshotPath } from '../runtime/options';
import { saveSnapshotAsync } from '../runtime/snapshot-save';
import { native, type KeyArray, type MapStats, type NativeMappedU64Map, type NativeU64Map } from '../runtime/native';
import type { HashKernelName, MatchKernelName } from '../runtime/kernel-names';

export type { KeyArray, MapStats } from '../runtime/native';

/** A key: an integer number in [0, 2^53) or a bigint in [0, 2^64). `5` and `5n` are the same key. */
export type U64Key = number | bigint;

/**
 * Options for {@link U64Map}'s constructor; every field is optional.
 *
 * @example
 * ```ts
 * new U64Map({ capacity: 1_000_000 });               // sized up front
 * new U64Map({ match: 'sse2', hash: 'fold' });        // force kernels (RangeError if unsupported)
 * new U64Map({ seed: 42n });                          // reproducible layout; not for untrusted keys
 * new U64Map({ hugePages: true });                    // 2 MiB pages for a table of 1e7+ entries
 * ```
 */
export interface U64MapOptions {
  /** Entries to size the table for up front (growth still happens past it). */
  capacity?: number;
  /** Hash seed. Random per map by default; a fixed seed gives up flooding resistance for untrusted keys. */
  seed?: number | bigint;
  /** Force a tophash match kernel (default: the best this CPU supports, or TOPHASH_FORCE_MATCH). */
  match?: MatchKernelName;
  /** Force a hash kernel (default: aes where AES-NI exists, or TOPHASH_FORCE_HASH). */
  hash?: HashKernelName;
  /**
   * Ask for transparent huge pages (2 MiB) for bucket arrays of 2 MiB and
   * more. Off by default. A table far bigger than the CPU's TLB reach (tens
   * of millions of entries) then misses the TLB far less: batch lookups and
   * big `setBatch` calls get faster. The cost: with the usual system setting
   * (`defrag=madvise`) the first touch of a huge page may wait for the kernel
   * to compact memory, so single writes that touch fresh pages can stall for
   * milliseconds. Without transparent huge pages in the kernel the option does
   * nothing. See the README's Numbers for measurements.
   */
  hugePages?: boolean;
}

/**
 * Options for {@link U64Map.load}; every field is optional. The capacity and
 * seed come from the file.
 *
 * @example
 * ```ts
 * U64Map.load('/var/lib/app/sessions.thm', { match: 'scalar' });
 * ```
 */
export interface U64MapLoadOptions {
  /** Force a tophash match kernel; any works with any snapshot. */
  match?: MatchKernelName;
  /**
   * Force a hash kernel. It must be of the family the snapshot was written
   * with (`aes`, `vaes` and `aes-portable` are one family, `fold` another),
   * else the load fails with `ERR_SNAPSHOT_HASH`. By default: the process
   * default if it is of that family, else the fastest one of it.
   */
  hash?: HashKernelName;
}

/**
 * Options for {@link U64Map.open}; every field is optional.
 *
 * @example
 * ```ts
 * U64Map.open('/var/lib/app/sessions.thm', { readonly: true });
 * U64Map.open('/var/lib/app/sessions.thm', { verify: true }); // read every checksum first
 * ```
 */
export interface U64MapOpenOptions {
  /**
   * Refuse writes: `set`, `delete`, `clear`, `setBatch`, `deleteBatch` and
   * `setBatchAsync` throw a {@link CodedError} with code `ERR_READONLY`.
   * Without it (the default) the first write copies the snapshot into an
   * ordinary in-memory map, which that write and every later call then use;
   * the file is never written.
   */
  readonly?: boolean;
  /**
   * Check every section's checksum before returning (what `load` checks),
   * which reads the whole file. By default only the header and section table
   * are checked; see {@link U64Map.verify}.
   */
  verify?: boolean;
  /** Force a tophash match kernel; any works with any snapshot. */
  match?: MatchKernelName;
  /** Force a hash kernel of the snapshot's family, as in {@link U64MapLoadOptions.hash}. */
  hash?: HashKernelName;
}

const SCAN_CHUNK = 1024;
const FIRST_BIGINT_KEY = 2n ** 53n;

function toKey(k: bigint): U64Key {
  return k < FIRST_BIGINT_KEY ? Number(k) : k;
}

/**
 * An off-heap hash map from u64 keys to numbers: Go's map design with SIMD
 * tophash matching and AES hashing. No 2^24-entry cap, ~30 bytes per entry,
 * nothing for V8's garbage collector to walk.
 *
 * Single-key methods mirror `Map`; the batch methods read whole typed arrays
 * of keys in place, paying the JS↔native crossing once per batch. Bad
 * arguments throw `TypeError`/`RangeError` naming the argument and element;
 * a batch is validated in full before anything is applied.
 *
 * @example
 * ```ts
 * const m = new U64Map();
 * m.set(42, 1.5);
 * m.setBatch(new Float64Array([1, 2, 3]), new Float64Array([10, 20, 30]));
 * const out = new Float64Array(3);
 * m.getBatch(new Float64Array([1, 2, 9]), out); // 2 hits; out = [10, 20, NaN]
 * m.close(); // or `using m = new U64Map()` where `using` is available
 * ```
 */
// Set by U64Map.load and U64Map.open around the constructor call that wraps
// a loaded or mapped native map: private fields exist only on objects the
// constructor made.
let adopting: NativeU64Map | null = null;
let adoptingMapped: { view: NativeMappedU64Map; readonly: boolean } | null = null;

/** A map served from its snapshot file or an ordinary one: the methods both have. */
type ReadableNative = NativeU64Map | NativeMappedU64Map;

export class U64Map extends OffHeapMap<U64Key> {
  #native: ReadableNative | null;
  // While U64Map.open's map is served from the file: the same object as #native.
  #mapped: NativeMappedU64Map | null = null;
  #readonly = false;
  // Bumped by every mutation, so a live iterator knows to revalidate the
  // chunk of entries it fetched ahead.
  #epoch = 0;

  /**
   * Creates an empty map. Throws `TypeError`/`RangeError` for a bad option and
   * a `RangeError` naming what the CPU lacks for an unsupported kernel.
   *
   * @example
   * ```ts
   * const m = new U64Map({ capacity: 10_000 });
   * ```
   */
  constructor(options: U64MapOptions = {}) {
    super();
    if (adopting !== null) {
      this.#native = adopting;
      adopting = null;
    } else if (adoptingMapped !== null) {
      this.#native = this.#mapped = adoptingMapped.view;
      this.#readonly = adoptingMapped.readonly;
      adoptingMapped = null;
    } else {
      this.#native = new native.U64Map(...nativeMapArgs(options));
    }
    refuseStructuredClone(
      this,
      "A U64Map cannot be posted to another thread or cloned: its entries live in this thread's native memory; post typed arrays of keys and values (from entries() or getBatch) and setBatch them there",
    );
  }

  /**
   * Reads a map written by {@link U64Map.save}. The bucket arrays are read
   * as they were written, with the seed and hash family recorded in the file,
   * so nothing is rehashed. Every section's checksum and the buckets'
   * structure are checked first: a damaged or foreign file throws a
   * {@link CodedError} whose `code` says what is wrong (`ERR_SNAPSHOT_FORMAT`,
   * `_VERSION`, `_ENDIAN`, `_KIND`, `_HASH`, `_TRUNCATED`, `_CORRUPT`; see
   * docs/FORMAT.md) and whose message says where; a file that cannot be read
   * throws with the errno name (`ENOENT`, `EACCES`, ...).
   *
   * @example
   * ```ts
   * const m = U64Map.load('/var/lib/app/sessions.thm');
   * ```
   */
  static load(path: string, options: U64MapLoadOptions = {}): U64Map {
    const n = new native.U64Map(...nativeLoadArgs(path, options));
    adopting = n;
    try {
      return new U64Map();
    } finally {
      adopting = null;
    }
  }

  /**
   * Serves the map in a snapshot written by {@link U64Map.save} from the file
   * itself, without loading it: the file is mapped into memory, only its
   * header and section table are checked, and lookups read the mapped bucket
   * arrays, so even a map of 1e8 entries is ready in about a millisecond and
   * the OS brings pages in as lookups touch them. `get`, `has`, `getBatch`,
   * `hasBatch`, `getBatchAsync`, `size`, iteration, `stats()` (with
   * `mapped: true`), `save` and `saveAsync` read the file and answer exactly
   * as the saved map did.
   *
   * With `readonly: true` writes throw `ERR_READONLY`. Otherwise the map is
   * copy-on-write as a whole: the first write reads the snapshot into an
   * ordinary in-memory map (the checks of {@link U64Map.load} included) and
   * unmaps the file; the file itself is never written.
   *
   * Checksums are not read at open (that would read the whole file): a
   * damaged file whose structure is broken fails the lookup that meets the
   * damage with `ERR_SNAPSHOT_CORRUPT`, never reading outside the file, but a
   * flipped key or value bit goes unnoticed until {@link U64Map.verify} or
   * `{ verify: true }`. The file must not be changed in place while open:
   * `save` (which renames a new file over the old one) and unlinking are safe,
   * and the map keeps serving the file it opened; a truncation in place makes
   * the next read throw `ERR_SNAPSHOT_CHANGED` (the SIGBUS it raises is
   * caught) and the map unusable; see docs/FORMAT.md. Errors as for
   * {@link U64Map.load}.
   *
   * @example
   * ```ts
   * const sessions = U64Map.open('/var/lib/app/sessions.thm', { readonly: true });
   * sessions.get(42);
   * sessions.close(); // unmaps the file
   * ```
   */
  static open(path: string, options: U64MapOpenOptions = {}): U64Map {
    const args = nativeOpenArgs(path, options);
    const view = new native.MappedU64Map(...args.native);
    try {
      if (args.verify) view.verify();
    } catch (err) {
      view.close();
      throw err;
    }
    adoptingMapped = { view, readonly: args.readonly };
    try {
      return new U64Map();
    } finally {
      adoptingMapped = null;
    }
  }

  static #open(self: unknown): ReadableNative {
    if (typeof self !== 'object' || self === null || !(#native in self)) {
      throw thisError('U64Map', self);
    }
    const n = self.#native;
    if (n === null) throw closedError('U64Map');
    return n;
  }

  // The in-memory map a write goes to: a mapped map is copied into one
  // first (copy-on-write), or refused when opened read-only.
  static #mutating(self: unknown, method: string): NativeU64Map {
    const n = U64Map.#open(self);
    const map = self as U64Map;
    const view = map.#mapped;
    if (view === null) {
      map.#epoch++;
      return n as NativeU64Map;
    }
    if (map.#readonly) throw readonlyError('U64Map', method);
    const table = new native.U64Map(undefined, undefined, undefined, undefined, undefined, false, view.handle);
    view.close();
    map.#native = table;
    map.#mapped = null;
    map.#epoch++;
    return table;
  }

  /**
   * The number of entries.
   *
   * @example
   * ```ts
   * new U64Map().set(1, 2).size; // 1
   * ```
   */
  get size(): number {
    return U64Map.#open(this).size();
  }

  /**
   * The value stored for key, or `undefined`.
   *
   * @example
   * ```ts
   * m.set(2n ** 60n, 7);
   * m.get(2n ** 60n); // 7
   * m.get(5);         // undefined
   * ```
   */
  get(key: U64Key): number | undefined {
    const n = U64Map.#open(this);
    return this.#mapped === null ? native.mapGet(n.handle, key) : native.mappedGet(n.handle, key);
  }

  /**
   * Sets key to value; returns this, as `Map#set` does.
   *
   * @example
   * ```ts
   * m.set(1, 10).set(2, 20);
   * ```
   */
  set(key: U64Key, value: number): this {
    native.mapSet(U64Map.#mutating(this, 'set').handle, key, value);
    return this;
  }

  /**
   * Whether key is present. `5` and `5n` are the same key.
   *
   * @example
   * ```ts
   * m.set(5, 1);
   * m.has(5n); // true
   * ```
   */
  has(key: U64Key): boolean {
    const n = U64Map.#open(this);
    return this.#mapped === null ? native.mapHas(n.handle, key) : native.mappedHas(n.handle, key);
  }

  /**
   * Removes key; returns whether it was present.
   *
   * @example
   * ```ts
   * m.delete(5); // true, then false
   * ```
   */
  delete(key: U64Key): boolean {
    return native.mapDelete(U64Map.#mutating(this, 'delete').handle, key);
  }

  /** Removes every entry; the map stays open. */
  clear(): void {
    U64Map.#mutating(this, 'clear').clear();
  }

  /**
   * Sets `keys[i]` to `values[i]` in order (a key repeated in the batch ends
   * with its last value); returns how many keys were new. `values` must be as
   * long as `keys`.
   *
   * @example
   * ```ts
   * m.setBatch(new BigUint64Array([1n, 2n, 1n]), new Float64Array([1, 2, 3])); // 2; m.get(1) === 3
   * ```
   */
  setBatch(keys: KeyArray, values: Float64Array): number {
    return U64Map.#mutating(this, 'setBatch').setBatch(keys, values);
  }

  /**
   * Writes each key's value to `out[i]` (`NaN` for a miss) and, when given,
   * 1/0 to `found[i]`; returns the hits. `out` and `found` must be as long as
   * `keys`.
   *
   * @example
   * ```ts
   * const out = new Float64Array(2);
   * const found = new Uint8Array(2);
   * m.getBatch(new Uint32Array([1, 9]), out, found); // 1; out = [10, NaN], found = [1, 0]
   * ```
   */
  getBatch(keys: KeyArray, out: Float64Array, found?: Uint8Array): number {
    return U64Map.#open(this).getBatch(keys, out, found);
  }

  /**
   * Writes 1/0 to `out[i]` for each key; returns the hits.
   *
   * @example
   * ```ts
   * const present = new Uint8Array(2);
   * m.hasBatch(new Float64Array([1, 9]), present); // 1; present = [1, 0]
   * ```
   */
  hasBatch(keys: KeyArray, out: Uint8Array): number {
    return U64Map.#open(this).hasBatch(keys, out);
  }

  /**
   * Deletes every key in the batch; returns how many were present.
   *
   * @example
   * ```ts
   * m.deleteBatch(new Float64Array([1, 2, 9])); // 2
   * ```
   */
  deleteBatch(keys: KeyArray): number {
    return U64Map.#mutating(this, 'deleteBatch').deleteBatch(keys);
  }

  /**
   * {@link U64Map.getBatch} on the libuv thread pool, for batches big enough
   * that blocking the event loop matters. The keys are copied when called and
   * the results written to `out`/`found` when the promise settles. Until then
   * every other use of this map throws an error with `code: 'EBUSY'`;
   * `close()` frees the map once the batch is done.
   *
   * @example
   * ```ts
   * const hits = await m.getBatchAsync(keys, out);
   * ```
   */
  async getBatchAsync(keys: KeyArray, out: Float64Array, found?: Uint8Array): Promise<number> {
    const n = U64Map.#open(this);
    return withCallerStack(() => n.getBatchAsync(keys, out, found));
  }

  /**
   * {@link U64Map.setBatch} on the libuv thread pool; resolves to how many
   * keys were new. The map is busy (`EBUSY`) until the promise settles.
   *
   * @example
   * ```ts
   * const added = await m.setBatchAsync(keys, values);
   * ```
   */
  async setBatchAsync(keys: KeyArray, values: Float64Array): Promise<number> {
    const n = U64Map.#mutating(this, 'setBatchAsync');
    return withCallerStack(() => n.setBatchAsync(keys, values));
  }

  /**
   * Writes the map to `path` in the snapshot format of docs/FORMAT.md, for
   * {@link U64Map.load}. Crash-safe: the bytes go to a temporary file in the
   * same directory, which is fsynced and renamed over `path`, and the
   * directory is fsynced; a process killed meanwhile leaves the previous file
   * at `path` intact (and perhaps a `<path>.tmp-*` file no load reads). The
   * file records the hash seed: keep it as private as the seed.
   *
   * @example
   * ```ts
   * m.save('/var/lib/app/sessions.thm');
   * ```
   */
  save(path: string): void {
    U64Map.#open(this).save(snapshotPath(path));
  }

  /**
   * {@link U64Map.save} on the libuv thread pool. Until the promise settles
   * the map is busy: every other call on it, reads included, throws an error
   * with `code: 'EBUSY'`, so the file holds the map exactly as it was when
   * `saveAsync` was called. I/O failures reject with the errno name as `code`.
   *
   * @example
   * ```ts
   * await m.saveAsync('/var/lib/app/sessions.thm');
   * ```
   */
  async saveAsync(path: string): Promise<void> {
    await saveSnapshotAsync(U64Map.#open(this), path);
  }

  /**
   * Checks every checksum of the snapshot a map from {@link U64Map.open} is
   * served from (what `load` checks before it returns, and `open` skips to
   * be fast): reads the whole file, and throws `ERR_SNAPSHOT_CORRUPT` naming
   * the damaged section, or `ERR_SNAPSHOT_CHANGED` if the file was changed in
   * place. On any other map it returns at once: its table was checked when
   * it was loaded, or built in memory.
   *
   * @example
   * ```ts
   * const m = U64Map.open(path, { readonly: true });
   * setInterval(() => m.verify(), 3_600_000).unref(); // hourly, off the hot path
   * ```
   */
  verify(): void {
    U64Map.#open(this);
    this.#mapped?.verify();
  }

  /**
   * The table's shape and the kernels it uses.
   *
   * @example
   * ```ts
   * m.stats(); // { size, B, buckets, overflowBuckets, loadFactor, bytes, growing, match: 'avx2', hash: 'aes' }
   * ```
   */
  stats(): MapStats {
    return U64Map.#open(this).stats();
  }

  /**
   * Entries in table order. Every key present for the whole iteration is
   * produced exactly once, even if the map grows meanwhile; a key deleted
   * before it is reached is not produced; keys added may or may not be.
   * Keys below 2^53 come out as numbers, larger ones as bigints.
   *
   * @example
   * ```ts
   * for (const [key, value] of m.entries()) console.log(key, value);
   * ```
   */
  *entries(): IterableIterator<[U64Key, number]> {
    let cursor = 0;
    do {
      const [keys, values, next] = U64Map.#open(this).scan(cursor, SCAN_CHUNK);
      let found: Uint8Array | null = null;
      let epoch = this.#epoch;
      for (let i = 0; i < keys.length; i++) {
        if (this.#epoch !== epoch) {
          // The map changed while the caller held our chunk: drop entries
          // deleted since and pick up new values.
          found ??= new Uint8Array(keys.length);
          U64Map.#open(this).getBatch(keys.subarray(i), values.subarray(i), found.subarray(i));
          epoch = this.#epoch;
        }
        if (found !== null && found[i] === 0) continue;
        yield [toKey(keys[i]), values[i]];
      }
      cursor = next;
    } while (cursor !== 0);
  }

  /**
   * Frees the native memory now; later calls throw a {@link CodedError} with
   * code `ERR_CLOSED`. Safe to call twice. Without it the memory is freed when
   * the map is garbage collected.
   *
   * @example
   * ```ts
   * const m = new U64Map();
   * m.close();
   * m.get(1); // throws: This U64Map is closed
   * ```
   */
  close(): void {
    if (typeof this !== 'object' || this === null || !(#native in this)) {
      throw thisError('U64Map', this);
    }
    this.#native?.close();
    this.#native = null;
    this.#mapped = null;
  }

  /** `'U64Map'`, for `Object.prototype.toString`. */
  get [Symbol.toStringTag](): string {
    return 'U64Map';
  }
}
