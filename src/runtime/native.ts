// Loads the compiled addon that ./locate.ts finds (TOPHASH_NATIVE, a build from
// source, or the prebuilt binary for this platform) and describes its surface.
import { locateAddon, locateHooks } from './locate';

/** An opaque handle to a native map (a Node-API External). */
export type NativeMapHandle = { readonly __brand: 'NativeMapHandle' };

export interface NativeU64Map {
  /** Passed to the map* functions: single operations skip the wrapper's unwrap. */
  readonly handle: NativeMapHandle;
  clear(): void;
  size(): number;
  getBatch(keys: KeyArray, out: Float64Array, found?: Uint8Array): number;
  hasBatch(keys: KeyArray, out: Uint8Array): number;
  setBatch(keys: KeyArray, values: Float64Array): number;
  deleteBatch(keys: KeyArray): number;
  getBatchAsync(keys: KeyArray, out: Float64Array, found?: Uint8Array): Promise<number>;
  setBatchAsync(keys: KeyArray, values: Float64Array): Promise<number>;
  scan(cursor: number, atLeast: number): [BigUint64Array, Float64Array, number];
  stats(): MapStats;
  close(): void;
  save(path: string): void;
  saveAsync(path: string): Promise<undefined>;
}

/** What a U64Map opened on a snapshot (`U64Map.open`) offers natively: reads only. */
export interface NativeMappedU64Map {
  /** Passed to mappedGet/mappedHas, and to the U64Map constructor to copy the snapshot. */
  readonly handle: NativeMapHandle;
  size(): number;
  getBatch(keys: KeyArray, out: Float64Array, found?: Uint8Array): number;
  hasBatch(keys: KeyArray, out: Uint8Array): number;
  getBatchAsync(keys: KeyArray, out: Float64Array, found?: Uint8Array): Promise<number>;
  scan(cursor: number, atLeast: number): [BigUint64Array, Float64Array, number];
  stats(): MapStats;
  verify(): void;
  close(): void;
  save(path: string): void;
  saveAsync(path: string): Promise<undefined>;
}

export interface NativeStrMap {
  /** Passed to the str* functions: single operations skip the wrapper's unwrap. */
  readonly handle: NativeMapHandle;
  clear(): void;
  size(): number;
  getBatch(bytes: Uint8Array, offsets: Uint32Array, out: Float64Array, found?: Uint8Array): number;
  hasBatch(bytes: Uint8Array, offsets: Uint32Array, out: Uint8Array): number;
  setBatch(bytes: Uint8Array, offsets: Uint32Array, values: Float64Array): number;
  deleteBatch(bytes: Uint8Array, offsets: Uint32Array): number;
  getBatchAsync(bytes: Uint8Array, offsets: Uint32Array, out: Float64Array, found?: Uint8Array): Promise<number>;
  setBatchAsync(bytes: Uint8Array, offsets: Uint32Array, values: Float64Array): Promise<number>;
  /** Keys packed as bytes + offsets (count + 1), values, next cursor (0: done). */
  scan(cursor: number, atLeast: number): [Uint8Array, Uint32Array, Float64Array, number];
  stats(): MapStats;
  close(): void;
  save(path: string): void;
  saveAsync(path: string): Promise<undefined>;
}

export interface NativeBpfMap {
  /** Passed to the static single-operation functions: they skip the wrapper's unwrap. */
  readonly handle: NativeMapHandle;
  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined;
  /** [keys, values, count, next cursor, done], or the first group's size when it does not fit (ENOSPC). */
  lookupBatch(
    cursor: number | null | undefined,
    count: number,
    andDelete: boolean,
  ): [Uint8Array, Uint8Array, number, number, boolean] | number;
  /** [applied, status]. */
  updateBatch(keys: Uint8Array, values: Uint8Array, flags: number): [number, number];
  /** [applied, status]. */
  deleteBatch(keys: Uint8Array): [number, number];
  size(): number;
  stats(): BpfMapStats;
  /** Moves the map to a new pinned file at path. */
  pin(path: string): void;
  /** The file the map is pinned at, or undefined. */
  pinnedPath(): string | undefined;
  /** Writes the map's snapshot to path, crash-safely. */
  save(path: string): void;
  /** save() on the libuv pool; the map is busy until it settles. */
  saveAsync(path: string): Promise<void>;
  close(): void;
}

