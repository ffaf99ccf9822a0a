// Aggregator: eBPF/bpftrace-style aggregation with the arithmetic in native
// code. Events are staged here in typed arrays (an id and a value per event;
// the id is a handle id or points at a key staged alongside) and the whole
// batch crosses into native code once (native/core/aggregator.h). Every read
// flushes first, so reads always see every event recorded before them.
//
// Offloaded (offload: true), events go into a ring the native offload thread
// drains instead (event-ring.ts; native/core/shared_aggregator.h), and other
// threads attach to the same aggregation with share()/attach().
import {
  closedError,
  CodedError,
  keyTooLong,
  refuseStructuredClone,
  rangeError,
  typeError,
  withCallerStack,
  withCode,
} from '../runtime/errors';
import {
  boundTails,
  checkFamily,
  familyHead,
  labelHeads,
  omitsSum,
  OVERFLOW_LABEL,
  renderFamilySamples,
  type ExpositionFamily,
} from './exposition';
import { parseHistSpec, specOf, type HistLayout, type HistSpec } from './histogram';
import { ProducerRing, RingHandle, type NativeRing, type OnRingFull } from './event-ring';
import { LabelTrie, type TrieNode } from './label-trie';
import { native } from '../runtime/native';
import { kernels } from '../runtime/kernels';
import { fromSnapshotOptions, parseSnapshotMeta, snapshotMeta, type SnapshotOptions } from './aggregator-snapshot';
import { formatHistogram, formatStats } from './print';
import { badValue, Handle, keyName, labelText, Staging, u64Words, type AggHandle } from './staging';
import { optionalString, parseSeed, snapshotPath } from '../runtime/options';
import { closestName, rejectUnknownOptions } from '../runtime/option-names';
import type { HashKernelName, MatchKernelName } from '../runtime/kernel-names';
import { decodeWtf8, encodeWtf8Into } from '../runtime/wtf8';

export type { HistSpec, HistLayout } from './histogram';
export type { AggHandle } from './staging';

/** How an {@link Aggregator}'s keys look: u64 ids, strings, or label tuples. */
export type AggKeySpec = 'u64' | 'string' | LabelsSpec;

/** The key spec of an {@link Aggregator} keyed by label tuples. */
export interface LabelsSpec<L extends string = string> {
  /** The label names, in the order array keys give their values. */
  readonly labels: readonly L[];
}

/** What {@link Aggregator}'s type argument may be: a key spec, or (the older form) a key type. */
export type AggKeyParam = AggKey | LabelsSpec;

/**
 * A key of a `{ labels }` aggregator: an object of label values (prom-client style, a missing
 * label is `''`, numbers become their decimal text, a label not in `labels` is a RangeError) or the values in
 * `labelNames` order. Readout yields the object form with string values.
 */
export type LabelKey = Readonly<Record<string, string | number>> | readonly (string | number)[];

/** Any aggregator key: a u64 (number below 2^53 or bigint), a string or a {@link LabelKey}. */
export type AggKey = number | bigint | string | LabelKey;

/**
 * A {@link LabelKey} for the label names `L`: an object with only those labels (each optional: a
 * missing label is `''`), or the values in order.
 */
export type LabelKeyOf<L extends string> = { readonly [P in L]?: string | number } | readonly (string | number)[];

/**
 * The key type of an {@link Aggregator} made with the key spec `S` (`'u64'`: numbers and bigints;
 * `'string'`: strings; `{ labels }`: {@link LabelKeyOf} those names). For a key type itself (the
 * older `Aggregator<number>` form) it is that type.
 */
export type AggKeyOf<S> = S extends 'u64'
  ? number | bigint
  : S extends 'string'
    ? string
    : S extends LabelsSpec<infer L>
      ? string extends L
        ? LabelKey
        : LabelKeyOf<L>
      : S;

/** The key spec a constructor takes for the type argument `S`: `S` itself when it is a spec. */
export type AggKeySpecFor<S> = [S] extends [AggKeySpec] ? S : AggKeySpec;

/** Options for {@link Aggregator}'s constructor. */
export interface AggregatorOptions<S extends AggKeySpec = AggKeySpec> {
  /** The key kind; the aggregator's key type follows from it ({@link AggKeyOf}). */
  key: S;
  /** The per-key histogram, if any. */
  hist?: HistSpec;
  /** Most keys kept (default 1,000,000, at most 2^31). */
  maxEntries?: number;
  /** At maxEntries: drop the events of new keys (default, counted) or evict the ~LRU key. */
  onFull?: 'drop' | 'lru';
  /**
   * Most keys, as a metric's series limit (OpenTelemetry's cardinality limit; an integer from 1
   * to 2^31). Past it, the events of new keys are aggregated into one overflow entry that is no
   * key's, read with {@link Aggregator.overflow}, counted in `stats().overflowEvents` and exported
   * by `toPrometheus` as a series labelled `otel_metric_overflow="true"`, so no event is lost and
   * memory stays bounded. A key that overflowed gets an entry of its own once there is room again
   * (after a delete or a drain). It takes the place of `maxEntries` and `onFull`, which drop or
   * evict instead (giving them too throws). Not on a `shared` aggregator yet (throws).
   */
  maxSeries?: number;
  /** Events staged per native crossing (default 4096, 1..2^20). */
  batchSize?: number;
  /** Hash seed, as for the maps: an integer in [0, 2^53) or a bigint in [0, 2^64); random by default. */
  seed?: number | bigint;
  /**
   * Force a tophash match kernel for the key table (default: the best this CPU supports, or
   * TOPHASH_FORCE_MATCH), as U64Map's and BpfMap's `match` option. An unknown or unsupported name
   * throws a RangeError.
   */
  match?: MatchKernelName;
  /**
   * Force a hash kernel for the key table (default: aes where AES-NI exists, or TOPHASH_FORCE_HASH),
   * as U64Map's and BpfMap's `hash` option. An unknown or unsupported name throws a RangeError.
   */
  hash?: HashKernelName;
  /**
   * Offload aggregation to a native thread: recording only appends `(handle, value)` to a ring that
   * JavaScript writes directly (no native call per event), and one thread per process, started with
   * the first offloaded aggregator and stopped with the last, drains every ring in batches. Reads
   * still see every event this thread recorded before them. Needed for {@link Aggregator.share}.
   */
  offload?: boolean;
  /** Offload: what a full ring does: aggregate here and now (`'flush'`, default) or drop the event (counted in `stats().dropped`). */
  onRingFull?: OnRingFull;
  /** Offload: events per ring (a power of two in [16, 2^24], default 65536). */
  ringSize?: number;
  /**
   * How long a call waits for the aggregator's lock (held by the offload thread or another thread's
   * read) before failing with `code: 'ETIMEDOUT'`, in ms (default 5000).
   */
  syncTimeoutMs?: number;
  /**
   * Share the aggregation between processes (node:cluster workers, or any processes on this host)
   * through a named POSIX shared-memory segment, created by the first process that opens it. Each
   * process aggregates its own events and publishes them to its own shard of the segment (on
   * `flush()`, every `flushMs`, and before every read); reads merge every process's shard. A
   * process killed at any point leaves its last published shard counted. Processes must agree on
   * `key` and `hist` (a clear error names what differs). `delete`, `clear`, `zero` and
   * `lookupAndDeleteBatch` throw `ENOTSUP` on a shared aggregator.
   */
  shared?: SharedOptions;
}

/** Options for an {@link Aggregator} shared between processes: see {@link AggregatorOptions.shared}. */
export interface SharedOptions {
  /** The segment's name: 1 to 200 characters of `[A-Za-z0-9._-]`, the first a letter or digit. */
  name: string;
  /** Processes the segment holds at once (its shards; default 16). Only the creator's value counts. */
  shards?: number;
  /** Bytes per shard (default 2 MiB; two snapshots of this process's entries must fit). Only the creator's value counts. */
  shardBytes?: number;
  /** How often this process publishes its shard unprompted, in ms (default 1000; 0: only on flush and reads). */
  flushMs?: number;
}

/**
 * What {@link Aggregator.share} returns: plain data to post to a worker_thread, where
 * {@link Aggregator.attach} turns it into a recorder of the same aggregation.
 */
export interface AggregatorToken {
  /** Marks the object as a token. */
  readonly tophash: 'Aggregator.share';
  /** The token format. */
  readonly version: 1;
  /** The process the aggregator lives in (tokens do not cross processes). */
  readonly pid: number;
  /** The aggregator's id in that process. */
  readonly id: number;
  /** The options the recorder needs (key kind, histogram, batching). */
  readonly options: Readonly<AggregatorOptions>;
}

