export { U64Map } from './u64map';
export type { U64Key, U64MapOptions, MatchKernelName, HashKernelName, KeyArray, MapStats } from './u64map';
export { cpu, kernels, hash, hashBatch } from './kernels';
export type { CpuInfo, KernelInfo, HashOptions } from './kernels';
export { CodedError } from './errors';
