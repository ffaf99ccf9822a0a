// The contract every workload file implements. To add W2/W3/W4/W8: write
// bench/workloads/wN.ts exporting a Workload and list it in ./index.ts.
import type { Progress } from '../progress';

export interface BenchContext {
  /** --quick: small sizes, for CI and smoke runs. */
  quick: boolean;
  /** --sizes: replaces each workload's default list of N. */
  sizes: number[] | undefined;
  progress: Progress;
}

export interface WorkloadResult {
  /** Markdown section (heading included) for stdout and the .md report. */
  markdown: string;
  /** Raw samples, medians and anything else worth keeping, for the .json report. */
  data: unknown;
}

export interface Workload {
  id: string;
  title: string;
  /** Takes N above 2^24 in --sizes: it has no JS Map baseline there, or says why not. */
  largeSizes?: boolean;
  /** The sizes this run will use (defaults, quick defaults, or --sizes). */
  sizes(ctx: BenchContext): number[];
  /** How many progress steps run() will announce, for the progress bar's total. */
  steps(ctx: BenchContext): number;
  run(ctx: BenchContext): Promise<WorkloadResult> | WorkloadResult;
}

/** The sizes a workload uses: --sizes if given, else its quick or full defaults. */
export function pickSizes(ctx: BenchContext, full: number[], quick: number[]): number[] {
  return ctx.sizes ?? (ctx.quick ? quick : full);
}
