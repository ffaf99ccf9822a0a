// W7 — tail latency: every single `set(k, i)` while growing an empty map to N
// keys one call at a time (W1 number keys, in insertion order), U64Map against
// JS Map. The slowest call shows whether growth is incremental (U64Map's
// Go-style evacuation) or stop-the-world (V8's Map rehashes the whole table).
//
// Not a tinybench measurement: tinybench times whole task calls and keeps a
// sample array per call, which would cost more than the ~100 ns being timed.
// The loop reads process.hrtime.bigint() once per call and stores the gap
// between consecutive reads, so each duration is one set() plus one clock read
// and the loop step; a "clock only" row runs the same loop without the set()
// and gives that floor (its tail also shows scavenges of the clock's own BigInts
// and scheduler preemption on a shared machine).
import { U64Map } from '../../src/index';
import { loadHooks, type NativeHooks } from '../../src/runtime/native';
import { check, gc, median, percentileSorted } from '../harness';
import { makeKeySet, releaseKeyCache } from '../keys';
import { fmtDuration, fmtN, mdTable } from '../report';
import { pickSizes, type BenchContext, type Workload, type WorkloadResult } from './types';

const RUNS = 3;

// The clock as a plain function: one call per timed set(), with no property loads in the loop.
// hrtime.bigint does not use its receiver.
// eslint-disable-next-line @typescript-eslint/unbound-method
const now = process.hrtime.bigint;

function clockOnly(keys: Float64Array, d: Float64Array): number {
  let prev = now();
  const start = Number(prev);
  for (let i = 0; i < keys.length; i++) {
    const t = now();
    d[i] = Number(t - prev);
    prev = t;
  }
  return start;
}

function growU64Map(m: U64Map, keys: Float64Array, d: Float64Array): number {
  let prev = now();
  const start = Number(prev);
  for (let i = 0; i < keys.length; i++) {
    m.set(keys[i], i);
    const t = now();
    d[i] = Number(t - prev);
    prev = t;
  }
  return start;
}

function growMap(m: Map<number, number>, keys: Float64Array, d: Float64Array): number {
  let prev = now();
  const start = Number(prev);
  for (let i = 0; i < keys.length; i++) {
    m.set(keys[i], i);
    const t = now();
    d[i] = Number(t - prev);
    prev = t;
  }
  return start;
}

interface Summary {
  maxNs: number;
  /** The slowest call during which V8 did not pause for garbage collection. */
  maxOutsideGcNs: number;
  over1msOutsideGc: number;
  /** V8's collection pauses during the run, and the longest. */
  gcPauses: number;
  longestGcNs: number;
  /** Map size before the slowest call. */
  maxAt: number;
  /** The 5 slowest calls: [size before the call, ns]. */
  slowest: [number, number][];
  p50Ns: number;
  p99Ns: number;
  p999Ns: number;
  p9999Ns: number;
  meanNs: number;
  over100us: number;
  over1ms: number;
  totalMs: number;
}

/**
 * The slowest call that overlaps no V8 pause, and how many such calls took over 1 ms. Call i ended
 * at start + d[0] + ... + d[i] (each d[i] is the exact gap between two clock reads); `pauses` holds
 * [start, end] pairs on the same clock, in order.
 */
function outsidePauses(d: Float64Array, start: number, pauses: Float64Array): { maxNs: number; over1ms: number } {
  let maxNs = 0;
  let over1ms = 0;
  let end = start;
  let p = 0;
  for (let i = 0; i < d.length; i++) {
    const begin = end;
    end += d[i];
    while (p < pauses.length && pauses[p + 1] <= begin) p += 2;
    if (p < pauses.length && pauses[p] < end) continue;
    if (d[i] > maxNs) maxNs = d[i];
    if (d[i] > 1e6) over1ms++;
  }
  return { maxNs, over1ms };
}

function pauseStats(pauses: Float64Array): { count: number; longestNs: number } {
  let longestNs = 0;
  for (let p = 0; p < pauses.length; p += 2) longestNs = Math.max(longestNs, pauses[p + 1] - pauses[p]);
  return { count: pauses.length / 2, longestNs };
}

interface Timed {
  /** The loop's first clock reading, ns. */
  start: number;
  /** V8's pauses during the loop: [start, end] pairs, ns. */
  pauses: Float64Array;
}

