// W5 — memory and GC: bytes per entry and full-GC pause with N entries alive,
// U64Map against JS Map in the flavours of WORKLOADS.md (Smi→Smi,
// W1 double keys → Smi, double → double) plus BigInt keys → Smi.
// Also, in full runs, V8's Map limit: inserting 2^24 + 1 keys throws at 2^24.
import { U64Map } from '../../src/index';
import { check, gc, median } from '../harness';
import { makeKeySet, releaseKeyCache, type KeySet } from '../keys';
import { fmtBytes, fmtN, mdTable } from '../report';
import { pickSizes, type BenchContext, type Workload, type WorkloadResult } from './types';

const GC_RUNS = 5;

/** Wall time of `runs` full GCs (global.gc() is a full mark-compact), ms. */
function gcPauses(runs = GC_RUNS): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    gc();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

/** Two full GCs, so weak references and finalizers from earlier work are gone too. */
function settle(): void {
  gc();
  gc();
}

interface Flavour {
  id: string;
  label: string;
  /** Builds the map; keys created inside, so the map holds the only reference to them. */
  build(ks: KeySet): unknown;
  size(m: unknown): number;
  /** Off-heap bytes the map reports, if it has any. */
  offHeapBytes?(m: unknown): number;
  drop(m: unknown): void;
}

const flavours: Flavour[] = [
  {
    id: 'map-smi-smi',
    label: 'JS Map Smi → Smi (keys 0..N-1)',
    build(ks) {
      const m = new Map<number, number>();
      for (let i = 0; i < ks.n; i++) m.set(i, i);
      return m;
    },
    size: (m) => (m as Map<number, number>).size,
    drop: (m) => (m as Map<number, number>).clear(),
  },
  {
    id: 'map-double-smi',
    label: 'JS Map double → Smi (W1 number keys)',
    build(ks) {
      const m = new Map<number, number>();
      const keys = ks.presentNum;
      for (let i = 0; i < keys.length; i++) m.set(keys[i], i);
      return m;
    },
    size: (m) => (m as Map<number, number>).size,
    drop: (m) => (m as Map<number, number>).clear(),
  },
  {
    id: 'map-double-double',
    label: 'JS Map double → double (value i + 0.5)',
    build(ks) {
      const m = new Map<number, number>();
      const keys = ks.presentNum;
      for (let i = 0; i < keys.length; i++) m.set(keys[i], i + 0.5);
      return m;
    },
    size: (m) => (m as Map<number, number>).size,
    drop: (m) => (m as Map<number, number>).clear(),
  },
  {
    id: 'map-bigint-smi',
    label: 'JS Map BigInt → Smi (full u64 keys)',
    build(ks) {
      const m = new Map<bigint, number>();
      const keys = ks.present;
      // Each read of a BigUint64Array element makes a fresh BigInt, owned by the map only.
      for (let i = 0; i < keys.length; i++) m.set(keys[i], i);
      return m;
    },
    size: (m) => (m as Map<bigint, number>).size,
    drop: (m) => (m as Map<bigint, number>).clear(),
  },
  {
    id: 'u64map',
    label: 'U64Map u64 → f64 (setBatch, BigUint64Array)',
    build(ks) {
      const m = new U64Map();
      m.setBatch(ks.present, ks.values);
      return m;
    },
    size: (m) => (m as U64Map).size,
    offHeapBytes: (m) => (m as U64Map).stats().bytes,
    drop: (m) => (m as U64Map).close(),
  },
];

interface FlavourResult {
  id: string;
  label: string;
  n: number;
  buildMs: number;
  heapUsedDelta: number;
  externalDelta: number;
  arrayBuffersDelta: number;
  rssDelta: number;
  offHeapBytes: number | null;
  gcAliveMs: number[];
  gcAliveMedianMs: number;
  gcDroppedMs: number[];
  gcDroppedMedianMs: number;
}

function runFlavour(f: Flavour, ks: KeySet): FlavourResult {
  settle();
  const before = process.memoryUsage();
  const t0 = performance.now();
  let m: unknown = f.build(ks);
  const buildMs = performance.now() - t0;
  check(f.size(m) === ks.n, `W5 ${f.label} size`, f.size(m), ks.n);
  settle();
  const after = process.memoryUsage();
  const offHeapBytes = f.offHeapBytes?.(m) ?? null;
  const gcAliveMs = gcPauses();
  f.drop(m);
  m = null;
  settle();
  const gcDroppedMs = gcPauses();
  return {
    id: f.id,
    label: f.label,
    n: ks.n,
    buildMs,
    heapUsedDelta: after.heapUsed - before.heapUsed,
    externalDelta: after.external - before.external,
    arrayBuffersDelta: after.arrayBuffers - before.arrayBuffers,
    rssDelta: after.rss - before.rss,
    offHeapBytes,
    gcAliveMs,
    gcAliveMedianMs: median(gcAliveMs),
    gcDroppedMs,
    gcDroppedMedianMs: median(gcDroppedMs),
  };
}