/** One key's aggregate, as {@link Aggregator.get} returns it. */
export interface AggValue {
  /** Events recorded. */
  count: number;
  /** Their sum. */
  sum: number;
  /** Smallest value (NaN when count is 0). */
  min: number;
  /** Largest value (NaN when count is 0). */
  max: number;
  /** sum / count (NaN when count is 0). */
  avg: number;
  /** Per-bucket counts, not cumulative, when the aggregator has a histogram. */
  hist?: Float64Array;
}

/** What {@link Aggregator.stats} reports. */
export interface AggStats {
  /** Keys held. */
  entries: number;
  /** Events that were waiting in the JavaScript staging buffers when stats() was called (it flushes them). */
  staged: number;
  /** Events handed to native code so far, dropped ones included. */
  flushed: number;
  /** Events discarded because their key was new and the aggregator full (`onFull: 'drop'`). */
  dropped: number;
  /** Keys evicted to make room (`onFull: 'lru'`). */
  evicted: number;
  /** Events aggregated into the overflow entry because their key was new past `maxSeries`. */
  overflowEvents: number;
  /** Native crossings that aggregated a batch. */
  batches: number;
  /** Handles alive (not yet garbage-collected). */
  handles: number;
  /** Off-heap bytes held (also reported to V8). */
  bytes: number;
  /** The key table's match kernel. */
  match: string;
  /** The key table's hash kernel. */
  hash: string;
  /** Offloaded: whether this is the owner (false for a recorder made by {@link Aggregator.attach}). */
  offloaded?: {
    /** true for the aggregator's creator, false for a recorder made by attach(). */
    owner: boolean;
  };
}

/** The result of {@link Aggregator.lookupBatch} and {@link Aggregator.lookupAndDeleteBatch}. */
export interface AggBatch<K> {
  /** The keys of this batch. */
  keys: K[];
  /** Their values, in the same order. */
  values: AggValue[];
  /** keys.length. */
  count: number;
  /** Opaque cursor: pass it as `inBatch` to continue. */
  outBatch: number;
  /** This was the last batch. */
  done: boolean;
}

/** Options for {@link Aggregator.toPrometheus}. */
export interface AggPrometheusOptions {
  /** The metric family name, e.g. `http_request_duration_seconds`. */
  name: string;
  /** The HELP text. */
  help: string;
  /** The label name a u64 or string key is exported under (default `'key'`); label keys use their names. */
  label?: string;
  /** Render OpenMetrics 1.0 (ending `# EOF`) instead of the Prometheus text format 0.0.4. */
  openMetrics?: boolean;
  /**
   * log2 and linear histograms: write every bucket's `le` line (65 or more per series for log2)
   * instead of only those from the lowest to the highest bucket any series has used (default
   * false). The trimmed form loses nothing (a left-out bucket is empty in every series, and its
   * cumulative count equals its neighbour's); this one keeps the `le` set fixed from scrape to
   * scrape. Explicit `buckets` are always written in full.
   */
  allBuckets?: boolean;
}

/**
 * Options for {@link Aggregator.load}: the kernels. Any match kernel works with any snapshot; the
 * hash kernel must be of the family the snapshot was written with (`ERR_SNAPSHOT_HASH` otherwise).
 *
 * @example
 * ```ts
 * Aggregator.load('/var/lib/app/latency.tha', { hash: 'aes-portable' });
 * ```
 */
export interface AggLoadOptions {
  /** Force a tophash match kernel. */
  match?: MatchKernelName;
  /** Force a hash kernel of the snapshot's family. */
  hash?: HashKernelName;
}

/** Options for {@link Aggregator.lookupBatch}. */
export interface AggBatchOptions {
  /** The previous batch's `outBatch`; undefined or null starts at the beginning. */
  inBatch?: unknown;
  /** Most entries to return (default: all). */
  count?: number;
}

interface NativeAggStats {
  entries: number;
  events: number;
  batches: number;
  dropped: number;
  evicted: number;
  overflowEvents: number;
  handles: number;
  bytes: number;
  match: string;
  hash: string;
}

// apply()'s arguments: staged events (ids, values, n) and the keys staged with them.
type StagedArgs = [
  ids: Uint32Array,
  values: Float64Array,
  n: number,
  keysU64: BigUint64Array | undefined,
  keyBytes: Uint8Array | undefined,
  keyOffsets: Uint32Array | undefined,
  nkeys: number,
];

interface NativeAggregator {
  apply(...args: StagedArgs): void;
  /** apply() on the libuv pool over copies taken now; resolves to the event count. */
  applyAsync(...args: StagedArgs): Promise<number>;
  recordKeys(keys: Float64Array | BigUint64Array | Uint32Array, values: Float64Array): void;
  recordBytes(bytes: Uint8Array, offsets: Uint32Array, values: Float64Array): void;
  addHandle(key: unknown, length?: number): number;
  releaseHandles(ids: Uint32Array, n: number): number;
  get(key: unknown, length?: number): Float64Array | undefined;
  /** The overflow row (maxSeries), or undefined while nothing overflowed. */
  overflow(): Float64Array | undefined;
  delete(key: unknown, length?: number): boolean;
  clear(): void;
  zero(): void;
  size(): number;
  scan(cursor: number, count: number, del: boolean): [BigUint64Array | [Uint8Array, Uint32Array], Float64Array, number];
  /** The rows of the handles' keys in that order, stride doubles each, zeros for a key without an entry. */
  readHandles(handleIds: Uint32Array): Float64Array;
  render(
    head: string,
    tail: string,
    name: string,
    labelHeads: string[],
    leTails: string[] | null,
    omitSum: boolean,
    handleIds?: Uint32Array,
    trimBuckets?: boolean,
  ): string;
  stats(): NativeAggStats;
  close(): void;
  /** Offloaded only: this thread's ring. */
  ring(): NativeRing | undefined;
  /** Aggregates this thread's ring now. */
  sync(): void;
  /** sync() on the libuv pool. */
  syncAsync(): Promise<void>;
  /** Ends the offload thread's sleep. */
  wake(): void;
  /** The id attach() finds this aggregator by. */
  share(): number;
  /** Shared between processes: publishes this process's shard. */
  publish(): void;
  /** Writes the snapshot (meta: the options section's text), crash-safely. */
  save(path: string, meta: string): void;
  /** The bytes now, the file on the libuv pool. */
  saveAsync(path: string, meta: string): Promise<void>;
  /** Fills this new aggregator from the snapshot at path. */
  restore(path: string, hash: string | undefined): void;
  /** render() on the libuv pool. */
  renderAsync(...args: Parameters<NativeAggregator['render']>): Promise<string>;
}

type NativeAggregatorClass = (new (options: Record<string, unknown>) => NativeAggregator) & {
  /** The options section of the aggregator snapshot at path. */
  readSnapshotMeta(path: string): string;
};

const KEYED = 0x80000000;
// The constructor's private path for attach().
const ATTACH = Symbol('tophash.aggregator.attach');
const NOT_POSTABLE =
  'An Aggregator cannot be posted to another thread: post aggregator.share() and call Aggregator.attach(token) there';
// Ring views: header words (event_ring.h).
const RING_CLOSED = 32;
const MAX_KEY_BYTES = 64 * 1024;
const KIND_U64 = 0;
const KIND_STRING = 1;
const KIND_LABELS = 2;
// record() keeps a handle per recent string or label key up to this many keys
// of at most this many characters (longer keys are staged as bytes).
const CACHE_ENTRIES = 4096;
const CACHE_KEY_CHARS = 256;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Every entry at once, for tophash/prom's scrape (not public API): the key of
 * entry i as text (label values joined by NUL, a u64 in decimal) and its row
 * at `rows[i * stride]`: count, sum, min, max, then the histogram buckets.
 *
 * @internal
 */
export const READ_ROWS = Symbol('tophash.aggregator.readRows');

/**
 * One family's exposition text rendered natively from the rows (not public API): see
 * {@link Aggregator.toPrometheus}; tophash/prom passes its series' handles to render them in its
 * own order.
 *
 * @internal
 */
export const RENDER_TEXT = Symbol('tophash.aggregator.renderText');

/**
 * {@link RENDER_TEXT} rendered on the libuv pool (not public API): what tophash/prom's scrapes use.
 *
 * @internal
 */
export const RENDER_TEXT_ASYNC = Symbol('tophash.aggregator.renderTextAsync');

