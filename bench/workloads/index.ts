// The workload registry, in run order; a new workload is a file here exporting
// a Workload (see ./types.ts) plus one line below.
//
// Each file is required on its own: an installed tophash has none of the
// bench's comparison packages (prom-client, OpenTelemetry, the xxhash
// libraries), and a workload whose baseline is missing is listed in SKIPPED
// with the package to install, while the others still run.
/* eslint-disable @typescript-eslint/no-require-imports */
import { missingPackage } from '../missing';
import type { Workload } from './types';

/** A workload that could not be loaded, and why. */
export interface SkippedWorkload {
  id: string;
  reason: string;
}

const LOADERS: readonly [string, () => Workload][] = [
  ['W1', () => (require('./w1') as typeof import('./w1')).w1],
  ['W2', () => (require('./w2') as typeof import('./w2')).w2],
  ['W3', () => (require('./w3') as typeof import('./w3')).w3],
  ['W4', () => (require('./w4') as typeof import('./w4')).w4],
  ['W5', () => (require('./w5') as typeof import('./w5')).w5],
  ['W6', () => (require('./w6') as typeof import('./w6')).w6],
  ['W7', () => (require('./w7') as typeof import('./w7')).w7],
  ['W8', () => (require('./w8') as typeof import('./w8')).w8],
  ['W9', () => (require('./w9') as typeof import('./w9')).w9],
  ['W10', () => (require('./w10') as typeof import('./w10')).w10],
];

const loaded: Workload[] = [];
const skipped: SkippedWorkload[] = [];
for (const [id, load] of LOADERS) {
  try {
    loaded.push(load());
  } catch (err) {
    const reason = missingPackage(err);
    if (reason === null) throw err;
    skipped.push({ id, reason });
  }
}

export const WORKLOADS: readonly Workload[] = loaded;
export const SKIPPED: readonly SkippedWorkload[] = skipped;

export type { BenchContext, Workload, WorkloadResult } from './types';
