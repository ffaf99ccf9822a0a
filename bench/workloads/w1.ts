// W1 — u64 keys: insert N into an empty map, N hits in shuffled order, N misses.
// Baseline: JS Map with number keys (x >> 11); also JS Map with BigInt keys.
import { U64Map, type MapStats } from '../../src/index';
import { loadHooks } from '../../src/runtime/native';
import { check, measure, planFor, type Measurement, type Plan } from '../harness';
import { makeKeySet, releaseKeyCache, toBigIntArray, type KeySet } from '../keys';
import { baselineCells, runBaselines, verifyBaselines, type CxxRow } from '../native-baselines';
import { fmtMops, fmtN, fmtNs, fmtRatio, MAP_OPS_COLUMNS, mdTable, samplesLine } from '../report';
import { pickSizes, type BenchContext, type Workload, type WorkloadResult } from './types';

/** A key set plus the lookup buffers and, for the BigInt rows, bigint key arrays. */
interface W1Data extends KeySet {
  out: Float64Array;
  big: { present: bigint[]; hit: bigint[]; absent: bigint[] } | null;
}

/**
 * One row of the table: how to build, fill and probe one kind of map. Every
 * method runs one pass over the N keys with its own monomorphic loop.
 */
interface Row<M> {
  id: string;
  label: string;
  needsBigInt: boolean;
  create(): M;
  insert(m: M, d: W1Data): void;
  /** 'sum': returns the sum of the values found. 'count': returns the hits, the values are in d.out. */
  hitKind: 'sum' | 'count';
  hit(m: M, d: W1Data): number;
  /** Returns the number of misses. */
  miss(m: M, d: W1Data): number;
  size(m: M): number;
  destroy(m: M): void;
  stats?(m: M): MapStats;
}

const mapNumber: Row<Map<number, number>> = {
  id: 'map-number',
  label: 'JS Map (number keys)',
  needsBigInt: false,
  create: () => new Map<number, number>(),
  insert(m, d) {
    const keys = d.presentNum;
    for (let i = 0; i < keys.length; i++) m.set(keys[i], i);
  },
  hitKind: 'sum',
  hit(m, d) {
    const keys = d.hitNum;
    let s = 0;
    for (let i = 0; i < keys.length; i++) s += m.get(keys[i]) as number;
    return s;
  },
  miss(m, d) {
    const keys = d.absentNum;
    let c = 0;
    for (let i = 0; i < keys.length; i++) if (m.get(keys[i]) === undefined) c++;
    return c;
  },
  size: (m) => m.size,
  destroy: (m) => m.clear(),
};

const mapBigInt: Row<Map<bigint, number>> = {
  id: 'map-bigint',
  label: 'JS Map (BigInt keys)',
  needsBigInt: true,
  create: () => new Map<bigint, number>(),
  insert(m, d) {
    const keys = d.big!.present;
    for (let i = 0; i < keys.length; i++) m.set(keys[i], i);
  },
  hitKind: 'sum',
  hit(m, d) {
    const keys = d.big!.hit;
    let s = 0;
    for (let i = 0; i < keys.length; i++) s += m.get(keys[i]) as number;
    return s;
  },
  miss(m, d) {
    const keys = d.big!.absent;
    let c = 0;
    for (let i = 0; i < keys.length; i++) if (m.get(keys[i]) === undefined) c++;
    return c;
  },
  size: (m) => m.size,
  destroy: (m) => m.clear(),
};

const u64Single: Row<U64Map> = {
  id: 'u64map-single-number',
  label: 'U64Map set/get (number keys)',
  needsBigInt: false,
  create: () => new U64Map(),
  insert(m, d) {
    const keys = d.presentNum;
    for (let i = 0; i < keys.length; i++) m.set(keys[i], i);
  },
  hitKind: 'sum',
  hit(m, d) {
    const keys = d.hitNum;
    let s = 0;
    for (let i = 0; i < keys.length; i++) s += m.get(keys[i]) as number;
    return s;
  },
  miss(m, d) {
    const keys = d.absentNum;
    let c = 0;
    for (let i = 0; i < keys.length; i++) if (m.get(keys[i]) === undefined) c++;
    return c;
  },
  size: (m) => m.size,
  destroy: (m) => m.close(),
  stats: (m) => m.stats(),
};

