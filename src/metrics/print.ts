// bpftrace's text layout for histograms and stats (src/output/text.cpp in
// bpftrace): one line per bucket, the label left-aligned in 16 columns, the
// count right-aligned in 8, then ' |', a bar of '@' scaled to the largest
// bucket over 52 columns, and '|'. Empty buckets before the first and after
// the last non-empty one are left out; empty ones between them are kept.
import type { HistLayout } from './histogram';

const BAR_WIDTH = 52;

// bpftrace computes the bar as (count / (float)max) * 52 in single precision
// and truncates: mirror the float rounding so bar lengths match to the '@'.
function barWidth(count: number, max: number): number {
  const f = Math.fround;
  return Math.trunc(f(f(f(count) / f(max)) * BAR_WIDTH));
}

/**
 * The histogram `counts` (per bucket, not cumulative) as bpftrace prints it, one line per bucket
 * from the first non-empty bucket to the last; '' when every bucket is empty.
 *
 * @internal
 */
export function formatHistogram(layout: HistLayout, counts: ArrayLike<number>): string {
  let first = -1;
  let last = -1;
  let max = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c > 0) {
      if (first === -1) first = i;
      last = i;
    }
    if (c > max) max = c;
  }
  if (first === -1) return '';
  let out = '';
  for (let i = first; i <= last; i++) {
    const c = counts[i];
    out += `${layout.label(i).padEnd(16)}${String(c).padStart(8)} |${'@'.repeat(barWidth(c, max)).padEnd(BAR_WIDTH)}|\n`;
  }
  return out;
}

/**
 * bpftrace's `stats()` text for one key: `count 3, average 5, total 15`.
 *
 * @internal
 */
export function formatStats(count: number, sum: number): string {
  return `count ${count}, average ${count === 0 ? 0 : sum / count}, total ${sum}`;
}