interface LimitResult {
  attempted: number;
  mapSizeAtError: number;
  error: string | null;
  u64mapSize: number;
  u64mapBytes: number;
  ms: number;
}

/** V8's Map stops at 2^24 entries; U64Map takes 2^24 + 1 without complaint. */
function mapLimit(): LimitResult {
  const t0 = performance.now();
  const target = 2 ** 24 + 1;
  let m: Map<number, number> | null = new Map<number, number>();
  let error: string | null = null;
  try {
    for (let i = 0; i < target; i++) m.set(i, i);
  } catch (e) {
    error = `${(e as Error).name}: ${(e as Error).message}`;
  }
  const mapSizeAtError = m.size;
  m.clear();
  m = null;
  settle();
  const keys = new Float64Array(target);
  for (let i = 0; i < target; i++) keys[i] = i;
  const u = new U64Map();
  u.setBatch(keys, keys);
  const u64mapSize = u.size;
  const u64mapBytes = u.stats().bytes;
  u.close();
  settle();
  return { attempted: target, mapSizeAtError, error, u64mapSize, u64mapBytes, ms: performance.now() - t0 };
}

const perEntry = (bytes: number, n: number): string => (bytes / n).toFixed(1);

function render(
  empty: { ms: number[]; medianMs: number },
  bySize: { n: number; flavours: FlavourResult[] }[],
  limit: LimitResult | null,
): string {
  const lines: string[] = [];
  lines.push('## W5 — memory and GC');
  lines.push('');
  lines.push(
    'Bytes per entry after `gc()`: heapUsed / external / RSS deltas from `process.memoryUsage()` over building the map, ' +
      'and U64Map `stats().bytes / size`. Full-GC pause: wall time of `global.gc()` (full mark-compact), median of 5, ' +
      `with the map alive and after dropping it. Empty-heap full GC before any map: ${empty.medianMs.toFixed(2)} ms. ` +
      'Note: in Node 20 `external` counts ArrayBuffer backing stores only; bytes a native addon reports through ' +
      '`napi_adjust_external_memory` do not show there, so it stays ~0 for U64Map.',
  );
  for (const { n, flavours: fs } of bySize) {
    lines.push('');
    lines.push(`N = ${fmtN(n)}:`);
    lines.push('');
    const rows = fs.map((r) => [
      r.label,
      perEntry(r.heapUsedDelta, n),
      r.offHeapBytes === null ? '—' : perEntry(r.offHeapBytes, n),
      perEntry(r.externalDelta, n),
      perEntry(r.rssDelta, n),
      r.gcAliveMedianMs.toFixed(2),
      r.gcDroppedMedianMs.toFixed(2),
      (r.gcAliveMedianMs / r.gcDroppedMedianMs).toFixed(1) + '×',
      (r.buildMs / 1000).toFixed(2),
    ]);
    lines.push(
      mdTable(
        [
          { title: 'map', align: 'left' },
          'heapUsed B/entry',
          'stats().bytes B/entry',
          'external B/entry',
          'RSS B/entry',
          'full GC, map alive (ms)',
          'full GC, dropped (ms)',
          'alive / dropped',
          'build (s)',
        ],
        rows,
      ),
    );
  }
  if (limit !== null) {
    lines.push('');
    lines.push(
      `V8 Map limit: inserting ${limit.attempted.toLocaleString('en-US')} Smi keys into a JS Map ` +
        (limit.error === null
          ? `did not throw (size ${limit.mapSizeAtError.toLocaleString('en-US')}).`
          : `threw \`${limit.error}\` at size ${limit.mapSizeAtError.toLocaleString('en-US')}.`) +
        ` U64Map took all ${limit.u64mapSize.toLocaleString('en-US')} (${fmtBytes(limit.u64mapBytes)} off-heap).`,
    );
  }
  return lines.join('\n');
}

export const w5: Workload = {
  id: 'W5',
  title: 'memory and GC',
  sizes: (ctx) => pickSizes(ctx, [1e7], [1e5]),
  steps: (ctx) => w5.sizes(ctx).length * flavours.length + (ctx.quick ? 0 : 1),
  run(ctx: BenchContext): WorkloadResult {
    settle();
    const emptyMs = gcPauses();
    const empty = { ms: emptyMs, medianMs: median(emptyMs) };
    const bySize: { n: number; flavours: FlavourResult[] }[] = [];
    for (const n of w5.sizes(ctx)) {
      const ks = makeKeySet(n);
      const results: FlavourResult[] = [];
      for (const f of flavours) {
        ctx.progress.step(`W5 N=${fmtN(n)} ${f.label}`);
        results.push(runFlavour(f, ks));
      }
      bySize.push({ n, flavours: results });
    }
    releaseKeyCache();
    let limit: LimitResult | null = null;
    if (!ctx.quick) {
      ctx.progress.step('W5 V8 Map limit (2^24 + 1 inserts)');
      limit = mapLimit();
    }
    return {
      markdown: render(empty, bySize, limit),
      data: { gcRuns: GC_RUNS, emptyHeapGc: empty, sizes: bySize, mapLimit: limit },
    };
  },
};