const u64SingleBig: Row<U64Map> = {
  id: 'u64map-single-bigint',
  label: 'U64Map set/get (BigInt keys)',
  needsBigInt: true,
  create: () => new U64Map(),
  insert(m, d) {
    const keys = d.big!.present;
    for (let i = 0; i < keys.length; i++) m.set(keys[i], i);
  },
  hitKind: 'sum',
  hit(m, d) {
    const keys = d.big!.hit;
    let s = 0;
    for (let i = 0; i < keys.length; i++) s += m.get(keys[i]) as number;
    return s;
  },
  miss(m, d) {
    const keys = d.big!.absent;
    let c = 0;
    for (let i = 0; i < keys.length; i++) if (m.get(keys[i]) === undefined) c++;
    return c;
  },
  size: (m) => m.size,
  destroy: (m) => m.close(),
  stats: (m) => m.stats(),
};

const u64BatchF64: Row<U64Map> = {
  id: 'u64map-batch-f64',
  label: 'U64Map setBatch/getBatch (Float64Array)',
  needsBigInt: false,
  create: () => new U64Map(),
  insert: (m, d) => void m.setBatch(d.presentNum, d.values),
  hitKind: 'count',
  hit: (m, d) => m.getBatch(d.hitNum, d.out),
  miss: (m, d) => d.n - m.getBatch(d.absentNum, d.out),
  size: (m) => m.size,
  destroy: (m) => m.close(),
  stats: (m) => m.stats(),
};