/**
 * The rows of some handles' keys in the handles' order (not public API): `stride` doubles each
 * (count, sum, min, max, then the histogram buckets), zeros for a key without an entry. What
 * tophash/prom's protobuf scrape and tophash/otel read a metric's series with: no key text and no
 * lookup per series in JavaScript.
 *
 * @internal
 */
export const READ_HANDLES = Symbol('tophash.aggregator.readHandles');

/** What {@link RENDER_TEXT} renders: a histogram family when the aggregator has a histogram, else a summary. @internal */
export interface AggRenderFamily {
  name: string;
  help: string;
  /** The label names: the aggregator's label names, or one name for a u64 or string key, or none. */
  labelNames: readonly string[];
  openMetrics: boolean;
  /** End with OpenMetrics' `# EOF` line. */
  eof: boolean;
  /** Write every bucket's `le` line, not only the used range (log2 and linear histograms). */
  allBuckets?: boolean;
}

/**
 * The label names of a `{ labels }` key, empty for a u64 or string key (not public API): what
 * tophash/otel names a row's attributes by.
 *
 * @internal
 */
export const LABEL_NAMES = Symbol('tophash.aggregator.labelNames');

/** What {@link READ_ROWS} returns. @internal */
export interface AggRows {
  keys: string[];
  rows: Float64Array;
  stride: number;
}

// Key text from a scan's packed bytes. Label keys are nearly always ASCII: one
// ASCII decode of the whole buffer then a substring per key (byte offsets are
// character offsets) costs a fraction of a decode per key.
function keyTexts(bytes: Uint8Array, offsets: Uint32Array): string[] {
  const n = offsets.length - 1;
  const keys = new Array<string>(n);
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('ascii');
    for (let i = 0; i < n; i++) keys[i] = all.substring(offsets[i], offsets[i + 1]);
  } else {
    for (let i = 0; i < n; i++) keys[i] = decodeWtf8(bytes.subarray(offsets[i], offsets[i + 1])) ?? '';
  }
  return keys;
}
// A label outside options.key.labels is a mistake (a typo, or a label the aggregator was not made
// with): recording it as an empty value of the missing label would hide it.
function unknownLabel(name: string, names: readonly string[], what: string): RangeError {
  const guess = closestName(name, names);
  return withCode(
    new RangeError(
      `Expected only the labels ${names.map((n) => `'${n}'`).join(', ')} for ${what} but received the label '${name}'${guess === undefined ? '' : `; did you mean '${guess}'?`}`,
    ),
    'ERR_INVALID_ARG_VALUE',
  );
}

const ATTACH_OPTION_NAMES = ['onRingFull', 'ringSize', 'syncTimeoutMs'] as const;
const AGGREGATOR_OPTION_NAMES = [
  'key',
  'hist',
  'maxEntries',
  'onFull',
  'batchSize',
  'seed',
  'match',
  'hash',
  'offload',
  'shared',
  'maxSeries',
  ...ATTACH_OPTION_NAMES,
] as const;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SEGMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function checkSegmentName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string') throw typeError('a segment name (string)', what, name);
  if (!SEGMENT_NAME.test(name))
    throw rangeError('1 to 200 characters of [A-Za-z0-9._-], the first a letter or digit', what, name);
}

// maxSeries is maxEntries with an overflow entry in place of onFull's drop or evict.
function parseMaxSeries(options: AggregatorOptions): number | undefined {
  const { maxSeries } = options;
  if (maxSeries === undefined) return undefined;
  if (typeof maxSeries !== 'number') throw typeError('an integer in [1, 2^31]', 'options.maxSeries', maxSeries);
  if (!Number.isSafeInteger(maxSeries) || maxSeries < 1 || maxSeries > 2 ** 31) {
    throw rangeError('an integer in [1, 2^31]', 'options.maxSeries', maxSeries);
  }
  if (options.maxEntries !== undefined) {
    throw rangeError(
      'no maxEntries beside maxSeries (maxSeries bounds the keys)',
      'options.maxEntries',
      options.maxEntries,
    );
  }
  if (options.onFull !== undefined) {
    throw rangeError('no onFull beside maxSeries (new keys past it overflow)', 'options.onFull', options.onFull);
  }
  if (options.shared !== undefined) {
    throw rangeError(
      'no maxSeries on an aggregator shared between processes (not supported yet)',
      'options.maxSeries',
      maxSeries,
    );
  }
  return maxSeries;
}

function parseShared(shared: unknown): SharedOptions | undefined {
  if (shared === undefined) return undefined;
  if (typeof shared !== 'object' || shared === null) throw typeError('an object { name }', 'options.shared', shared);
  const o = shared as Record<string, unknown>;
  rejectUnknownOptions(o, ['name', 'shards', 'shardBytes', 'flushMs'], 'options.shared');
  checkSegmentName(o.name, 'options.shared.name');
  const flushMs = o.flushMs ?? 1000;
  if (typeof flushMs !== 'number' || !Number.isSafeInteger(flushMs) || flushMs < 0 || flushMs > 2 ** 31 - 1) {
    throw rangeError('an integer number of ms', 'options.shared.flushMs', flushMs);
  }
  return { ...(o as unknown as SharedOptions), flushMs };
}

/**
 * eBPF/bpftrace-style aggregation in native code: per key, count, sum, min, max (avg derived) and
 * an optional histogram (bpftrace `hist`/`lhist` or Prometheus buckets), read out with eBPF batch
 * semantics and printed in bpftrace's layout.
 *
 * Events are staged in typed arrays and aggregated natively in one crossing per `batchSize`
 * events; every read flushes first. {@link Aggregator.handle} resolves a key once, so recording
 * through it is two typed-array writes. `maxEntries` bounds the keys: new keys beyond it are
 * dropped (`onFull: 'drop'`, counted) or evict an approximately least recently used key (`'lru'`,
 * CLOCK).
 *
 * Non-finite values (NaN, ±Infinity) are rejected with a RangeError naming `value`: one NaN would
 * make the key's sum and average NaN forever.
 *
 * @example
 * ```ts
 * const agg = new Aggregator({ key: { labels: ['route', 'status'] }, hist: { log2: {} } });
 * const ok = agg.handle({ route: '/api', status: 200 });
 * ok.record(12.5);
 * agg.record({ route: '/api', status: 500 }, 40);
 * agg.get({ route: '/api', status: 200 }); // { count: 1, sum: 12.5, ..., hist: Float64Array }
 * console.log(agg.print());
 * ```
 */
export class Aggregator<const S extends AggKeyParam = AggKeyParam> {
  #native: NativeAggregator | null;
  // A flushAsync is in flight: every use throws EBUSY until it settles.
  #busy = false;
  #kind: number;
  #labelNames: readonly string[];
  #layout: HistLayout | undefined;
  #s: Staging;
  #stride: number;
  #pending: number[] = [];
  #registry: FinalizationRegistry<number>;
  #scratch = new Uint8Array(1024);
  #cache = new LabelTrie<Handle | RingHandle>();
  // Offloaded: this thread's ring; null otherwise.
  #ring: ProducerRing | null = null;
  // Made by attach(): close() detaches rather than closes.
  #attached = false;
  // What share() puts in a token.
  #tokenOptions: AggregatorOptions;
  // Shared between processes: publishes this process's shard every flushMs.
  #publishTimer: NodeJS.Timeout | undefined;
  #shared = false;
  // What a snapshot records of the options (see aggregator-snapshot.ts).
  #snapshotOptions: SnapshotOptions;
  // The handle ids READ_HANDLES gathered last, for the handle array they came from.
  #readIds: { handles: readonly AggHandle[]; ids: Uint32Array } | undefined;

