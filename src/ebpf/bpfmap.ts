// BpfMap: eBPF's BPF_MAP_TYPE_HASH / LRU_HASH semantics over the native
// engine (native/core/bpf_map.h). This layer validates the constructor's
// options (README, Design: validation policy), owns the receiver and closed
// checks and turns the binding's status numbers into CodedErrors thrown from
// the caller's frame; the binding checks each call's arguments.
import { closedError, CodedError, rangeError, refuseStructuredClone, thisError, typeError } from '../runtime/errors';
import { native, type BpfMapStats, type NativeBpfMap } from '../runtime/native';
import { optionalString, parseSeed, snapshotPath } from '../runtime/options';
import { saveSnapshotAsync } from '../runtime/snapshot-save';
import { rejectUnknownOptions } from '../runtime/option-names';
import type { HashKernelName, MatchKernelName } from '../runtime/kernel-names';

export type { BpfMapStats } from '../runtime/native';

/** `update` flag: create the key or overwrite its value (the default). */
export const BPF_ANY = 0;
/** `update` flag: create the key only; a present key throws `EEXIST`. */
export const BPF_NOEXIST = 1;
/** `update` flag: overwrite a present key only; an absent key throws `ENOENT`. */
export const BPF_EXIST = 2;

/** One of {@link BPF_ANY}, {@link BPF_NOEXIST}, {@link BPF_EXIST}. */
export type BpfUpdateFlags = typeof BPF_ANY | typeof BPF_NOEXIST | typeof BPF_EXIST;

/**
 * `'hash'` (BPF_MAP_TYPE_HASH: a new key into a full map throws `E2BIG`) or `'lru_hash'`
 * (BPF_MAP_TYPE_LRU_HASH: a new key into a full map evicts an approximately least recently used one).
 */
export type BpfMapType = 'hash' | 'lru_hash';

/**
 * Options for {@link BpfMap}'s constructor.
 *
 * @example
 * ```ts
 * new BpfMap({ type: 'hash', keySize: 13, valueSize: 8, maxEntries: 65536 }); // IPv4 5-tuple -> u64
 * new BpfMap({ type: 'lru_hash', keySize: 4, valueSize: 16, maxEntries: 1000, seed: 1n });
 * ```
 */
export interface BpfMapOptions {
  /** `'hash'` or `'lru_hash'`. */
  type: BpfMapType;
  /** Bytes per key, 1..256 (eBPF's key_size). */
  keySize: number;
  /** Bytes per value, 1..65536 (eBPF's value_size). */
  valueSize: number;
  /** Most entries the map holds, 1..2^31 (eBPF's max_entries). Memory is taken as entries arrive. */
  maxEntries: number;
  /** Hash seed. Random per map by default; a fixed seed gives up flooding resistance for untrusted keys. */
  seed?: number | bigint;
  /** Force a tophash match kernel (default: the best this CPU supports, or TOPHASH_FORCE_MATCH). */
  match?: MatchKernelName;
  /** Force a hash kernel (default: aes where AES-NI exists, or TOPHASH_FORCE_HASH). */
  hash?: HashKernelName;
}

/**
 * Options for {@link BpfMap.load}: the kernels. Any match kernel works with any snapshot; the hash
 * kernel must be of the family the snapshot was written with (`aes`, `vaes` and `aes-portable` are
 * one family, `fold` another), else the load throws `ERR_SNAPSHOT_HASH`. By default: the process
 * default if it is of that family, else the fastest one of it.
 *
 * @example
 * ```ts
 * BpfMap.load('/var/lib/app/flows.thm', { hash: 'aes-portable' });
 * ```
 */
export interface BpfLoadOptions {
  /** Force a tophash match kernel. */
  match?: MatchKernelName;
  /** Force a hash kernel of the snapshot's family. */
  hash?: HashKernelName;
}

