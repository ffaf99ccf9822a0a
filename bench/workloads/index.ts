// The workload registry, in run order. W2 (string keys), W3 (aggregation),
// W4 (hashing) and W8 (scale vs the random-read floor) plug in here as
// bench/workloads/w2.ts … w8.ts, each exporting a Workload (see ./types.ts).
import type { Workload } from './types';
import { w1 } from './w1';
import { w5 } from './w5';
import { w6 } from './w6';
import { w7 } from './w7';

export const WORKLOADS: readonly Workload[] = [w1, w5, w6, w7];

export type { BenchContext, Workload, WorkloadResult } from './types';