const u64BatchU64: Row<U64Map> = {
  id: 'u64map-batch-u64',
  label: 'U64Map setBatch/getBatch (BigUint64Array)',
  needsBigInt: false,
  create: () => new U64Map(),
  insert: (m, d) => void m.setBatch(d.present, d.values),
  hitKind: 'count',
  hit: (m, d) => m.getBatch(d.hit, d.out),
  miss: (m, d) => d.n - m.getBatch(d.absent, d.out),
  size: (m) => m.size,
  destroy: (m) => m.close(),
  stats: (m) => m.stats(),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRow = Row<any>;

const BASELINE = mapNumber.id;
/** Table order. */
const ROWS: AnyRow[] = [mapNumber, mapBigInt, u64Single, u64SingleBig, u64BatchF64, u64BatchU64];
/** Run order: the rows that need bigint key arrays last, so those arrays exist only while they run. */
const RUN_ORDER: AnyRow[] = [...ROWS.filter((r) => !r.needsBigInt), ...ROWS.filter((r) => r.needsBigInt)];
const OPS = ['insert', 'hit', 'miss'] as const;
type Op = (typeof OPS)[number];

interface RowResult {
  insert: Measurement;
  hit: Measurement;
  miss: Measurement;
  /** stats() of the map the last insert sample built (tophash rows). */
  stats?: MapStats;
}

function sumOf(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function runRow(row: AnyRow, d: W1Data, ctx: BenchContext): RowResult {
  const n = d.n;
  const plan = planFor(n, ctx.quick);
  const reps = plan.reps;
  const name = (op: Op): string => `W1 N=${fmtN(n)} ${row.label} ${op}`;

  // insert: R fresh maps per sample, built and destroyed outside the timed region.
  // The map of the last sample is kept for the lookups.
  let maps: unknown[] = [];
  let kept: unknown = null;
  let afterCalls = 0;
  ctx.progress.step(name('insert'));
  const insert = measure({
    name: name('insert'),
    n,
    plan,
    before: () => {
      maps = new Array(reps);
      for (let r = 0; r < reps; r++) maps[r] = row.create();
    },
    run: () => {
      for (let r = 0; r < maps.length; r++) row.insert(maps[r], d);
    },
    after: () => {
      afterCalls++;
      const last = afterCalls === plan.warmup + plan.samples;
      for (let r = 0; r < maps.length; r++) {
        check(row.size(maps[r]) === n, `${name('insert')} size`, row.size(maps[r]), n);
        if (last && r === maps.length - 1) kept = maps[r];
        else row.destroy(maps[r]);
      }
      maps = [];
    },
  });
  const m = kept;
  const stats = row.stats?.(m);

  let acc = 0;
  ctx.progress.step(name('hit'));
  const hit = measure({
    name: name('hit'),
    n,
    plan,
    before: () => {
      acc = 0;
      d.out.fill(0);
    },
    run: () => {
      for (let r = 0; r < reps; r++) acc += row.hit(m, d);
    },
    after: () => {
      if (row.hitKind === 'sum') {
        check(acc === reps * d.hitSum, `${name('hit')} sum of values`, acc, reps * d.hitSum);
      } else {
        check(acc === reps * n, `${name('hit')} hits`, acc, reps * n);
        const s = sumOf(d.out);
        check(s === d.hitSum, `${name('hit')} sum of values`, s, d.hitSum);
      }
    },
  });

  ctx.progress.step(name('miss'));
  const miss = measure({
    name: name('miss'),
    n,
    plan,
    before: () => {
      acc = 0;
    },
    run: () => {
      for (let r = 0; r < reps; r++) acc += row.miss(m, d);
    },
    after: () => {
      check(acc === reps * n, `${name('miss')} misses`, acc, reps * n);
    },
  });

  row.destroy(m);
  kept = null;
  return stats === undefined ? { insert, hit, miss } : { insert, hit, miss, stats };
}

const FULL_SIZES = [1e3, 1e5, 1e6, 1e7];
const QUICK_SIZES = [1e3, 1e4];

interface SizeResult {
  n: number;
  reps: number;
  samples: number;
  warmup: number;
  checksum: { present: string; absent: string };
  keyBuildMs: number;
  rows: Record<string, RowResult>;
  /** The C++ tables, one key at a time (bench/native-baselines.ts). */
  cxx: CxxRow[];
  /** One empty call into an addon per hit key, in the same loop shape as the single-get row. */
  crossing?: Measurement;
}

/** Sizes at which the empty crossing is measured: where single calls are compared with Map. */
const CROSSING_MAX_N = 1e4;

function measureCrossing(d: W1Data, plan: Plan, ctx: BenchContext): Measurement {
  const hooks = loadHooks();
  const keys = d.hitNum;
  const name = `W1 N=${fmtN(d.n)} empty native call per key`;
  ctx.progress.note(name);
  let calls = 0;
  return measure({
    name,
    n: d.n,
    plan,
    before: () => {
      calls = 0;
    },
    run: () => {
      for (let r = 0; r < plan.reps; r++) {
        for (let i = 0; i < keys.length; i++) if (hooks.emptyCall(hooks, keys[i]) === undefined) calls++;
      }
    },
    after: () => check(calls === plan.reps * d.n, `${name} calls`, calls, plan.reps * d.n),
  });
}

function ratio(base: Measurement, m: Measurement): number {
  return base.medianNs / m.medianNs;
}

function render(results: SizeResult[]): string {
  const lines: string[] = [];
  lines.push('## W1 — u64 keys: insert / hit / miss');
  lines.push('');
  lines.push(
    'Present keys: the first N splitmix64(42) outputs; absent keys: the next N; hits in Fisher–Yates order (splitmix64(43)). ' +
      'Number keys are `x >> 11` (HeapNumbers in V8); the BigInt and BigUint64Array rows use the full u64. ' +
      'The C++ rows run the same u64 keys (checked by checksum) through each table with its default hash, one key at a time, `-O3 -march=native`, in this run. ' +
      'Median ns/op; "vs Map" = JS Map (number keys) ns / row ns from this run (> 1× = faster than JS Map).',
  );
  lines.push('');
  lines.push(
    'Key checksums (XOR): ' +
      results.map((r) => `N=${fmtN(r.n)} present ${r.checksum.present} / absent ${r.checksum.absent}`).join('; ') +
      '.',
  );
  lines.push('');
  const rows: string[][] = [];
  const losses: string[] = [];
  for (const r of results) {
    const base = r.rows[BASELINE];
    for (const row of ROWS) {
      const res = r.rows[row.id];
      if (res === undefined) continue;
      const cells = [fmtN(r.n), row.label];
      for (const op of OPS) {
        const m = res[op];
        cells.push(fmtNs(m.medianNs), fmtMops(m.medianNs));
        if (row.id === BASELINE || base === undefined) {
          cells.push(row.id === BASELINE ? '1×' : '—');
        } else {
          const q = ratio(base[op], m);
          cells.push(fmtRatio(q));
          if (q < 1 && row.id.startsWith('u64map')) {
            losses.push(
              `N=${fmtN(r.n)} ${op}: ${row.label} ${fmtRatio(q)} (${fmtNs(m.medianNs)} ns vs ${fmtNs(base[op].medianNs)} ns)`,
            );
          }
        }
      }
      rows.push(cells);
    }
    rows.push(...baselineCells(r.n, r.cxx, base));
  }
  lines.push(mdTable(MAP_OPS_COLUMNS, rows));
  lines.push('');
  lines.push(samplesLine(results));
  lines.push('');
  for (const r of results) {
    const single = r.rows[u64Single.id];
    if (r.crossing === undefined || single === undefined) continue;
    const c = r.crossing.medianNs;
    lines.push(
      `N=${fmtN(r.n)}: one empty call into an addon (a native function of two arguments returning undefined, same loop) ` +
        `costs ${fmtNs(c)} ns; U64Map's single get ${fmtNs(single.hit.medianNs)} ns is that plus ${fmtNs(single.hit.medianNs - c)} ns ` +
        `of wrapper, hash, probe and result, against JS Map's ${fmtNs(r.rows[BASELINE].hit.medianNs)} ns for the whole get.`,
    );
    lines.push('');
  }
  if (losses.length > 0) {
    lines.push('Where tophash is slower than JS Map (number keys):');
    lines.push('');
    for (const l of losses) lines.push(`- ${l}`);
  } else {
    lines.push('tophash is at least as fast as JS Map (number keys) in every cell.');
  }
  const statsRows: string[][] = [];
  for (const r of results) {
    const s = r.rows[u64BatchU64.id]?.stats;
    if (s === undefined) continue;
    statsRows.push([
      fmtN(r.n),
      String(s.B),
      String(s.buckets),
      String(s.overflowBuckets),
      s.loadFactor.toFixed(2),
      (s.bytes / s.size).toFixed(1),
      `${s.match}/${s.hash}`,
    ]);
  }
  if (statsRows.length > 0) {
    lines.push('');
    lines.push('U64Map table after the BigUint64Array insert (stats()):');
    lines.push('');
    lines.push(
      mdTable(
        ['N', 'B', 'buckets', 'overflow', 'load factor', 'bytes/entry', { title: 'match/hash', align: 'left' }],
        statsRows,
      ),
    );
  }
  return lines.join('\n');
}

export const w1: Workload = {
  id: 'W1',
  title: 'u64 keys: insert / hit / miss',
  sizes: (ctx) => pickSizes(ctx, FULL_SIZES, QUICK_SIZES),
  steps: (ctx) => w1.sizes(ctx).length * (ROWS.length * OPS.length + 1),
  run(ctx: BenchContext): WorkloadResult {
    const results: SizeResult[] = [];
    const sizes = [...w1.sizes(ctx)].sort((a, b) => a - b);
    for (const n of sizes) {
      const ks = makeKeySet(n);
      ctx.progress.note(
        `W1 N=${fmtN(n)}: keys built in ${ks.buildMs.toFixed(0)} ms; XOR present ${ks.checksum.present}, absent ${ks.checksum.absent}`,
      );
      const d: W1Data = { ...ks, out: new Float64Array(n), big: null };
      const plan = planFor(n, ctx.quick);
      const res: SizeResult = {
        n,
        reps: plan.reps,
        samples: plan.samples,
        warmup: plan.warmup,
        checksum: ks.checksum,
        keyBuildMs: ks.buildMs,
        rows: {},
        cxx: [],
      };
      for (const row of RUN_ORDER) {
        if (row.needsBigInt && d.big === null) {
          d.big = { present: toBigIntArray(d.present), hit: toBigIntArray(d.hit), absent: toBigIntArray(d.absent) };
        }
        res.rows[row.id] = runRow(row, d, ctx);
      }
      d.big = null;
      if (n <= CROSSING_MAX_N) res.crossing = measureCrossing(d, plan, ctx);
      ctx.progress.step(`W1 N=${fmtN(n)} C++ tables`);
      res.cxx = runBaselines('w1', n, plan, ks);
      verifyBaselines(res.cxx, `W1 N=${fmtN(n)}`, n, ks.hitSum);
      results.push(res);
    }
    releaseKeyCache();
    return {
      markdown: render(results),
      data: {
        baseline: BASELINE,
        rows: ROWS.map((r) => ({ id: r.id, label: r.label })),
        sizes: results,
      },
    };
  },
};