/**
 * Options for {@link BpfMap.open}: the kernels. The hash kernel must be of the family the pinned
 * map was created with (`ERR_PIN_HASH` otherwise); by default one of that family is picked.
 *
 * @example
 * ```ts
 * BpfMap.open('/dev/shm/flows', { hash: 'aes-portable' });
 * ```
 */
export interface BpfOpenOptions {
  /** Accepted for symmetry with the constructor; a pinned map does not use tophash matching. */
  match?: MatchKernelName;
  /** Force a hash kernel of the pinned map's family. */
  hash?: HashKernelName;
}

/**
 * An opaque batch cursor: pass a result's `outBatch` back as the next call's `inBatch`. It names a
 * bucket group, so it stays valid while the map grows.
 */
export type BpfBatchCursor = number;

/** Options for {@link BpfMap.lookupBatch} and {@link BpfMap.lookupAndDeleteBatch}. */
export interface BpfLookupBatchOptions {
  /** Where to continue: a previous result's `outBatch`; `null`/`undefined` starts at the beginning. */
  inBatch?: BpfBatchCursor | null;
  /** Most entries to return, at least 1. */
  count: number;
}

/** What {@link BpfMap.lookupBatch} and {@link BpfMap.lookupAndDeleteBatch} return. */
export interface BpfBatchResult {
  /** `count` keys packed back to back (`count * keySize` bytes). */
  keys: Uint8Array;
  /** `count` values packed back to back (`count * valueSize` bytes), in the order of `keys`. */
  values: Uint8Array;
  /** Entries returned; at most the requested count, and 0 only when `done`. */
  count: number;
  /** The next call's `inBatch`; `null` when `done`. */
  outBatch: BpfBatchCursor | null;
  /** Whether this batch ends the walk (the kernel's ENOENT, reported together with the last entries). */
  done: boolean;
}

/** Options for {@link BpfMap.updateBatch}. */
export interface BpfUpdateBatchOptions {
  /** Applied to every element; default {@link BPF_ANY}. */
  flags?: BpfUpdateFlags;
}

/**
 * A {@link CodedError} from a batch call: `count` elements were applied (written, deleted) before
 * the one that failed, in order; for `ENOSPC`, `needed` is the count that fits the first bucket group.
 *
 * @example
 * ```ts
 * try {
 *   map.updateBatch(keys, values, { flags: BPF_NOEXIST });
 * } catch (err) {
 *   if (err instanceof BpfBatchError && err.code === 'EEXIST') retryFrom(err.count + 1);
 * }
 * ```
 */
export class BpfBatchError extends CodedError {
  /**
   * Creates the error.
   *
   * @param code - `EEXIST`, `ENOENT`, `E2BIG` or `ENOSPC`
   * @param message - the human-readable message
   * @param count - elements applied before the failing one
   * @param needed - `ENOSPC` only: a count that fits the first bucket group
   */
  constructor(
    code: string,
    message: string,
    /** Elements applied before the failing one. */
    public readonly count: number,
    /** `ENOSPC` only: a count that fits the first bucket group (0 otherwise). */
    public readonly needed = 0,
  ) {
    super(code, message);
  }
}

const NativeBpf = native.BpfMap;
const STATUS_CODES = ['', 'EEXIST', 'ENOENT', 'E2BIG'] as const;
const ITERATION_CHUNK = 256;

function statusMessage(status: number, map: BpfMap): string {
  switch (status) {
    case 1:
      return 'The key is already in the map (BPF_NOEXIST)';
    case 2:
      return 'The key is not in the map';
    default:
      return `The map is full (maxEntries ${map.maxEntries}) and the key is new`;
  }
}

const MAP_TYPES = "'hash' or 'lru_hash'";
// The engine's limits (native/core/fixed_map.h, bpf_map.h).
const MAX_KEY_SIZE = 256;
const MAX_VALUE_SIZE = 65536;
const MAX_ENTRIES = 2 ** 31;

// An integer in [1, max], else a TypeError or RangeError naming it.
function integerOption(value: unknown, max: number, what: string): number {
  const expected = `an integer in [1, ${max}]`;
  if (typeof value !== 'number') throw typeError(expected, what, value);
  if (!Number.isInteger(value) || value < 1 || value > max) throw rangeError(expected, what, value);
  return value;
}

