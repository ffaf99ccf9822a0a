// The ES module entry (`import ... from 'tophash'`). It re-exports the
// CommonJS build, so both module systems share one loaded addon and one set of
// classes: `instanceof U64Map` holds across them. Keep this list in step with
// index.ts (test/types.test.ts and scripts/pack-smoke.sh compare the two).
export {
  U64Map,
  StrMap,
  MAX_KEY_BYTES,
  cpu,
  kernels,
  hash,
  hashBatch,
  CodedError,
  Aggregator,
  histogramLayout,
} from './index.js';
export type {
  U64Key,
  U64MapOptions,
  StrKey,
  StrKeys,
  PackedKeys,
  StrMapOptions,
  MatchKernelName,
  HashKernelName,
  KeyArray,
  MapStats,
  CpuInfo,
  KernelInfo,
  HashOptions,
  AggKeySpec,
  AggKey,
  LabelKey,
  AggregatorOptions,
  AggValue,
  AggHandle,
  AggStats,
  AggBatch,
  AggBatchOptions,
  HistSpec,
  HistLayout,
} from './index.js';