  /**
   * Creates an empty aggregator. Throws TypeError/RangeError naming a bad option, e.g.
   * `options.hist.linear.step`.
   */
  constructor(options: AggregatorOptions<AggKeySpecFor<S>>) {
    if (typeof options !== 'object' || options === null) throw typeError('an options object', 'options', options);
    rejectUnknownOptions(options, AGGREGATOR_OPTION_NAMES, 'options');
    const key: unknown = options.key;
    let labelNames: string[] = [];
    if (key === 'u64') this.#kind = KIND_U64;
    else if (key === 'string') this.#kind = KIND_STRING;
    else if (typeof key === 'object' && key !== null && Array.isArray((key as { labels?: unknown }).labels)) {
      this.#kind = KIND_LABELS;
      labelNames = [...(key as { labels: unknown[] }).labels] as string[];
      labelNames.forEach((n, i) => {
        if (typeof n !== 'string') throw typeError('a string', `options.key.labels[${i}]`, n);
      });
      if (labelNames.length === 0) throw rangeError('at least one label name', 'options.key.labels', labelNames);
      if (new Set(labelNames).size !== labelNames.length) {
        throw rangeError('distinct label names', 'options.key.labels', labelNames);
      }
    } else {
      throw typeError("'u64', 'string' or { labels: string[] }", 'options.key', key);
    }
    this.#labelNames = labelNames;
    const { layout, native: histOptions } = parseHistSpec(options.hist);
    this.#layout = layout;
    this.#stride = 4 + (layout?.size ?? 0);
    const maxEntries = options.maxEntries ?? 1_000_000;
    if (typeof maxEntries !== 'number') throw typeError('an integer', 'options.maxEntries', maxEntries);
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1 || maxEntries > 2 ** 31) {
      throw rangeError('an integer in [1, 2^31]', 'options.maxEntries', maxEntries);
    }
    const onFull = options.onFull ?? 'drop';
    if (onFull !== 'drop' && onFull !== 'lru') throw rangeError("'drop' or 'lru'", 'options.onFull', onFull);
    const maxSeries = parseMaxSeries(options);
    const batch = options.batchSize ?? 4096;
    if (typeof batch !== 'number') throw typeError('an integer', 'options.batchSize', batch);
    if (!Number.isSafeInteger(batch) || batch < 1 || batch > 2 ** 20) {
      throw rangeError('an integer in [1, 2^20]', 'options.batchSize', batch);
    }
    const offload = options.offload ?? false;
    if (typeof offload !== 'boolean') throw typeError('a boolean', 'options.offload', offload);
    const onRingFull = options.onRingFull ?? 'flush';
    if (onRingFull !== 'flush' && onRingFull !== 'drop') {
      throw rangeError("'flush' or 'drop'", 'options.onRingFull', onRingFull);
    }
    const ringSize = options.ringSize ?? 65536;
    if (typeof ringSize !== 'number') throw typeError('a power of two', 'options.ringSize', ringSize);
    if (!Number.isSafeInteger(ringSize) || ringSize < 16 || ringSize > 2 ** 24 || (ringSize & (ringSize - 1)) !== 0) {
      throw rangeError('a power of two in [16, 2^24]', 'options.ringSize', ringSize);
    }
    const syncTimeoutMs = options.syncTimeoutMs ?? 5000;
    if (typeof syncTimeoutMs !== 'number') throw typeError('an integer', 'options.syncTimeoutMs', syncTimeoutMs);
    if (!Number.isSafeInteger(syncTimeoutMs) || syncTimeoutMs < 0 || syncTimeoutMs > 3_600_000) {
      throw rangeError('an integer in [0, 3600000]', 'options.syncTimeoutMs', syncTimeoutMs);
    }
    const attachId = (options as { [ATTACH]?: number })[ATTACH];
    const shared = parseShared(options.shared);
    if (shared !== undefined && attachId !== undefined) {
      throw rangeError('no shared option on an attached recorder', 'options.shared', shared);
    }
    const Native = (native as unknown as { Aggregator: NativeAggregatorClass }).Aggregator;
    this.#native =
      attachId !== undefined
        ? new Native({ attach: attachId, ringSize, syncTimeoutMs })
        : new Native({
            keyKind: this.#kind === KIND_U64 ? 'u64' : 'bytes',
            ...histOptions,
            maxEntries: maxSeries ?? maxEntries,
            onFull: maxSeries === undefined ? onFull : 'overflow',
            seed: parseSeed(options.seed),
            match: optionalString(options.match, 'options.match'),
            hash: optionalString(options.hash, 'options.hash'),
            offload: offload || attachId !== undefined,
            ringSize,
            syncTimeoutMs,
            shared:
              shared === undefined
                ? undefined
                : { name: `/${shared.name}`, shards: shared.shards, shardBytes: shared.shardBytes },
          });
    this.#attached = attachId !== undefined;
    this.#snapshotOptions = {
      key: this.#kind === KIND_U64 ? 'u64' : this.#kind === KIND_STRING ? 'string' : { labels: [...labelNames] },
      hist: specOf(histOptions),
      ...(maxSeries === undefined ? { maxEntries, onFull } : { maxSeries }),
    };
    this.#tokenOptions = {
      key: this.#kind === KIND_U64 ? 'u64' : this.#kind === KIND_STRING ? 'string' : { labels: [...labelNames] },
      hist: specOf(histOptions),
      batchSize: batch,
      offload: true,
      onRingFull,
      ringSize,
      syncTimeoutMs,
    };
    this.#s = new Staging(batch, this.#kind !== KIND_U64, () => this.flush());
    const n = this.#native;
    const ring = n.ring();
    if (ring !== undefined) {
      this.#ring = new ProducerRing(
        ring,
        onRingFull,
        () => n.sync(),
        () => n.wake(),
      );
    }
    this.#registry = new FinalizationRegistry((id: number) => {
      if (this.#native !== null) this.#pending.push(id);
    });
    this.#shared = shared !== undefined;
    if (shared !== undefined && shared.flushMs !== 0) {
      // A failed publish (ENOSPC) surfaces on the next flush() or read, which publish too.
      this.#publishTimer = setInterval(() => {
        try {
          if (this.#native !== null && !this.#busy) this.flush();
        } catch {
          // see above
        }
      }, shared.flushMs ?? 1000);
      this.#publishTimer.unref();
    }
    refuseStructuredClone(this, NOT_POSTABLE);
  }

  /**
   * A token for {@link Aggregator.attach}: plain data to post to a worker_thread of this process.
   * Needs `offload: true`. Every recorder attached with it records into this one aggregation.
   *
   * @example
   * ```ts
   * const agg = new Aggregator({ key: 'u64', offload: true });
   * new Worker('./worker.js', { workerData: agg.share() });
   * // worker.js: const rec = Aggregator.attach(workerData); rec.record(7, 1.5);
   * ```
   */
  share(): AggregatorToken {
    const n = this.#open();
    if (this.#ring === null) {
      throw new CodedError('EINVAL', 'share() needs an offloaded Aggregator: create it with offload: true');
    }
    return { tophash: 'Aggregator.share', version: 1, pid: process.pid, id: n.share(), options: this.#tokenOptions };
  }

  /**
   * Removes the shared-memory segment `name` (see {@link AggregatorOptions.shared}); processes that
   * have it open keep using it. false when there was none.
   */
  static unlinkShared(name: string): boolean {
    checkSegmentName(name, 'name');
    const Native = (native as unknown as { Aggregator: { unlinkShared(name: string): boolean } }).Aggregator;
    return Native.unlinkShared(`/${name}`);
  }

  /**
   * A recorder of the aggregation that {@link Aggregator.share} made the token for, for this
   * thread: its own ring, handles and staging; reads see the whole aggregation. `options` sets this
   * recorder's own ring and lock deadline (default: the owner's). `close()` on it
   * detaches (its events stay); `close()` on the owner makes it throw `ERR_CLOSED`. A worker that
   * ends, or is terminated, hands in every event it recorded.
   */
  static attach<S extends AggKeyParam = AggKeyParam>(
    token: AggregatorToken,
    options?: Pick<AggregatorOptions, 'onRingFull' | 'ringSize' | 'syncTimeoutMs'>,
  ): Aggregator<S> {
    if (typeof token !== 'object' || token === null || token.tophash !== 'Aggregator.share') {
      throw typeError('a token from Aggregator#share()', 'token', token);
    }
    if (token.version !== 1) throw rangeError('a version 1 token', 'token.version', token.version);
    if (token.pid !== process.pid) {
      throw rangeError(`a token made in this process (pid ${process.pid})`, 'token.pid', token.pid);
    }
    if (typeof token.id !== 'number') throw typeError('an aggregator id', 'token.id', token.id);
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw typeError('an options object', 'options', options);
    }
    if (options !== undefined) rejectUnknownOptions(options, ATTACH_OPTION_NAMES, 'options');
    const own = {
      onRingFull: options?.onRingFull ?? token.options.onRingFull,
      ringSize: options?.ringSize ?? token.options.ringSize,
      syncTimeoutMs: options?.syncTimeoutMs ?? token.options.syncTimeoutMs,
    };
    return new Aggregator<S>({ ...token.options, ...own, [ATTACH]: token.id } as unknown as AggregatorOptions<
      AggKeySpecFor<S>
    >);
  }

  #open(): NativeAggregator {
    const n = this.#native;
    if (n === null) throw closedError('Aggregator');
    if (this.#busy) {
      // Staging holds at most the event of the call that got here (its
      // capacity is 0 while busy): that call fails and records nothing.
      this.#s.reset();
      throw new CodedError('EBUSY', 'This Aggregator is in use by flushAsync; await it first');
    }
    return n;
  }

  /** The histogram's bucket layout, or undefined without one. */
  get histogram(): HistLayout | undefined {
    return this.#layout;
  }

  // ---- keys ----

  // Encodes a string or label key at pos in buf (room for 3 bytes per code
  // unit plus separators is the caller's job); returns the end.
  #encodeBytesKey(key: unknown, what: string, buf: Uint8Array, pos: number): number {
    const start = pos;
    if (this.#kind === KIND_STRING) {
      if (typeof key !== 'string') throw typeError('a string', what, key);
      pos = encodeWtf8Into(key, buf, pos);
    } else {
      const names = this.#labelNames;
      const isArray = Array.isArray(key);
      if (typeof key !== 'object' || key === null)
        throw typeError('a label object or array of label values', what, key);
      if (isArray) {
        if ((key as unknown[]).length !== names.length) throw rangeError(`${names.length} label values`, what, key);
      } else {
        for (const name in key) if (!names.includes(name)) throw unknownLabel(name, names, what);
      }
      for (let i = 0; i < names.length; i++) {
        const v: unknown = isArray ? (key as unknown[])[i] : (key as Record<string, unknown>)[names[i]];
        let s: string;
        if (typeof v === 'string') s = v;
        else if (v === undefined) s = '';
        else if (typeof v === 'number') s = String(v);
        else throw typeError('a string or number', `${what}.${names[i]}`, v);
        if (s.indexOf('\0') !== -1) throw rangeError('a label value without NUL characters', `${what}.${names[i]}`, s);
        if (i > 0) buf[pos++] = 0;
        pos = encodeWtf8Into(s, buf, pos);
      }
    }
    if (pos - start > MAX_KEY_BYTES) throw keyTooLong(MAX_KEY_BYTES, what, key, pos - start);
    return pos;
  }

  // An upper bound on a byte key's encoded length, to size buffers.
  #maxEncoded(key: unknown): number {
    if (typeof key === 'string') return key.length * 3;
    if (this.#kind !== KIND_LABELS || typeof key !== 'object' || key === null) return 0;
    let n = this.#labelNames.length;
    const isArray = Array.isArray(key);
    for (let i = 0; i < this.#labelNames.length; i++) {
      const v: unknown = isArray ? (key as unknown[])[i] : (key as Record<string, unknown>)[this.#labelNames[i]];
      n += typeof v === 'string' ? v.length * 3 : 32;
    }
    return n;
  }

  // The key in the native single-key form: [u64] or [bytes, length].
  #single(key: unknown, what = 'key'): [unknown, number | undefined] {
    if (this.#kind === KIND_U64) {
      if (typeof key !== 'number' && typeof key !== 'bigint') throw typeError('a number or bigint', what, key);
      return [key, undefined];
    }
    const need = this.#maxEncoded(key);
    if (need > this.#scratch.length) this.#scratch = new Uint8Array(Math.max(need, this.#scratch.length * 2));
    const len = this.#encodeBytesKey(key, what, this.#scratch, 0);
    return [this.#scratch, len];
  }

  #decodeBytesKey(bytes: Uint8Array): AggKeyOf<S> {
    const s = decodeWtf8(bytes) ?? '';
    if (this.#kind === KIND_STRING) return s as AggKeyOf<S>;
    const parts = s.split('\0');
    const o: Record<string, string> = {};
    this.#labelNames.forEach((name, i) => {
      o[name] = parts[i] ?? '';
    });
    return o as unknown as AggKeyOf<S>;
  }

  // ---- recording ----

  // record() keeps a handle per recent string or label key, so a key's
  // later events skip encoding and hashing: the label trie tophash/prom uses
  // (label-trie.ts), one level for a string key, one per label for a label
  // tuple. The cache is bounded: past CACHE_ENTRIES nodes it starts over
  // (dropped handles are released as they are collected). undefined: a key
  // too long to cache.
  #stringHandle(key: unknown, index = -1): Handle | RingHandle | undefined {
    if (typeof key !== 'string') throw typeError('a string', keyName(index), key);
    if (key.length > CACHE_KEY_CHARS) return undefined;
    const cache = this.#cache;
    let h = cache.root[key] as Handle | RingHandle | undefined;
    if (h === undefined) {
      h = this.#makeHandle(key, keyName(index));
      if (cache.nodes >= CACHE_ENTRIES) cache.clear();
      cache.leaf(cache.root, key, h);
    }
    return h;
  }

  #labelHandle(key: unknown, index = -1): Handle | RingHandle | undefined {
    if (typeof key !== 'object' || key === null) {
      throw typeError('a label object or array of label values', keyName(index), key);
    }
    const names = this.#labelNames;
    const isArray = Array.isArray(key);
    if (isArray) {
      if ((key as unknown[]).length !== names.length)
        throw rangeError(`${names.length} label values`, keyName(index), key);
    } else {
      for (const name in key) if (!names.includes(name)) throw unknownLabel(name, names, keyName(index));
    }
    const last = names.length - 1;
    const cache = this.#cache;
    let node = cache.root;
    let chars = 0;
    for (let i = 0; ; i++) {
      const v = labelText(
        isArray ? (key as unknown[])[i] : (key as Record<string, unknown>)[names[i]],
        index,
        names[i],
      );
      chars += v.length;
      if (chars > CACHE_KEY_CHARS) return undefined;
      const next = node[v];
      if (i === last) {
        if (next !== undefined) return next as Handle | RingHandle;
        const h = this.#makeHandle(key, keyName(index));
        if (cache.nodes >= CACHE_ENTRIES) cache.clear();
        else cache.leaf(node, v, h);
        return h;
      }
      if (next === undefined) {
        if (cache.nodes >= CACHE_ENTRIES) cache.clear();
        node = cache.branch(node, v);
      } else {
        node = next as TrieNode;
      }
    }
  }

  /**
   * Records one event: staged here, aggregated natively with the rest of its batch. Throws
   * TypeError/RangeError for a bad key or a non-finite value, recording nothing.
   */
  record(key: AggKeyOf<S>, value: number): void {
    if (typeof value !== 'number' || value - value !== 0) throw badValue(value);
    this.#open();
    const r = this.#ring;
    if (r !== null && this.#kind === KIND_U64) {
      // The key goes into the ring's keys lane at the event's slot.
      if (r.ctl[RING_CLOSED] !== 0) throw closedError('Aggregator');
      if (r.head === r.limit && !r.makeRoom()) return;
      const slot = r.head & r.mask;
      u64Words(key, 'key', r.keyWords, 2 * slot);
      r.ids[slot] = KEYED | slot;
      r.values[slot] = value;
      r.publish();
      return;
    }
    let s = this.#s;
    if (this.#kind === KIND_U64) {
      const j = s.nkeys;
      u64Words(key, 'key', s.keyWords, 2 * j);
      s.nkeys = j + 1;
      s.ids[s.n] = KEYED | j;
    } else {
      const h = this.#kind === KIND_STRING ? this.#stringHandle(key) : this.#labelHandle(key);
      if (h !== undefined) {
        h.record(value);
        return;
      }
      if (r !== null) {
        // Too long to cache: aggregated here, after this thread's ring.
        const [bytes, len] = this.#single(key);
        this.#native!.recordBytes(bytes as Uint8Array, Uint32Array.of(0, len as number), Float64Array.of(value));
        return;
      }
      const need = this.#maxEncoded(key);
      if (s.bytePos + need > s.keyBytes.length) {
        if (s.n > 0) this.flush();
        s = this.#s;
        if (need > s.keyBytes.length) s.keyBytes = new Uint8Array(Math.max(need, 2 * s.keyBytes.length));
      }
      const j = s.nkeys;
      const end = this.#encodeBytesKey(key, 'key', s.keyBytes, s.bytePos);
      s.keyOffsets[j + 1] = end;
      s.bytePos = end;
      s.nkeys = j + 1;
      s.ids[s.n] = KEYED | j;
    }
    s.values[s.n] = value;
    if (++s.n >= s.capacity) this.flush();
  }

  /**
   * Records a batch: `keys[i]` with `values[i]`, in order, after what is staged, and flushes. Typed
   * arrays and packed keys are aggregated in one native crossing; arrays of string or label keys
   * go through the same handle cache as {@link Aggregator.record}. u64 keys as `Float64Array` (integers < 2^53), `BigUint64Array`, `Uint32Array`
   * or an array; string keys as `string[]` or `{ bytes, offsets }` (as StrMap takes them); label
   * keys as an array. The batch is validated in full first: a bad key or value throws naming its
   * index and records nothing.
   */
  recordBatch(
    keys:
      | Float64Array
      | BigUint64Array
      | Uint32Array
      | readonly string[]
      | { bytes: Uint8Array; offsets: Uint32Array }
      | readonly AggKeyOf<S>[],
    values: Float64Array,
  ): void {
    const n = this.#open();
    this.flush();
    if (!(values instanceof Float64Array)) throw typeError('a Float64Array', 'values', values);
    if (this.#kind === KIND_U64) {
      if (keys instanceof Float64Array || keys instanceof BigUint64Array || keys instanceof Uint32Array) {
        n.recordKeys(keys, values);
        return;
      }
      if (!Array.isArray(keys))
        throw typeError('a Float64Array, BigUint64Array, Uint32Array or array of keys', 'keys', keys);
      const words = new Uint32Array(2 * keys.length);
      for (let i = 0; i < keys.length; i++) u64Words(keys[i], `keys[${i}]`, words, 2 * i);
      n.recordKeys(new BigUint64Array(words.buffer), values);
      return;
    }
    if (Array.isArray(keys)) {
      if (values.length !== keys.length) {
        throw rangeError(`a Float64Array of length ${keys.length} (one element per key)`, 'values', values);
      }
      if (this.#recordCached(keys, values)) return;
      let need = 0;
      for (const k of keys) need += this.#maxEncoded(k);
      const bytes = new Uint8Array(need);
      const offsets = new Uint32Array(keys.length + 1);
      let pos = 0;
      for (let i = 0; i < keys.length; i++) {
        pos = this.#encodeBytesKey(keys[i], `keys[${i}]`, bytes, pos);
        offsets[i + 1] = pos;
      }
      if (values.length !== keys.length) {
        throw rangeError(`a Float64Array of length ${keys.length} (one element per key)`, 'values', values);
      }
      n.recordBytes(bytes, offsets, values);
      return;
    }
    if (this.#kind === KIND_STRING && typeof keys === 'object' && keys !== null && !ArrayBuffer.isView(keys)) {
      const { bytes, offsets } = keys as { bytes: Uint8Array; offsets: Uint32Array };
      n.recordBytes(bytes, offsets, values);
      return;
    }
    throw typeError('an array of keys', 'keys', keys);
  }

  // recordBatch of an array of string or label keys through the handle
  // cache: every key and value is checked first (making handles records
  // nothing), then the events are staged as handle events. false when a key
  // is too long to cache: the caller packs the batch instead.
  #recordCached(keys: readonly unknown[], values: Float64Array): boolean {
    const handles: (Handle | RingHandle)[] = new Array<Handle | RingHandle>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const h = this.#kind === KIND_STRING ? this.#stringHandle(keys[i], i) : this.#labelHandle(keys[i], i);
      if (h === undefined) return false;
      handles[i] = h;
      const v = values[i];
      if (v - v !== 0) throw badValue(v, `values[${i}]`);
    }
    for (let i = 0; i < keys.length; i++) handles[i].record(values[i]);
    this.flush();
    return true;
  }

  /**
   * A handle for key: its `record(value)` stages the event with two typed-array writes. The key is
   * resolved natively on first use and again only when its entry was evicted, drained, deleted or
   * cleared since, so a handle stays correct for the aggregator's lifetime. A handle holds its
   * key's bytes until it is garbage-collected.
   */
  handle(key: AggKeyOf<S>): AggHandle {
    return this.#makeHandle(key, 'key');
  }

  #makeHandle(key: unknown, what: string): Handle | RingHandle {
    const n = this.#open();
    const [k, len] = this.#single(key, what);
    const id = n.addHandle(k, len);
    const h = this.#ring === null ? new Handle(this.#s, id) : new RingHandle(this.#ring, id);
    this.#registry.register(h, id);
    return h;
  }

  /**
   * {@link Aggregator.flush} on the libuv thread pool, for big batches (a
   * large `batchSize`) whose aggregation should not block the event loop. The
   * staged events are copied when called. Until the promise settles every use
   * of this aggregator, `record` and `handle.record` included, throws an error
   * with `code: 'EBUSY'` and records nothing; `close()` frees it once the batch
   * is done.
   *
   * @example
   * ```ts
   * const agg = new Aggregator({ key: 'u64', batchSize: 1 << 20 });
   * for (const [k, v] of events) agg.record(k, v);
   * await agg.flushAsync();
   * ```
   */
  async flushAsync(): Promise<void> {
    const n = this.#open();
    if (this.#ring !== null) {
      // Offloaded: nothing to copy and nothing to hold busy; the ring is drained on the pool.
      await withCallerStack(() => n.syncAsync());
      if (this.#native !== null) this.flush();
      return;
    }
    const s = this.#s;
    const count = s.n;
    if (count === 0) {
      this.flush(); // releases collected handles, nothing to aggregate
      return;
    }
    const nkeys = s.nkeys;
    const u64 = this.#kind === KIND_U64;
    // withCallerStack calls applyAsync before its first await: the staged
    // arrays are copied before staging restarts below.
    const pending = withCallerStack(() =>
      n.applyAsync(
        s.ids,
        s.values,
        count,
        u64 ? s.keyU64 : undefined,
        u64 ? undefined : s.keyBytes,
        u64 ? undefined : s.keyOffsets,
        nkeys,
      ),
    );
    s.reset();
    const capacity = s.capacity;
    s.capacity = 0; // every record now reaches flush(), which throws EBUSY
    this.#busy = true;
    try {
      await pending;
    } finally {
      this.#busy = false;
      if (this.#native !== null) s.capacity = capacity;
    }
    if (this.#native !== null) this.flush();
  }

  /** Aggregates what is staged now (offloaded: this thread's ring). Every read does this first. */
  flush(): void {
    const n = this.#open();
    const s = this.#s;
    if (this.#ring !== null) {
      n.sync();
    } else if (s.n > 0) {
      const count = s.n;
      const nkeys = s.nkeys;
      s.reset();
      if (this.#kind === KIND_U64) {
        n.apply(s.ids, s.values, count, s.keyU64, undefined, undefined, nkeys);
      } else {
        n.apply(s.ids, s.values, count, undefined, s.keyBytes, s.keyOffsets, nkeys);
      }
    }
    // Handles collected since the last flush: their staged events are applied, release the ids.
    if (this.#pending.length > 0) {
      const ids = Uint32Array.from(this.#pending);
      this.#pending = [];
      n.releaseHandles(ids, ids.length);
    }
    if (this.#shared) n.publish();
  }

  // ---- reading ----

  #value(rows: Float64Array, at: number): AggValue {
    const count = rows[at];
    const sum = rows[at + 1];
    const v: AggValue = {
      count,
      sum,
      min: count === 0 ? NaN : rows[at + 2],
      max: count === 0 ? NaN : rows[at + 3],
      avg: count === 0 ? NaN : sum / count,
    };
    if (this.#layout !== undefined) v.hist = rows.slice(at + 4, at + this.#stride);
    return v;
  }

  /** The aggregate of key, or undefined. */
  get(key: AggKeyOf<S>): AggValue | undefined {
    const n = this.#open();
    this.flush();
    const [k, len] = this.#single(key);
    const row = n.get(k, len);
    return row === undefined ? undefined : this.#value(row, 0);
  }

  /**
   * The aggregate of the events whose key was new past `maxSeries` (all such keys together), or
   * undefined while none has overflowed. clear() and zero() reset it; drains do not take it.
   */
  overflow(): AggValue | undefined {
    const n = this.#open();
    this.flush();
    const row = n.overflow();
    return row === undefined ? undefined : this.#value(row, 0);
  }

  /** The number of keys (the overflow entry not counted). */
  get size(): number {
    const n = this.#open();
    this.flush();
    return n.size();
  }

  #batch(opts: AggBatchOptions | undefined, del: boolean): AggBatch<AggKeyOf<S>> {
    const n = this.#open();
    this.flush();
    if (opts !== undefined && (typeof opts !== 'object' || opts === null))
      throw typeError('an options object', 'options', opts);
    const inBatch = opts?.inBatch ?? 0;
    if (typeof inBatch !== 'number' || !Number.isSafeInteger(inBatch) || inBatch < 0) {
      throw rangeError('a cursor returned by lookupBatch (outBatch)', 'options.inBatch', inBatch);
    }
    const count = opts?.count ?? Number.MAX_SAFE_INTEGER;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
      throw rangeError('a positive integer', 'options.count', count);
    }
    const [rawKeys, rows, next] = n.scan(inBatch, count, del);
    const keys: AggKeyOf<S>[] = [];
    if (rawKeys instanceof BigUint64Array) {
      for (const k of rawKeys) keys.push((k < 9007199254740992n ? Number(k) : k) as AggKeyOf<S>);
    } else {
      const [bytes, offsets] = rawKeys;
      for (let i = 0; i + 1 < offsets.length; i++)
        keys.push(this.#decodeBytesKey(bytes.subarray(offsets[i], offsets[i + 1])));
    }
    const values: AggValue[] = [];
    for (let i = 0; i < keys.length; i++) values.push(this.#value(rows, i * this.#stride));
    return { keys, values, count: keys.length, outBatch: next, done: next === 0 };
  }

  /**
   * eBPF `BPF_MAP_LOOKUP_BATCH`: up to `count` entries from the cursor `inBatch` (start with none),
   * in whole bucket groups, and the cursor to continue from. `done` comes with the last batch
   * (which may hold entries). A `count` too small for the next bucket group throws a CodedError
   * with code `ENOSPC`, the cursor unchanged. Every key present for the whole walk is returned
   * exactly once.
   */
  lookupBatch(opts?: AggBatchOptions): AggBatch<AggKeyOf<S>> {
    return this.#batch(opts, false);
  }

  /**
   * eBPF `BPF_MAP_LOOKUP_AND_DELETE_BATCH`: as {@link Aggregator.lookupBatch}, and deletes exactly
   * the entries it returns: drain for delta export.
   */
  lookupAndDeleteBatch(opts?: AggBatchOptions): AggBatch<AggKeyOf<S>> {
    return this.#batch(opts, true);
  }

  /** Every key and its aggregate (keys added meanwhile may or may not be visited). */
  *entries(): IterableIterator<[AggKeyOf<S>, AggValue]> {
    let cursor = 0;
    let count = 4096;
    for (;;) {
      let b: AggBatch<AggKeyOf<S>>;
      try {
        b = this.lookupBatch({ inBatch: cursor, count });
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ENOSPC') {
          count *= 2;
          continue;
        }
        throw err;
      }
      for (let i = 0; i < b.count; i++) yield [b.keys[i], b.values[i]];
      if (b.done) return;
      cursor = b.outBatch;
    }
  }

  /** Removes key; true when it was present. */
  delete(key: AggKeyOf<S>): boolean {
    const n = this.#open();
    this.flush();
    const [k, len] = this.#single(key);
    return n.delete(k, len);
  }

  /** bpftrace `clear()`: removes every key (staged events included). */
  clear(): void {
    const n = this.#open();
    this.flush();
    n.clear();
  }

  /** bpftrace `zero()`: keeps every key, zeroes its count, sum, min, max and histogram. */
  zero(): void {
    const n = this.#open();
    this.flush();
    n.zero();
  }

  /** Counters: keys, staged/flushed events, drops, evictions (flushes what is staged). */
  stats(): AggStats {
    const n = this.#open();
    const staged = this.#ring === null ? this.#s.n : this.#ring.waiting;
    this.flush();
    const s = n.stats();
    const st: AggStats = {
      entries: s.entries,
      staged,
      flushed: s.events,
      dropped: s.dropped,
      evicted: s.evicted,
      overflowEvents: s.overflowEvents,
      batches: s.batches,
      handles: s.handles,
      bytes: s.bytes,
      match: s.match,
      hash: s.hash,
    };
    if (this.#ring !== null) st.offloaded = { owner: !this.#attached };
    return st;
  }

  #keyText(key: AggKeyOf<S>): string {
    if (this.#kind === KIND_LABELS) {
      const o = key as Record<string, string>;
      return this.#labelNames.map((name) => o[name]).join(', ');
    }
    return typeof key === 'string' ? key : (key as number | bigint).toString();
  }

  #valueText(v: AggValue): string {
    return this.#layout === undefined
      ? formatStats(v.count, v.sum)
      : formatHistogram(this.#layout, v.hist as Float64Array);
  }

  /**
   * The aggregate as bpftrace prints it. With a key: that key's histogram lines (or `count N,
   * average A, total T` without a histogram; '' for a missing key). Without: every key as bpftrace
   * prints a map, `@[key]:` and its histogram then an empty line (label keys as `@[v1, v2]:`), in
   * increasing order of count as bpftrace sorts hist maps (ties by key text).
   */
  print(key?: AggKeyOf<S>): string {
    this.#open();
    if (key !== undefined) {
      const v = this.get(key);
      return v === undefined ? '' : this.#valueText(v);
    }
    const all = [...this.entries()].map(([k, v]) => ({ text: this.#keyText(k), v }));
    all.sort((a, b) => a.v.count - b.v.count || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
    let out = '';
    for (const { text, v } of all) {
      out +=
        this.#layout === undefined ? `@[${text}]: ${this.#valueText(v)}\n` : `@[${text}]:\n${this.#valueText(v)}\n`;
    }
    return out;
  }

  /**
   * The aggregate as one metric family in the Prometheus text format 0.0.4 (or OpenMetrics 1.0),
   * rendered by the same code as `tophash/prom`: a histogram family with a histogram (cumulative
   * `_bucket{le}`, `_sum`, `_count`), else a summary family (`_sum`, `_count`). A u64 or string key
   * is exported as the label `label` (default `'key'`), label keys under their names. For log2
   * and linear histograms `le` is each bucket's upper edge: bpftrace's buckets include their lower
   * edge, so a value equal to an edge is counted in the next `le` up. With `maxSeries`, the
   * overflow entry follows as a series labelled `otel_metric_overflow="true"` alone.
   */
  toPrometheus(opts: AggPrometheusOptions): string {
    const f = this.#family(opts);
    const overflow = this.#overflowText(f);
    return this[RENDER_TEXT]({ ...f, eof: false }) + overflow;
  }

  /**
   * {@link Aggregator.toPrometheus} rendered on the libuv thread pool: the event loop pays only for
   * the call and the string's creation, so a scrape of many series does not delay it. Events
   * recorded before the call are included.
   */
  async toPrometheusAsync(opts: AggPrometheusOptions): Promise<string> {
    const f = this.#family(opts);
    // Read with the rows the render reads: both after the same flush.
    const overflow = this.#overflowText(f);
    return (await this[RENDER_TEXT_ASYNC]({ ...f, eof: false })) + overflow;
  }

  // The overflow entry's lines (none without one), then the family's end.
  #overflowText(f: AggRenderFamily): string {
    const v = this.overflow();
    const end = f.eof ? '# EOF\n' : '';
    if (v === undefined) return end;
    const layout = this.#layout;
    const family: ExpositionFamily = {
      name: f.name,
      help: f.help,
      type: layout === undefined ? 'summary' : 'histogram',
      labelNames: [OVERFLOW_LABEL],
      series: [{ labelValues: ['true'], count: v.count, sum: v.sum, buckets: v.hist }],
    };
    if (layout !== undefined) family.bounds = layout.bounds;
    return renderFamilySamples(family, f.openMetrics) + '\n' + end;
  }

  #family(opts: AggPrometheusOptions): AggRenderFamily {
    this.#open();
    if (typeof opts !== 'object' || opts === null) throw typeError('an options object', 'options', opts);
    rejectUnknownOptions(opts, ['name', 'help', 'label', 'openMetrics', 'allBuckets'], 'options');
    const { name, help, label = 'key', openMetrics = false, allBuckets = false } = opts;
    if (typeof allBuckets !== 'boolean') throw typeError('a boolean', 'options.allBuckets', allBuckets);
    if (typeof name !== 'string') throw typeError('a metric name (string)', 'options.name', name);
    if (typeof help !== 'string') throw typeError('a string', 'options.help', help);
    if (typeof label !== 'string') throw typeError('a label name (string)', 'options.label', label);
    if (!METRIC_NAME.test(name))
      throw rangeError('a metric name matching [a-zA-Z_:][a-zA-Z0-9_:]*', 'options.name', name);
    if (this.#kind !== KIND_LABELS && (!LABEL_NAME.test(label) || label.startsWith('__') || label === 'le')) {
      throw rangeError(
        "a label name matching [a-zA-Z_][a-zA-Z0-9_]*, not 'le' or '__'-prefixed",
        'options.label',
        label,
      );
    }
    return {
      name,
      help,
      labelNames: this.#kind === KIND_LABELS ? this.#labelNames : [label],
      openMetrics,
      eof: openMetrics,
      allBuckets,
    };
  }

  /**
   * @internal See {@link RENDER_TEXT}. Flushes first. With `handles` (this aggregator's), their
   * keys in that order, a key without an entry rendered as zeros; without, every entry.
   */
  [RENDER_TEXT](f: AggRenderFamily, handles?: readonly AggHandle[]): string {
    return this.#open().render(...this.#renderArgs(f, handles));
  }

  /** @internal See {@link RENDER_TEXT_ASYNC}. */
  [RENDER_TEXT_ASYNC](f: AggRenderFamily, handles?: readonly AggHandle[]): Promise<string> {
    const n = this.#open();
    const args = this.#renderArgs(f, handles);
    return withCallerStack(() => n.renderAsync(...args));
  }

  #renderArgs(f: AggRenderFamily, handles?: readonly AggHandle[]): Parameters<NativeAggregator['render']> {
    const layout = this.#layout;
    const family: ExpositionFamily = {
      name: f.name,
      help: f.help,
      type: layout === undefined ? 'summary' : 'histogram',
      labelNames: f.labelNames,
      series: [],
    };
    if (layout !== undefined) family.bounds = layout.bounds;
    // The same checks and messages as renderPrometheus gives for this family.
    checkFamily(family, 'families[0]');
    let ids: Uint32Array | undefined;
    if (handles !== undefined) {
      ids = new Uint32Array(handles.length);
      for (let i = 0; i < handles.length; i++) ids[i] = (handles[i] as Handle | RingHandle).id;
    }
    this.flush();
    return [
      familyHead(family, f.openMetrics),
      f.eof ? '# EOF\n' : '',
      f.name,
      labelHeads(f.labelNames),
      layout === undefined ? null : boundTails(layout.bounds, f.openMetrics),
      layout !== undefined && omitsSum(layout.bounds, f.openMetrics),
      ids,
      // A family read by handles (tophash/prom) keeps its buckets as configured.
      layout !== undefined && layout.kind !== 'buckets' && ids === undefined && f.allBuckets !== true,
    ];
  }

  /** @internal See {@link LABEL_NAMES}. */
  get [LABEL_NAMES](): readonly string[] {
    return this.#labelNames;
  }

  /** @internal See {@link READ_HANDLES}. Flushes first. */
  [READ_HANDLES](handles: readonly AggHandle[]): { rows: Float64Array; stride: number } {
    const n = this.#open();
    // A reader hands the same array while its series stand (a handle's id never changes).
    let ids = this.#readIds?.handles === handles ? this.#readIds.ids : undefined;
    if (ids === undefined) {
      ids = new Uint32Array(handles.length);
      for (let i = 0; i < handles.length; i++) ids[i] = (handles[i] as Handle | RingHandle).id;
      this.#readIds = { handles, ids };
    }
    this.flush();
    return { rows: n.readHandles(ids), stride: this.#stride };
  }

  /** @internal See {@link READ_ROWS}. Flushes first. */
  [READ_ROWS](): AggRows {
    const n = this.#open();
    this.flush();
    // An unbounded count returns every entry in one batch (as lookupBatch() without a count).
    const [rawKeys, rows] = n.scan(0, Number.MAX_SAFE_INTEGER, false);
    let keys: string[];
    if (rawKeys instanceof BigUint64Array) {
      keys = new Array<string>(rawKeys.length);
      for (let i = 0; i < rawKeys.length; i++) keys[i] = rawKeys[i].toString();
    } else {
      keys = keyTexts(rawKeys[0], rawKeys[1]);
    }
    return { keys, rows, stride: this.#stride };
  }

  /**
   * Reads an aggregator written by {@link Aggregator.save}: its key spec, histogram, `maxEntries` or
   * `maxSeries` and `onFull` come from the file, with every entry's count, sum, min, max and
   * buckets, the overflow row and the `stats()` counters. Its entries iterate and render
   * (`entries()`, `print()`, `toPrometheus()`) in the saved order. Not kept: handles, and for
   * `onFull: 'lru'` which entries were used recently (all start unreferenced). Options such as
   * `batchSize` and `offload` take their defaults. A damaged or foreign file throws a
   * {@link CodedError}: `ERR_SNAPSHOT_FORMAT`, `_VERSION`, `_ENDIAN`, `_KIND`, `_HASH`, `_TRUNCATED`,
   * `_CORRUPT` (see docs/FORMAT.md), or the errno name (`ENOENT`, ...).
   *
   * @example
   * ```ts
   * const latency = Aggregator.load('/var/lib/app/latency.tha');
   * ```
   */
  static load(path: string, options: AggLoadOptions = {}): Aggregator {
    const file = snapshotPath(path);
    if (typeof options !== 'object' || options === null) throw typeError('an options object', 'options', options);
    rejectUnknownOptions(options, ['match', 'hash'], 'options');
    for (const kind of ['match', 'hash'] as const) {
      const name = optionalString(options[kind], `options.${kind}`);
      if (name !== undefined && !kernels().some((k) => k.kind === kind && k.name === name && k.supported)) {
        throw rangeError(`a supported ${kind} kernel`, `options.${kind}`, name);
      }
    }
    const Native = (native as unknown as { Aggregator: NativeAggregatorClass }).Aggregator;
    const saved = parseSnapshotMeta(Native.readSnapshotMeta(file), file);
    const agg = fromSnapshotOptions(file, () => new Aggregator({ ...saved, match: options.match, hash: options.hash }));
    try {
      agg.#open().restore(file, options.hash);
    } catch (err) {
      agg.close();
      throw err;
    }
    return agg;
  }

  /**
   * Writes the aggregator to the file at `path` for {@link Aggregator.load}, crash-safely (a
   * temporary file, fsync, rename, directory fsync: a crash leaves the old file or the new one).
   * Staged events are flushed first; an offloaded aggregator's rings are drained under its lock,
   * so the file is a consistent point-in-time copy. An aggregator shared between processes
   * (`shared`) or a recorder from {@link Aggregator.attach} throws `ENOTSUP`. The file holds the hash
   * seed. I/O failures throw with the errno name (`ENOENT`, `EACCES`, `ENOSPC`, ...).
   *
   * @example
   * ```ts
   * latency.save('/var/lib/app/latency.tha');
   * ```
   */
  save(path: string): void {
    const file = snapshotPath(path);
    this.#refuseAttachedSave();
    this.flush();
    this.#open().save(file, snapshotMeta(this.#snapshotOptions));
  }

  /**
   * {@link Aggregator.save} with the file written on the libuv thread pool. The entries are copied
   * when it is called (a consistent point-in-time copy); the aggregator keeps recording meanwhile.
   *
   * @example
   * ```ts
   * await latency.saveAsync('/var/lib/app/latency.tha');
   * ```
   */
  async saveAsync(path: string): Promise<void> {
    const file = snapshotPath(path);
    this.#refuseAttachedSave();
    this.flush();
    const n = this.#open();
    await withCallerStack(() => n.saveAsync(file, snapshotMeta(this.#snapshotOptions)));
  }

  #refuseAttachedSave(): void {
    if (this.#attached) {
      throw new CodedError(
        'ENOTSUP',
        'save() is not supported on a recorder from Aggregator.attach(); save the aggregator that shared it',
      );
    }
  }

  /**
   * Frees the native memory now; later calls throw a CodedError with code `ERR_CLOSED`, and so do
   * the recorders attached to it. On a recorder from {@link Aggregator.attach}, detaches: its
   * events stay in the aggregation, and only this recorder is closed.
   */
  close(): void {
    const n = this.#native;
    if (n === null) return;
    if (this.#publishTimer !== undefined) clearInterval(this.#publishTimer);
    if (this.#shared && !this.#busy) {
      try {
        this.flush(); // staged events go into the last publish
      } catch {
        // the native close publishes again, and keeps the previous snapshot if that fails
      }
    }
    this.#native = null;
    this.#s.neuter();
    this.#pending = [];
    this.#cache.clear();
    // Hands in what the ring holds (a recorder from attach() only detaches).
    n.close();
    // This thread's handles write into the ring no more (the owner's close marks every ring).
    if (this.#ring !== null) this.#ring.ctl[RING_CLOSED] = 1;
  }

  /** Same as {@link Aggregator.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `Aggregator { size, ... }` in console.log. */
  get [Symbol.toStringTag](): string {
    return 'Aggregator';
  }
}