const BPF_OPTION_NAMES = ['type', 'keySize', 'valueSize', 'maxEntries', 'seed', 'match', 'hash'] as const;
const OPEN_OPTION_NAMES = ['match', 'hash'] as const;

function optionsObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw typeError('an options object', what, value);
  return value as Record<string, unknown>;
}

/**
 * An eBPF-style hash map in native memory: fixed-size byte keys and values, the update flags, error
 * codes and batch operations of `bpf(2)` for `BPF_MAP_TYPE_HASH` and `BPF_MAP_TYPE_LRU_HASH`.
 *
 * Keys and values are `Uint8Array`s (a `Buffer` is one) of exactly `keySize`/`valueSize` bytes;
 * what the map returns is always a fresh copy. eBPF outcomes throw a {@link CodedError} with
 * `code` `EEXIST`, `ENOENT`, `E2BIG` or `ENOSPC` and leave the map unchanged; batch writes apply in
 * order and stop at the first failure with a {@link BpfBatchError} whose `count` says how many
 * were applied. Bad arguments throw `TypeError`/`RangeError` naming the argument.
 *
 * @example
 * ```ts
 * const flows = new BpfMap({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 10_000 });
 * const key = new Uint8Array([10, 0, 0, 1]);
 * flows.update(key, new Uint8Array(8));
 * flows.update(key, new Uint8Array(8), BPF_NOEXIST); // throws: err.code === 'EEXIST'
 * flows.lookup(key); // Uint8Array(8)
 * for (let r = flows.lookupBatch({ count: 128 }); ; r = flows.lookupBatch({ inBatch: r.outBatch, count: 128 })) {
 *   consume(r.keys, r.values, r.count);
 *   if (r.done) break;
 * }
 * flows.close();
 * ```
 */
export class BpfMap implements Iterable<[Uint8Array, Uint8Array]> {
  #native: NativeBpfMap | null;
  #keySize: number;
  #valueSize: number;
  #maxEntries: number;
  #type: BpfMapType;
  // lookup's landing buffer, given to the native map once: a lookup then
  // reads one typed array (the key), and the caller gets a slice, a JS-side
  // copy far cheaper than an ArrayBuffer made through N-API. Never exposed.
  #scratch: Uint8Array;
  // Set by open() and load() around the constructor call: the pinned file
  // to open, or the snapshot to load.
  static #source: { kind: 'pinned' | 'snapshot'; file: string } | undefined;