/**
 * Runs a timing loop with V8's pauses recorded. They are taken right after the loop: a collection
 * while the map is checked or closed is no call's.
 */
function withGcPauses(hooks: NativeHooks, loop: () => number): Timed {
  hooks.recordGcPauses();
  const start = loop();
  return { start, pauses: hooks.takeGcPauses() };
}

function summarize(d: Float64Array, start: number, pauses: Float64Array): Summary {
  const outside = outsidePauses(d, start, pauses);
  const gc = pauseStats(pauses);
  let total = 0;
  let over100us = 0;
  let over1ms = 0;
  const top: [number, number][] = [];
  for (let i = 0; i < d.length; i++) {
    const x = d[i];
    total += x;
    if (x > 1e5) over100us++;
    if (x > 1e6) over1ms++;
    if (top.length < 5 || x > top[top.length - 1][1]) {
      top.push([i, x]);
      top.sort((a, b) => b[1] - a[1]);
      if (top.length > 5) top.pop();
    }
  }
  d.sort();
  return {
    maxNs: top[0][1],
    maxOutsideGcNs: outside.maxNs,
    over1msOutsideGc: outside.over1ms,
    gcPauses: gc.count,
    longestGcNs: gc.longestNs,
    maxAt: top[0][0],
    slowest: top,
    p50Ns: percentileSorted(d, 0.5),
    p99Ns: percentileSorted(d, 0.99),
    p999Ns: percentileSorted(d, 0.999),
    p9999Ns: percentileSorted(d, 0.9999),
    meanNs: total / d.length,
    over100us,
    over1ms,
    totalMs: total / 1e6,
  };
}

const IMPLS = ['clock', 'u64map', 'map'] as const;
type Impl = (typeof IMPLS)[number];
const LABELS: Record<Impl, string> = {
  clock: 'clock only (floor)',
  u64map: 'U64Map set (number keys)',
  map: 'JS Map set (number keys)',
};

type MedianSummary = Omit<Summary, 'slowest' | 'maxAt'> & { maxAt: number[] };

function medianSummary(runs: Summary[]): MedianSummary {
  const med = (f: (s: Summary) => number): number => median(runs.map(f));
  return {
    maxNs: med((s) => s.maxNs),
    maxOutsideGcNs: med((s) => s.maxOutsideGcNs),
    over1msOutsideGc: med((s) => s.over1msOutsideGc),
    gcPauses: med((s) => s.gcPauses),
    longestGcNs: med((s) => s.longestGcNs),
    maxAt: runs.map((s) => s.maxAt),
    p50Ns: med((s) => s.p50Ns),
    p99Ns: med((s) => s.p99Ns),
    p999Ns: med((s) => s.p999Ns),
    p9999Ns: med((s) => s.p9999Ns),
    meanNs: med((s) => s.meanNs),
    over100us: med((s) => s.over100us),
    over1ms: med((s) => s.over1ms),
    totalMs: med((s) => s.totalMs),
  };
}

