/**
 * Off-heap hash maps for Node.js: Go's map design in C++, with SIMD tophash
 * matching and AES-NI hashing picked at run time, driven through batched
 * typed-array operations.
 *
 * @example
 * ```ts
 * import { U64Map } from 'tophash'; // or: const { U64Map } = require('tophash');
 *
 * const sessions = new U64Map({ capacity: 1_000_000 });
 * sessions.setBatch(new Float64Array([1, 2, 3]), new Float64Array([10, 20, 30]));
 * const out = new Float64Array(3);
 * sessions.getBatch(new Float64Array([1, 9, 3]), out); // 2; out = [10, NaN, 30]
 * sessions.close(); // frees the native memory now
 * ```
 *
 * @packageDocumentation
 * @module tophash
 */
export { U64Map } from './maps/u64map';
export type { U64Key, U64MapOptions, U64MapLoadOptions, U64MapOpenOptions, KeyArray, MapStats } from './maps/u64map';
export type { MatchKernelName, HashKernelName } from './runtime/kernel-names';
export { StrMap, MAX_KEY_BYTES } from './maps/strmap';
export type { StrKey, StrKeys, PackedKeys, StrMapOptions, StrMapLoadOptions } from './maps/strmap';
export type { OffHeapMap } from './maps/map-protocol';
export { cpu, kernels, hash, hashBatch } from './runtime/kernels';
export type {
  CpuInfo,
  KernelInfo,
  HashOptions,
  HashBatchOptions,
  HashBatchKeys,
  FixedSizeKeys,
} from './runtime/kernels';
export { CodedError } from './runtime/errors';
export { BpfMap, BpfBatchError, BPF_ANY, BPF_NOEXIST, BPF_EXIST } from './ebpf/bpfmap';
export type {
  BpfMapOptions,
  BpfLoadOptions,
  BpfOpenOptions,
  BpfMapType,
  BpfUpdateFlags,
  BpfBatchCursor,
  BpfLookupBatchOptions,
  BpfBatchResult,
  BpfUpdateBatchOptions,
  BpfMapStats,
} from './ebpf/bpfmap';
export { Aggregator } from './metrics/aggregator';
export type {
  AggKeySpec,
  AggKey,
  AggKeyOf,
  AggKeyParam,
  AggKeySpecFor,
  LabelKey,
  LabelKeyOf,
  LabelsSpec,
  AggregatorOptions,
  AggValue,
  AggHandle,
  AggStats,
  AggBatch,
  AggBatchOptions,
  AggLoadOptions,
  AggPrometheusOptions,
  AggregatorToken,
  SharedOptions,
} from './metrics/aggregator';
export type { OnRingFull } from './metrics/event-ring';
export { histogramLayout } from './metrics/histogram';
export type { HistSpec, HistLayout } from './metrics/histogram';