  /**
   * Creates an empty map. Throws `TypeError`/`RangeError` for a bad option (naming it, e.g.
   * `options.keySize`) and a `RangeError` naming what the CPU lacks for an unsupported kernel.
   *
   * @example
   * ```ts
   * const m = new BpfMap({ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 1024 });
   * ```
   */
  constructor(options: BpfMapOptions) {
    const o = optionsObject(options, 'options');
    rejectUnknownOptions(o, BPF_OPTION_NAMES, 'options');
    const type = o.type;
    if (typeof type !== 'string') throw typeError(MAP_TYPES, 'options.type', type);
    if (type !== 'hash' && type !== 'lru_hash') throw rangeError(MAP_TYPES, 'options.type', type);
    const keySize = integerOption(o.keySize, MAX_KEY_SIZE, 'options.keySize');
    const valueSize = integerOption(o.valueSize, MAX_VALUE_SIZE, 'options.valueSize');
    const maxEntries = integerOption(o.maxEntries, MAX_ENTRIES, 'options.maxEntries');
    const scratch = new Uint8Array(valueSize);
    const source = BpfMap.#source;
    BpfMap.#source = undefined;
    this.#native = new NativeBpf(
      type,
      keySize,
      valueSize,
      maxEntries,
      parseSeed(o.seed),
      optionalString(o.match, 'options.match'),
      optionalString(o.hash, 'options.hash'),
      scratch,
      source?.kind === 'pinned' ? source.file : undefined,
      source?.kind === 'snapshot' ? source.file : undefined,
    );
    this.#scratch = scratch;
    this.#type = type;
    this.#keySize = keySize;
    this.#valueSize = valueSize;
    this.#maxEntries = maxEntries;
    refuseStructuredClone(
      this,
      "A BpfMap cannot be posted to another thread or cloned: its entries live in this thread's native memory; post the keys and values of lookupBatch() and updateBatch() them there",
    );
  }

  /**
   * Opens the map pinned at `path` by {@link pin} in this or another process: a map over the same
   * shared storage, whose type, sizes and maxEntries come from the file. Every process's updates
   * are visible to every other's, with the same flags and errors. A file that is not a pinned map
   * (or is damaged, truncated, from another layout version or byte order) throws a
   * {@link CodedError}: `ERR_PIN_FORMAT`, `ERR_PIN_CORRUPT`, `ERR_PIN_TRUNCATED`,
   * `ERR_PIN_VERSION`, `ERR_PIN_ENDIAN`, `ERR_PIN_HASH`, or the errno name (`ENOENT`, `EACCES`).
   *
   * @example
   * ```ts
   * const flows = BpfMap.open('/dev/shm/flows');
   * flows.lookup(key);
   * ```
   */
  static open(path: string, options: BpfOpenOptions = {}): BpfMap {
    return BpfMap.#fromFile(path, options, 'pinned');
  }

  // A map over a pinned file or from a snapshot: the file's shape first,
  // then the constructor with the file set aside for it.
  static #fromFile(path: string, options: BpfOpenOptions | BpfLoadOptions, kind: 'pinned' | 'snapshot'): BpfMap {
    const file = snapshotPath(path);
    const o = optionsObject(options, 'options');
    rejectUnknownOptions(o, OPEN_OPTION_NAMES, 'options');
    const shape = kind === 'pinned' ? NativeBpf.readPinned(file) : NativeBpf.readSnapshotShape(file);
    BpfMap.#source = { kind, file };
    try {
      return new BpfMap({ ...shape, match: o.match as MatchKernelName, hash: o.hash as HashKernelName });
    } finally {
      BpfMap.#source = undefined;
    }
  }

  /**
   * Reads a map written by {@link save}: its type, sizes, `maxEntries`, entries and hash seed come
   * from the file, and it is the saved map, not a copy of its entries: the same iteration order,
   * the same `E2BIG` when full, and for `lru_hash` the same recently-used marks, so the same keys
   * are evicted next. Every checksum and every record index in the file are checked first; a
   * damaged or foreign file throws a {@link CodedError} whose `code` says what is wrong
   * (`ERR_SNAPSHOT_FORMAT`, `_VERSION`, `_ENDIAN`, `_KIND`, `_HASH`, `_TRUNCATED`, `_CORRUPT`; see
   * docs/FORMAT.md) and whose message says where; a file that cannot be read throws with the
   * errno name (`ENOENT`, `EACCES`, ...).
   *
   * @example
   * ```ts
   * const flows = BpfMap.load('/var/lib/app/flows.thm');
   * ```
   */
  static load(path: string, options: BpfLoadOptions = {}): BpfMap {
    return BpfMap.#fromFile(path, options, 'snapshot');
  }

  /**
   * Writes the map to the file at `path` in tophash's snapshot format (docs/FORMAT.md), for
   * {@link BpfMap.load}: the bytes go to a temporary file in the same directory, which is fsynced
   * and renamed over `path`, and the directory is fsynced, so a crash or a `kill -9` leaves `path`
   * holding the old snapshot or the new one, never a mix. The file holds the hash seed. A pinned map
   * throws `EINVAL` (its file already outlives the process); I/O failures throw with the errno name
   * as `code` (`ENOENT`, `EACCES`, `ENOSPC`, ...).
   *
   * @example
   * ```ts
   * flows.save('/var/lib/app/flows.thm');
   * ```
   */
  save(path: string): void {
    BpfMap.#open(this).save(snapshotPath(path));
  }

  /**
   * {@link save} on the libuv thread pool. Until the promise settles the map is busy: every other
   * call on it, reads included, throws an error with `code: 'EBUSY'`, so the file holds the map
   * exactly as it was when `saveAsync` was called.
   *
   * @example
   * ```ts
   * await flows.saveAsync('/var/lib/app/flows.thm');
   * ```
   */
  async saveAsync(path: string): Promise<void> {
    await saveSnapshotAsync(BpfMap.#open(this), path);
  }

  /**
   * Removes the name of the pinned map at `path` (after checking the file is one), as `rm` does
   * for a bpffs pin. Maps already open on it keep working on the same storage, shared among
   * themselves, until they are closed; then the storage is freed. A plain `unlink` does the same.
   *
   * @example
   * ```ts
   * BpfMap.unpin('/dev/shm/flows');
   * ```
   */
  static unpin(path: string): void {
    NativeBpf.unpin(snapshotPath(path));
  }

  /**
   * Moves this map to a new shared file at `path` (a file under `/dev/shm` is shared memory), as
   * pinning in bpffs does: its entries are copied, and from then on this map and every map
   * {@link open}ed on the file in any process work on the same entries. A path that exists throws
   * `EEXIST`; a map already pinned throws `EINVAL`. The file is sized for `maxEntries` at once.
   * An `lru_hash` map keeps evicting with a CLOCK shared by every process.
   *
   * @example
   * ```ts
   * const m = new BpfMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1024 });
   * m.pin('/dev/shm/counters');
   * ```
   */
  pin(path: string): void {
    BpfMap.#open(this).pin(snapshotPath(path));
  }

  /**
   * The file this map is pinned at ({@link pin}, {@link open}), or `undefined`.
   *
   * @example
   * ```ts
   * m.pinnedPath; // '/dev/shm/counters'
   * ```
   */
  get pinnedPath(): string | undefined {
    return BpfMap.#open(this).pinnedPath();
  }

  static #open(self: unknown): NativeBpfMap {
    if (typeof self !== 'object' || self === null || !(#native in self)) {
      throw thisError('BpfMap', self);
    }
    const n = self.#native;
    if (n === null) throw closedError('BpfMap');
    return n;
  }

  /** `'hash'` or `'lru_hash'`. */
  get type(): BpfMapType {
    BpfMap.#open(this);
    return this.#type;
  }

  /** Bytes per key. */
  get keySize(): number {
    BpfMap.#open(this);
    return this.#keySize;
  }

  /** Bytes per value. */
  get valueSize(): number {
    BpfMap.#open(this);
    return this.#valueSize;
  }

  /** Most entries the map holds. */
  get maxEntries(): number {
    BpfMap.#open(this);
    return this.#maxEntries;
  }

  /**
   * The number of entries.
   *
   * @example
   * ```ts
   * m.size; // 0 for a new map, never more than maxEntries
   * ```
   */
  get size(): number {
    return BpfMap.#open(this).size();
  }

  /**
   * A copy of key's value, or `undefined`. In an `lru_hash` map this counts as use.
   *
   * @example
   * ```ts
   * const v = m.lookup(key); // Uint8Array(valueSize) | undefined
   * ```
   */
  lookup(key: Uint8Array): Uint8Array | undefined {
    return NativeBpf.lookup(BpfMap.#open(this).handle, key) ? this.#scratch.slice() : undefined;
  }

  /**
   * Sets key's value. With {@link BPF_NOEXIST} a present key throws `EEXIST`; with
   * {@link BPF_EXIST} an absent key throws `ENOENT`; a new key into a full `hash` map throws
   * `E2BIG` (updating a present key of a full map works), while a full `lru_hash` map evicts an
   * approximately least recently used entry. Counts as use in an `lru_hash` map. The map is
   * unchanged by a throw.
   *
   * @example
   * ```ts
   * m.update(key, value);              // BPF_ANY
   * m.update(key, value, BPF_EXIST);   // only if present
   * ```
   */
  update(key: Uint8Array, value: Uint8Array, flags: BpfUpdateFlags = BPF_ANY): void {
    const status = NativeBpf.update(BpfMap.#open(this).handle, key, value, flags);
    if (status !== 0) throw new CodedError(STATUS_CODES[status], statusMessage(status, this));
  }

  /**
   * Removes key. An absent key throws a {@link CodedError} with code `ENOENT`, as the `bpf(2)`
   * syscall returns it (use {@link lookup} first, or catch, where absence is expected).
   *
   * @example
   * ```ts
   * m.delete(key); // throws err.code === 'ENOENT' if key is absent
   * ```
   */
  delete(key: Uint8Array): void {
    const status = NativeBpf.delete(BpfMap.#open(this).handle, key);
    if (status !== 0) throw new CodedError(STATUS_CODES[status], statusMessage(status, this));
  }

  /**
   * The key after `key` in the map's order: the first key for `undefined` or an absent key, and
   * `undefined` after the last (the kernel's `ENOENT`). Walking from `undefined` visits every key
   * exactly once while the map is not changed.
   *
   * @example
   * ```ts
   * for (let k = m.getNextKey(); k !== undefined; k = m.getNextKey(k)) console.log(k);
   * ```
   */
  getNextKey(key?: Uint8Array): Uint8Array | undefined {
    return BpfMap.#open(this).getNextKey(key);
  }

  /**
   * Up to `count` entries from the cursor `inBatch` on, as whole bucket groups. A first group that
   * does not fit in `count` throws a {@link BpfBatchError} with code `ENOSPC` (and `needed`), the
   * cursor still valid for a retry with a larger count. The last batch comes with `done: true`.
   * Every key present for the whole walk is returned exactly once, even if the map grows; reading
   * does not count as use in an `lru_hash` map.
   *
   * @example
   * ```ts
   * let r = m.lookupBatch({ count: 256 });
   * while (!r.done) r = m.lookupBatch({ inBatch: r.outBatch, count: 256 });
   * ```
   */
  lookupBatch(options: BpfLookupBatchOptions): BpfBatchResult {
    return this.#batch(options, false);
  }

  /**
   * {@link lookupBatch}, deleting exactly the entries it returns.
   *
   * @example
   * ```ts
   * let r;
   * do {
   *   r = m.lookupAndDeleteBatch({ inBatch: r?.outBatch, count: 1024 });
   *   exportEntries(r.keys, r.values, r.count);
   * } while (!r.done);
   * ```
   */
  lookupAndDeleteBatch(options: BpfLookupBatchOptions): BpfBatchResult {
    return this.#batch(options, true);
  }

  #batch(options: BpfLookupBatchOptions, andDelete: boolean): BpfBatchResult {
    const n = BpfMap.#open(this);
    const o = optionsObject(options, 'options');
    const r = n.lookupBatch(o.inBatch as BpfBatchCursor | null | undefined, o.count as number, andDelete);
    if (typeof r === 'number') {
      throw new BpfBatchError(
        'ENOSPC',
        `The next bucket group holds ${r} entries, more than count ${String(o.count)}: retry with count >= ${r}`,
        0,
        r,
      );
    }
    const [keys, values, count, next, done] = r;
    return { keys, values, count, outBatch: done ? null : next, done };
  }

  /**
   * Writes `keys[i]` (packed, `keySize` bytes each) to `values[i]` (packed, `valueSize` bytes
   * each) in order with one flag for all; returns how many were applied. Stops at the first
   * failure with a {@link BpfBatchError}: `code` as for {@link update}, `count` the elements applied
   * before it (the map holds exactly those writes). Arguments are checked in full first.
   *
   * @example
   * ```ts
   * m.updateBatch(keys, values, { flags: BPF_NOEXIST }); // keys.length / keySize
   * ```
   */
  updateBatch(keys: Uint8Array, values: Uint8Array, options: BpfUpdateBatchOptions = {}): number {
    const n = BpfMap.#open(this);
    const o = optionsObject(options, 'options');
    const [applied, status] = n.updateBatch(keys, values, o.flags === undefined ? BPF_ANY : (o.flags as number));
    if (status !== 0) {
      throw new BpfBatchError(
        STATUS_CODES[status],
        `${statusMessage(status, this)} (element ${applied}; ${applied} applied before it)`,
        applied,
      );
    }
    return applied;
  }

  /**
   * Deletes the packed keys in order; returns how many were deleted. An absent key stops the batch
   * with a {@link BpfBatchError} (`ENOENT`, `count` = keys deleted before it).
   *
   * @example
   * ```ts
   * m.deleteBatch(keys); // keys.length / keySize
   * ```
   */
  deleteBatch(keys: Uint8Array): number {
    const [applied, status] = BpfMap.#open(this).deleteBatch(keys);
    if (status !== 0) {
      throw new BpfBatchError(
        STATUS_CODES[status],
        `${statusMessage(status, this)} (element ${applied}; ${applied} deleted before it)`,
        applied,
      );
    }
    return applied;
  }

  /**
   * The table's shape, the record memory and the kernels in use.
   *
   * @example
   * ```ts
   * m.stats(); // { type, keySize, valueSize, maxEntries, size, B, buckets, ..., evictions, match, hash }
   * ```
   */
  stats(): BpfMapStats {
    return BpfMap.#open(this).stats();
  }

  /**
   * Entries as `[key, value]` copies, in map order, read through {@link lookupBatch} (so not counted
   * as use). Every key present for the whole iteration is produced exactly once; a key deleted
   * before it is reached may still be produced if its batch was already read.
   *
   * @example
   * ```ts
   * for (const [key, value] of m.entries()) console.log(key, value);
   * ```
   */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    let cursor: BpfBatchCursor | null = null;
    let count = ITERATION_CHUNK;
    for (;;) {
      let r: BpfBatchResult;
      try {
        r = this.lookupBatch({ inBatch: cursor, count });
      } catch (err) {
        if (err instanceof BpfBatchError && err.code === 'ENOSPC') {
          count = err.needed;
          continue;
        }
        throw err;
      }
      const ks = this.#keySize;
      const vs = this.#valueSize;
      for (let i = 0; i < r.count; i++) {
        yield [r.keys.slice(i * ks, (i + 1) * ks), r.values.slice(i * vs, (i + 1) * vs)];
      }
      if (r.done) return;
      cursor = r.outBatch;
    }
  }

  /**
   * Keys in map order, with the guarantees of {@link entries}.
   *
   * @example
   * ```ts
   * const keys = [...m.keys()];
   * ```
   */
  *keys(): IterableIterator<Uint8Array> {
    for (const [k] of this.entries()) yield k;
  }

  /**
   * Same as {@link entries}, so a map works in `for...of` and spreads.
   *
   * @example
   * ```ts
   * const copy = [...m];
   * ```
   */
  [Symbol.iterator](): IterableIterator<[Uint8Array, Uint8Array]> {
    return this.entries();
  }

  /**
   * Frees the native memory now; later calls throw a {@link CodedError} with code `ERR_CLOSED`.
   * Safe to call twice. Without it the memory is freed when the map is garbage collected.
   *
   * @example
   * ```ts
   * m.close();
   * m.lookup(key); // throws: This BpfMap is closed
   * ```
   */
  close(): void {
    if (typeof this !== 'object' || this === null || !(#native in this)) {
      throw thisError('BpfMap', this);
    }
    this.#native?.close();
    this.#native = null;
  }

  /**
   * Same as {@link close}, for `using` declarations.
   *
   * @example
   * ```ts
   * {
   *   using m = new BpfMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 });
   * } // closed here
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `'BpfMap'`, for `Object.prototype.toString`. */
  get [Symbol.toStringTag](): string {
    return 'BpfMap';
  }
}