function render(
  results: { n: number; runs: number; medians: Record<Impl, MedianSummary>; raw: Record<Impl, Summary[]> }[],
): string {
  const lines: string[] = [];
  lines.push('## W7 — tail latency of single inserts while growing');
  lines.push('');
  lines.push(
    'Each `set(k, i)` of W1 number keys into an empty map (no pre-sizing), timed one call at a time with ' +
      '`process.hrtime.bigint()` (gap between consecutive reads: one set + one clock read). ' +
      `Median over ${RUNS} runs of each statistic; "slowest at size" lists the map size before the slowest call of each run.`,
  );
  for (const r of results) {
    lines.push('');
    lines.push(`N = ${fmtN(r.n)}:`);
    lines.push('');
    const rows = IMPLS.map((impl) => {
      const s = r.medians[impl];
      return [
        LABELS[impl],
        fmtDuration(s.maxNs),
        fmtDuration(s.maxOutsideGcNs),
        fmtDuration(s.p99Ns),
        fmtDuration(s.p999Ns),
        fmtDuration(s.p9999Ns),
        fmtDuration(s.p50Ns),
        fmtDuration(s.meanNs),
        String(s.over100us),
        String(s.over1ms),
        `${s.gcPauses} (${fmtDuration(s.longestGcNs)})`,
        impl === 'clock' ? '—' : s.maxAt.map((x) => x.toLocaleString('en-US')).join(', '),
      ];
    });
    lines.push(
      mdTable(
        [
          { title: 'map', align: 'left' },
          'max',
          'max outside GC',
          'p99',
          'p99.9',
          'p99.99',
          'median',
          'mean',
          'calls > 100 µs',
          'calls > 1 ms',
          'V8 GC pauses (longest)',
          'slowest at size',
        ],
        rows,
      ),
    );
    lines.push('');
    lines.push(
      'Max of each run: ' +
        IMPLS.map((impl) => `${LABELS[impl]} ${r.raw[impl].map((x) => fmtDuration(x.maxNs)).join(' / ')}`).join('; ') +
        '. A clock-only max far above its p99.99 is the scheduler preempting the process (shared machine), not the map.',
    );
    lines.push('');
    lines.push(
      '"Max outside GC" is the slowest call during which V8 did not pause to collect garbage (pauses ' +
        'recorded by GC prologue and epilogue callbacks, on the same clock). Max outside GC of each run: ' +
        IMPLS.map(
          (impl) => `${LABELS[impl]} ${r.raw[impl].map((x) => fmtDuration(x.maxOutsideGcNs)).join(' / ')}`,
        ).join('; ') +
        '; calls > 1 ms outside GC: ' +
        IMPLS.map((impl) => `${LABELS[impl]} ${r.raw[impl].map((x) => x.over1msOutsideGc).join(' / ')}`).join('; ') +
        ". A growing U64Map tells V8 of each doubling's array (napi_adjust_external_memory), and V8 answers " +
        'a rise of 64 MB with a collection; its incremental marking steps are not pauses to these callbacks ' +
        'and count as outside.',
    );
    const u = r.medians.u64map;
    const j = r.medians.map;
    lines.push('');
    lines.push(
      `Slowest single set: U64Map ${fmtDuration(u.maxNs)} vs JS Map ${fmtDuration(j.maxNs)} ` +
        `(JS Map / U64Map = ${(j.maxNs / u.maxNs).toFixed(1)}×); p99.9: ${fmtDuration(u.p999Ns)} vs ${fmtDuration(j.p999Ns)}.`,
    );
  }
  return lines.join('\n');
}

export const w7: Workload = {
  id: 'W7',
  title: 'tail latency while growing',
  sizes: (ctx) => pickSizes(ctx, [1e7], [1e5]),
  steps: (ctx) => w7.sizes(ctx).length * RUNS * IMPLS.length,
  run(ctx: BenchContext): WorkloadResult {
    const results: {
      n: number;
      runs: number;
      medians: Record<Impl, MedianSummary>;
      raw: Record<Impl, Summary[]>;
      u64mapStats: unknown;
    }[] = [];
    const hooks = loadHooks();
    for (const n of w7.sizes(ctx)) {
      const keys = makeKeySet(n).presentNum;
      releaseKeyCache();
      const d = new Float64Array(n);
      const raw: Record<Impl, Summary[]> = { clock: [], u64map: [], map: [] };
      let u64mapStats: unknown = null;
      // Interleave the implementations run by run, so slow phases of a shared machine hit all of them.
      for (let run = 0; run < RUNS; run++) {
        for (const impl of IMPLS) {
          ctx.progress.step(`W7 N=${fmtN(n)} run ${run + 1}/${RUNS} ${LABELS[impl]}`);
          gc();
          let timed: Timed;
          if (impl === 'clock') {
            timed = withGcPauses(hooks, () => clockOnly(keys, d));
          } else if (impl === 'u64map') {
            const m = new U64Map();
            timed = withGcPauses(hooks, () => growU64Map(m, keys, d));
            check(m.size === n, 'W7 U64Map size', m.size, n);
            u64mapStats = m.stats();
            m.close();
          } else {
            const m = new Map<number, number>();
            timed = withGcPauses(hooks, () => growMap(m, keys, d));
            check(m.size === n, 'W7 Map size', m.size, n);
            m.clear();
          }
          raw[impl].push(summarize(d, timed.start, timed.pauses));
        }
      }
      const medians = {
        clock: medianSummary(raw.clock),
        u64map: medianSummary(raw.u64map),
        map: medianSummary(raw.map),
      };
      results.push({ n, runs: RUNS, medians, raw, u64mapStats });
    }
    return { markdown: render(results), data: { runs: RUNS, sizes: results } };
  },
};