/** What {@link NativeSummarySketches.stats} reports. */
export interface SummarySketchStats {
  /** Series (slots) open. */
  series: number;
  /** Observations counted by the native sketches since creation. */
  observations: number;
  /** Sketch buckets holding a value, over every series and period. */
  buckets: number;
  /** Off-heap bytes held (also reported to V8). */
  bytes: number;
  /** The relative error of every quantile. */
  relativeError: number;
}

/** One Summary's quantile sketches, a sliding window per series (slot). */
export interface NativeSummarySketches {
  /** A new empty window created at `now` (ms); its slot. */
  open(now: number): number;
  /** Frees a slot for reuse. */
  close(slot: number): void;
  /** Counts values[i] in slots[i]'s window at times[i] (ms) for i < n; times only for a sliding window. */
  record(slots: Uint32Array, values: Float64Array, times: Float64Array | undefined, n: number): void;
  /** The qs-quantiles of slot's window at `now` into out (NaN when empty); returns the values in the window. */
  quantiles(slot: number, now: number, qs: Float64Array, out: Float64Array): number;
  /** Empties slot's window. */
  reset(slot: number): void;
  stats(): SummarySketchStats;
}

/** A pinned file's or snapshot's validated header, as `readPinned`/`readSnapshotShape` report it. @internal */
export interface PinnedBpfShape {
  type: 'hash' | 'lru_hash';
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

/** What {@link BpfMap.stats} reports: the table's figures plus the eBPF map's own. */
export interface BpfMapStats extends MapStats {
  /** `'hash'` or `'lru_hash'`. */
  type: 'hash' | 'lru_hash';
  /** Bytes per key. */
  keySize: number;
  /** Bytes per value. */
  valueSize: number;
  /** Most entries the map holds. */
  maxEntries: number;
  /** Off-heap bytes the map holds, records included (also reported to V8). */
  bytes: number;
  /** Bytes of value records allocated so far (records are allocated in chunks on first use). */
  recordBytes: number;
  /** Entries evicted to make room (`lru_hash` only). */
  evictions: number;
}

/**
 * A batch of keys, read in place: `BigUint64Array` (any u64), `Float64Array`
 * (integers in [0, 2^53)) or `Uint32Array`.
 */
export type KeyArray = BigUint64Array | Float64Array | Uint32Array;

/** What {@link U64Map.stats} reports. */
export interface MapStats {
  /** Entries in the map. */
  size: number;
  /** log2 of the bucket count. */
  B: number;
  /** Bucket groups in the current array (2^B). */
  buckets: number;
  /** Overflow buckets chained off the array. */
  overflowBuckets: number;
  /** Average entries per bucket (growth starts past 6.5). */
  loadFactor: number;
  /**
   * Off-heap bytes the map holds (also reported to V8). For a map served from its snapshot
   * ({@link MapStats.mapped}) the file's length: mapped page cache, not heap, and not reported.
   */
  bytes: number;
  /** An incremental evacuation is in progress. */
  growing: boolean;
  /** Match kernel in use. */
  match: string;
  /** Hash kernel in use. */
  hash: string;
  /** `true` while a map from `U64Map.open` is served from its snapshot file; absent otherwise. */
  mapped?: boolean;
}

/** One kernel compiled into the addon, as {@link kernels} lists it. */
export interface KernelInfo {
  /** Tophash matching or hashing. */
  kind: 'match' | 'hash';
  /** The name `U64MapOptions.match`/`hash` and `TOPHASH_FORCE_*` accept. */
  name: string;
  /** Whether this CPU (and OS) can run it. */
  supported: boolean;
  /** What a map created now without options would use. */
  active: boolean;
  /** CPU features the kernel needs, comma separated ('' for none). */
  needs: string;
}

/** What {@link cpu} reports about this machine. */
export interface CpuInfo {
  /** `process.arch`-style architecture, e.g. `'x64'` or `'arm64'`. */
  arch: string;
  /** CPU vendor string, e.g. `'GenuineIntel'` ('' where unknown). */
  vendor: string;
  /** CPU brand string ('' where unknown). */
  brand: string;
  /** Each feature the kernels care about (sse2, avx2, avx512f, aes, vaes, ...) and whether it is usable. */
  features: Record<string, boolean>;
  /** The kernels a map created now without options would use (null: none could be selected). */
  selected: {
    /** Match kernel name. */
    match: string | null;
    /** Hash kernel name. */
    hash: string | null;
  };
}

/** What {@link NativeHooks.memoryFloor} measured. */
export interface MemoryFloorResult {
  /** Size of the region. */
  bytes: number;
  /** Whether MADV_HUGEPAGE (true) or MADV_NOHUGEPAGE (false) was asked for. */
  hugePages: boolean;
  /** AnonHugePages of the region after touching it, bytes (-1: unknown). */
  thpBytes: number;
  /** Interleaved LCG streams. */
  streams: number;
  /** Random reads timed (the requested count rounded down to a multiple of streams). */
  reads: number;
  /** ns per independent random 8-byte read (-1: none timed). */
  nsPerRead: number;
  /** Pointer-chase steps timed. */
  chaseSteps: number;
  /** ns per dependent pointer-chase step (-1: none timed). */
  nsPerStep: number;
  /** Wall time to touch every page, ms. */
  touchMs: number;
  /** Wall time to build the Sattolo cycle, ms. */
  permutationMs: number;
  /** Wall time of the whole call, ms. */
  totalMs: number;
}

export interface NativeAddon {
  U64Map: new (
    capacity: number | undefined,
    seed: bigint | undefined,
    match: string | undefined,
    hash: string | undefined,
    snapshot?: string,
    hugePages?: boolean,
    mapped?: NativeMapHandle,
  ) => NativeU64Map;
  MappedU64Map: new (match: string | undefined, hash: string | undefined, path: string) => NativeMappedU64Map;
  mappedGet(handle: NativeMapHandle, key: number | bigint): number | undefined;
  mappedHas(handle: NativeMapHandle, key: number | bigint): boolean;
  mapGet(handle: NativeMapHandle, key: number | bigint): number | undefined;
  mapSet(handle: NativeMapHandle, key: number | bigint, value: number): boolean;
  mapHas(handle: NativeMapHandle, key: number | bigint): boolean;
  mapDelete(handle: NativeMapHandle, key: number | bigint): boolean;
  StrMap: new (
    capacity: number | undefined,
    seed: bigint | undefined,
    match: string | undefined,
    hash: string | undefined,
    snapshot?: string,
    hugePages?: boolean,
  ) => NativeStrMap;
  /** The key is bytes[0 .. length). */
  strGet(handle: NativeMapHandle, bytes: Uint8Array, length: number): number | undefined;
  strSet(handle: NativeMapHandle, bytes: Uint8Array, length: number, value: number): boolean;
  strHas(handle: NativeMapHandle, bytes: Uint8Array, length: number): boolean;
  strDelete(handle: NativeMapHandle, bytes: Uint8Array, length: number): boolean;
  BpfMap: {
    new (
      type: string,
      keySize: number,
      valueSize: number,
      maxEntries: number,
      seed: bigint | undefined,
      match: string | undefined,
      hash: string | undefined,
      scratch: Uint8Array,
      pinned?: string,
      snapshot?: string,
    ): NativeBpfMap;
    /** The header of the pinned file at path, validated. */
    readPinned(path: string): PinnedBpfShape;
    /** The map a BpfMap snapshot holds, from its checked header. */
    readSnapshotShape(path: string): PinnedBpfShape;
    /** Removes a pinned file's name (after checking it is one). */
    unpin(path: string): void;
    /** Copies key's value to the constructor's scratch array; false when key is absent. */
    lookup(handle: NativeMapHandle, key: Uint8Array): boolean;
    /** Status: 0 ok, 1 EEXIST, 2 ENOENT, 3 E2BIG. */
    update(handle: NativeMapHandle, key: Uint8Array, value: Uint8Array, flags: number): number;
    /** Status: 0 ok, 2 ENOENT. */
    delete(handle: NativeMapHandle, key: Uint8Array): number;
  };
  /** periods >= 1; periodMs > 0, or Infinity for a window that never slides. */
  SummarySketches: new (periods: number, periodMs: number) => NativeSummarySketches;
  kernels(): KernelInfo[];
  cpu(): CpuInfo;
  hashBytes(data: Uint8Array, seed?: bigint, kernel?: string): bigint;
  hashU64Batch(keys: BigUint64Array, out: BigUint64Array, seed?: bigint, kernel?: string): void;
  /** Hashes key i = bytes[offsets[i] .. offsets[i + 1]); returns out or a new array. */
  hashPackedBatch(
    bytes: Uint8Array,
    offsets: Uint32Array,
    out?: BigUint64Array,
    seed?: bigint,
    kernel?: string,
  ): BigUint64Array;
  /** Hashes key i = bytes[i * keySize .. (i + 1) * keySize); returns out or a new array. */
  hashFixedBatch(
    bytes: Uint8Array,
    keySize: number,
    out?: BigUint64Array,
    seed?: bigint,
    kernel?: string,
  ): BigUint64Array;
}

/**
 * Test and benchmark hooks: a second addon, tophash_hooks.node, built beside tophash.node so the
 * shipped addon does not carry them. Loaded by {@link loadHooks}.
 *
 * @internal
 */
export interface NativeHooks {
  /** V8's total of external bytes reported by addons (for tests). */
  externalMemory(): number;
  /** Returns undefined without reading its arguments: one crossing into an addon, alone (bench W1). */
  emptyCall(a: unknown, b: unknown): undefined;
  /**
   * Benchmark W8's random-read floor (not part of the map API; synchronous, it blocks for the whole
   * run): mmaps `bytes` (default 2 GiB, a multiple of 4096), madvises `MADV_HUGEPAGE` or
   * `MADV_NOHUGEPAGE` (`hugePages`, default false), touches every page, then times `reads`
   * (default 2^25) independent random 8-byte reads from `streams` (default 16, a power of two up to
   * 64) interleaved LCG streams, and a dependent pointer chase of `chaseSteps` (default 2^23) steps
   * over a Sattolo cycle (splitmix64(42)) of all the region's cache lines. `nsPerRead` /
   * `nsPerStep` are -1 when their count is 0; `thpBytes` (AnonHugePages from /proc/self/smaps) is -1
   * where it cannot be read.
   */
  memoryFloor(options?: {
    bytes?: number;
    hugePages?: boolean;
    reads?: number;
    streams?: number;
    chaseSteps?: number;
  }): MemoryFloorResult;
  /**
   * Benchmark W10's cold reads: drops the file's clean pages from the OS page cache
   * (`posix_fadvise(POSIX_FADV_DONTNEED)` after an `fdatasync`; a page some process maps stays).
   * Returns the fraction of the file's pages still resident afterwards (0: all dropped; -1: unknown).
   */
  dropPageCache(path: string): number;
  /**
   * Benchmark W7's attribution of slow calls: starts recording the start and end of every V8
   * garbage-collection pause (prologue to epilogue), on `process.hrtime.bigint()`'s clock.
   */
  recordGcPauses(): undefined;
  /** Stops recording; the pauses since `recordGcPauses()` as [start0, end0, start1, end1, ...] ns. */
  takeGcPauses(): Float64Array;
}

const addonFile = locateAddon();

/**
 * The test and benchmark hooks addon, found beside the tophash addon that was loaded (so also
 * beside TOPHASH_NATIVE's file), else in the build folders.
 *
 * @internal
 */
export function loadHooks(): NativeHooks {
  const file = locateHooks(addonFile);
  if (file === undefined) throw new Error('tophash: tophash_hooks.node is not built (run `npm run build`).');
  return runtimeRequire(file) as NativeHooks;
}

// Under webpack, require() is webpack's own and cannot load a file chosen at run time.
declare const __non_webpack_require__: NodeJS.Require | undefined;
const runtimeRequire: NodeJS.Require =
  typeof __non_webpack_require__ === 'function' ? __non_webpack_require__ : require;

function requireAddon(file: string): NativeAddon {
  let addon: Partial<NativeAddon> | undefined;
  try {
    addon = runtimeRequire(file) as Partial<NativeAddon> | undefined;
  } catch (err) {
    throw new Error(
      `tophash: ${file} failed to load (${(err as Error).message}). ` +
        `It may be built for another Node version or platform (this is Node ${process.version}, ` +
        `${process.platform}-${process.arch}): run \`npm rebuild tophash --build-from-source\` (or \`npm run build\` in a clone).`,
      { cause: err },
    );
  }
  if (typeof addon?.U64Map !== 'function') throw new Error(`tophash: ${file} is not the tophash addon.`);
  return addon as NativeAddon;
}

export const native: NativeAddon = requireAddon(addonFile);
