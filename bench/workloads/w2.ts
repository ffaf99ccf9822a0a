// W2 — string keys 'user:<int>' (10–20 bytes): insert N into an empty map, N hits in
// shuffled order, N misses. Baseline: JS Map with freshly materialized strings
// (Buffer#toString('latin1') before every sample, so V8 has not cached their hash,
// like keys arriving from I/O); an extra row looks up with the very string objects
// that were inserted (hash cached). StrMap: per-key set/get with fresh strings,
// setBatch/getBatch with a string[] of fresh strings, and with packed
// { bytes, offsets } (packed before timing). Plus bytes per entry.
import { StrMap, type MapStats, type PackedKeys } from '../../src/index';
import { check, gc, measure, planFor, type Measurement, type Plan } from '../harness';
import { makeStrKeySet, materializeStrings, type StrKeySet } from '../keys';
import { baselineCells, runBaselines, verifyBaselines, type CxxRow } from '../native-baselines';
import { fmtMops, fmtN, fmtNs, fmtRatio, MAP_OPS_COLUMNS, mdTable, samplesLine } from '../report';
import { pickSizes, type BenchContext, type Workload, type WorkloadResult } from './types';

interface W2Data extends StrKeySet {
  out: Float64Array;
  packed: { present: PackedKeys; hit: PackedKeys; absent: PackedKeys };
}

type Which = 'present' | 'hit' | 'absent';

/** Per pass key input: fresh string[] (materialized before each sample) or the packed bytes. */
type Input = 'fresh' | 'packed';

interface Row<M> {
  id: string;
  label: string;
  input: Input;
  create(): M;
  insert(m: M, keys: never, d: W2Data): void;
  hitKind: 'sum' | 'count';
  hit(m: M, keys: never, d: W2Data): number;
  miss(m: M, keys: never, d: W2Data): number;
  size(m: M): number;
  destroy(m: M): void;
  stats?(m: M): MapStats;
  /** Also measure hits with the inserted string objects (hash cached). */
  cachedHit?: boolean;
}

const mapString: Row<Map<string, number>> = {
  id: 'map-string',
  label: 'JS Map (fresh strings)',
  input: 'fresh',
  create: () => new Map<string, number>(),
  insert(m, keys: string[]) {
    for (let i = 0; i < keys.length; i++) m.set(keys[i], i);
  },
  hitKind: 'sum',
  hit(m, keys: string[]) {
    let s = 0;
    for (let i = 0; i < keys.length; i++) s += m.get(keys[i]) as number;
    return s;
  },
  miss(m, keys: string[]) {
    let c = 0;
    for (let i = 0; i < keys.length; i++) if (m.get(keys[i]) === undefined) c++;
    return c;
  },
  size: (m) => m.size,
  destroy: (m) => m.clear(),
  cachedHit: true,
};

const strSingle: Row<StrMap> = {
  id: 'strmap-single',
  label: 'StrMap set/get (fresh strings)',
  input: 'fresh',
  create: () => new StrMap(),
  insert(m, keys: string[]) {
    for (let i = 0; i < keys.length; i++) m.set(keys[i], i);
  },
  hitKind: 'sum',
  hit(m, keys: string[]) {
    let s = 0;
    for (let i = 0; i < keys.length; i++) s += m.get(keys[i]) as number;
    return s;
  },
  miss(m, keys: string[]) {
    let c = 0;
    for (let i = 0; i < keys.length; i++) if (m.get(keys[i]) === undefined) c++;
    return c;
  },
  size: (m) => m.size,
  destroy: (m) => m.close(),
  stats: (m) => m.stats(),
};

const strBatchArray: Row<StrMap> = {
  id: 'strmap-batch-array',
  label: 'StrMap setBatch/getBatch (string[], fresh)',
  input: 'fresh',
  create: () => new StrMap(),
  insert: (m, keys: string[], d) => void m.setBatch(keys, d.values),
  hitKind: 'count',
  hit: (m, keys: string[], d) => m.getBatch(keys, d.out),
  miss: (m, keys: string[], d) => d.n - m.getBatch(keys, d.out),
  size: (m) => m.size,
  destroy: (m) => m.close(),
  stats: (m) => m.stats(),
};

const strBatchPacked: Row<StrMap> = {
  id: 'strmap-batch-packed',
  label: 'StrMap setBatch/getBatch (packed bytes)',
  input: 'packed',
  create: () => new StrMap(),
  insert: (m, keys: PackedKeys, d) => void m.setBatch(keys, d.values),
  hitKind: 'count',
  hit: (m, keys: PackedKeys, d) => m.getBatch(keys, d.out),
  miss: (m, keys: PackedKeys, d) => d.n - m.getBatch(keys, d.out),
  size: (m) => m.size,
  destroy: (m) => m.close(),
  stats: (m) => m.stats(),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRow = Row<any>;
const BASELINE = mapString.id;
const ROWS: AnyRow[] = [mapString, strSingle, strBatchArray, strBatchPacked];
const OPS = ['insert', 'hit', 'miss'] as const;

interface RowResult {
  insert: Measurement;
  hit: Measurement;
  miss: Measurement;
  hitCached?: Measurement;
  /** Hits with keys materialized earlier, in insertion order, and looked up in lookup order. */
  hitEarlier?: Measurement;
  stats?: MapStats;
}

function sumOf(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/**
 * The standard plan, except in --quick runs: there a sample is 1e5 key operations (not 1e6)
 * and 3 samples, since every pass needs N freshly materialized strings, which costs more
 * than the timed pass itself.
 */
function plan2(n: number, quick: boolean): Plan {
  const p = planFor(n);
  return quick && n < 1e6 ? { reps: Math.max(1, Math.round(1e5 / n)), samples: 3, warmup: 1 } : p;
}

function runRow(row: AnyRow, d: W2Data, ctx: BenchContext): RowResult {
  const n = d.n;
  const plan = plan2(n, ctx.quick);
  const reps = plan.reps;
  const name = (op: string): string => `W2 N=${fmtN(n)} ${row.label} ${op}`;
  const src: Record<Which, { bytes: Buffer; offsets: Uint32Array }> = {
    present: d.present,
    hit: d.hit,
    absent: d.absent,
  };
  // One key input per pass: fresh strings are materialized again before every sample
  // (untimed), so no pass sees a string whose hash V8 has cached.
  let inputs: unknown[] = [];
  const prepare = (which: Which): void => {
    inputs = new Array(reps);
    for (let r = 0; r < reps; r++)
      inputs[r] = row.input === 'packed' ? d.packed[which] : materializeStrings(src[which]);
  };

  let maps: unknown[] = [];
  let kept: unknown = null;
  let keptKeys: string[] | null = null;
  let afterCalls = 0;
  ctx.progress.step(name('insert'));
  const insert = measure({
    name: name('insert'),
    n,
    plan,
    before: () => {
      prepare('present');
      maps = new Array(reps);
      for (let r = 0; r < reps; r++) maps[r] = row.create();
    },
    run: () => {
      for (let r = 0; r < maps.length; r++) row.insert(maps[r], inputs[r] as never, d);
    },
    after: () => {
      afterCalls++;
      const last = afterCalls === plan.warmup + plan.samples;
      for (let r = 0; r < maps.length; r++) {
        check(row.size(maps[r]) === n, `${name('insert')} size`, row.size(maps[r]), n);
        if (last && r === maps.length - 1) {
          kept = maps[r];
          if (row.input === 'fresh') keptKeys = inputs[r] as string[];
        } else row.destroy(maps[r]);
      }
      maps = [];
      inputs = [];
    },
  });
  const m = kept;
  const stats = row.stats?.(m);

  let acc = 0;
  const verifyHits = (what: string): void => {
    if (row.hitKind === 'sum') {
      check(acc === reps * d.hitSum, `${what} sum of values`, acc, reps * d.hitSum);
    } else {
      check(acc === reps * n, `${what} hits`, acc, reps * n);
      const s = sumOf(d.out);
      check(s === d.hitSum, `${what} sum of values`, s, d.hitSum);
    }
  };

  // One hit measure for every way the lookup keys may have been made:
  // makeInputs fills `inputs` with one key array per repetition.
  const measureHits = (label: string, makeInputs: () => void): Measurement => {
    ctx.progress.step(name(label));
    return measure({
      name: name(label),
      n,
      plan,
      before: () => {
        makeInputs();
        acc = 0;
        d.out.fill(0);
      },
      run: () => {
        for (let r = 0; r < reps; r++) acc += row.hit(m, inputs[r] as never, d);
      },
      after: () => {
        verifyHits(name(label));
        inputs = [];
      },
    });
  };

  const hit = measureHits('hit', () => prepare('hit'));

  let hitCached: Measurement | undefined;
  if (row.cachedHit === true && keptKeys !== null) {
    // The inserted string objects, in lookup order: their hashes are cached in the strings.
    const ins = keptKeys as string[];
    const cached = new Array<string>(n);
    for (let i = 0; i < n; i++) cached[i] = ins[d.order[i]];
    hitCached = measureHits('hit (hash cached)', () => {
      inputs = new Array(reps).fill(cached);
    });
  }
  keptKeys = null;

  // Keys a server parsed earlier and looks up later: materialized in
  // insertion order (a different order from the lookups), then promoted to
  // the old generation by two full GCs, so no scavenge re-sorts them into
  // lookup order; every sample gets new strings, so no hash is cached. The
  // lookups then read strings scattered over the heap.
  let hitEarlier: Measurement | undefined;
  if (row.input === 'fresh') {
    hitEarlier = measureHits('hit (keys from earlier)', () => {
      inputs = new Array(reps);
      for (let r = 0; r < reps; r++) inputs[r] = materializeStrings(d.present);
      gc();
      gc();
      for (let r = 0; r < reps; r++) {
        const held = inputs[r] as string[];
        const lookups = new Array<string>(n);
        for (let i = 0; i < n; i++) lookups[i] = held[d.order[i]];
        inputs[r] = lookups;
      }
    });
  }

  ctx.progress.step(name('miss'));
  const miss = measure({
    name: name('miss'),
    n,
    plan,
    before: () => {
      prepare('absent');
      acc = 0;
    },
    run: () => {
      for (let r = 0; r < reps; r++) acc += row.miss(m, inputs[r] as never, d);
    },
    after: () => {
      check(acc === reps * n, `${name('miss')} misses`, acc, reps * n);
      inputs = [];
    },
  });

  row.destroy(m);
  kept = null;
  const res: RowResult = { insert, hit, miss };
  if (hitCached !== undefined) res.hitCached = hitCached;
  if (hitEarlier !== undefined) res.hitEarlier = hitEarlier;
  if (stats !== undefined) res.stats = stats;
  return res;
}

interface MemoryResult {
  /** heapUsed growth per entry of a JS Map holding N fresh key strings (strings included), after gc(). */
  mapHeapPerEntry: number;
  /** StrMap stats().bytes / size (off-heap; key bytes inline or in the arena). */
  strMapBytesPerEntry: number;
  strMapHeapPerEntry: number;
}

function measureMemory(d: W2Data): MemoryResult {
  gc();
  gc();
  const h0 = process.memoryUsage().heapUsed;
  let keys: string[] | null = materializeStrings(d.present);
  const map = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) map.set(keys[i], i);
  keys = null;
  gc();
  gc();
  const h1 = process.memoryUsage().heapUsed;
  check(map.size === d.n, 'W2 memory: JS Map size', map.size, d.n);
  map.clear();
  gc();
  gc();
  const h2 = process.memoryUsage().heapUsed;
  const sm = new StrMap();
  sm.setBatch(d.packed.present, d.values);
  gc();
  gc();
  const h3 = process.memoryUsage().heapUsed;
  const s = sm.stats();
  sm.close();
  return {
    mapHeapPerEntry: (h1 - h0) / d.n,
    strMapBytesPerEntry: s.bytes / s.size,
    strMapHeapPerEntry: (h3 - h2) / d.n,
  };
}

const FULL_SIZES = [1e5, 1e6];
const QUICK_SIZES = [1e3, 1e4];

interface SizeResult {
  n: number;
  reps: number;
  samples: number;
  warmup: number;
  checksum: { present: string; absent: string };
  draws: number;
  duplicates: number;
  meanBytes: number;
  keyBuildMs: number;
  rows: Record<string, RowResult>;
  /** The C++ tables, one key at a time (bench/native-baselines.ts). */
  cxx: CxxRow[];
  memory: MemoryResult;
}

function render(results: SizeResult[]): string {
  const lines: string[] = [];
  lines.push("## W2 — string keys 'user:<int>': insert / hit / miss");
  lines.push('');
  lines.push(
    "Keys `'user:<v>'`, 10–20 bytes: per key d = 5 + hi32(next()) % 11 digits, v = 10^(d-1) + (next() >> 11) % (9·10^(d-1)) from splitmix64(42); " +
      'present keys even v, absent keys odd v (duplicates redrawn; the absent keys continue the stream); hits in Fisher–Yates order (splitmix64(43)). ' +
      '"fresh" = strings materialized with `Buffer#toString(\'latin1\')` before every sample (untimed), so V8 has not cached their hash; ' +
      '"hash cached" looks up with the inserted string objects; "keys from earlier" looks up, in lookup order, strings materialized before the sample in insertion order and moved to the old generation by two full GCs (scattered over the heap, hash not cached). Packed = one `{ bytes, offsets }` per key set, built before timing. ' +
      'The C++ rows run the same keys (checked by checksum) as `std::string`s, with copies for the lookups, through each table with its default hash, one key at a time, `-O3 -march=native`, in this run. ' +
      'Median ns/op; "vs Map" = JS Map (fresh strings) ns / row ns from this run (> 1× = faster than JS Map).',
  );
  lines.push('');
  lines.push(
    'Key sets (XOR of v): ' +
      results
        .map(
          (r) =>
            `N=${fmtN(r.n)} present ${r.checksum.present} / absent ${r.checksum.absent} (${r.draws / 2} keys drawn, ${r.duplicates} duplicates skipped, mean ${r.meanBytes.toFixed(2)} B/key)`,
        )
        .join('; ') +
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
        if (row.id === BASELINE) cells.push('1×');
        else if (base === undefined) cells.push('—');
        else {
          const q = base[op].medianNs / m.medianNs;
          cells.push(fmtRatio(q));
          if (q < 1)
            losses.push(
              `N=${fmtN(r.n)} ${op}: ${row.label} ${fmtRatio(q)} (${fmtNs(m.medianNs)} ns vs ${fmtNs(base[op].medianNs)} ns)`,
            );
        }
      }
      rows.push(cells);
      if (res.hitCached !== undefined && base !== undefined) {
        const m = res.hitCached;
        rows.push([
          fmtN(r.n),
          'JS Map hit (hash cached)',
          '',
          '',
          '',
          fmtNs(m.medianNs),
          fmtMops(m.medianNs),
          fmtRatio(base.hit.medianNs / m.medianNs),
          '',
          '',
          '',
        ]);
      }
      if (res.hitEarlier !== undefined && base?.hitEarlier !== undefined) {
        const m = res.hitEarlier;
        rows.push([
          fmtN(r.n),
          `${row.label}: hit, keys from earlier (vs JS Map, keys from earlier)`,
          '',
          '',
          '',
          fmtNs(m.medianNs),
          fmtMops(m.medianNs),
          fmtRatio(base.hitEarlier.medianNs / m.medianNs),
          '',
          '',
          '',
        ]);
      }
    }
    rows.push(...baselineCells(r.n, r.cxx, base));
  }
  lines.push(mdTable(MAP_OPS_COLUMNS, rows));
  lines.push('');
  lines.push(samplesLine(results));
  lines.push('');
  if (losses.length > 0) {
    lines.push('Where StrMap is slower than JS Map (fresh strings):');
    lines.push('');
    for (const l of losses) lines.push(`- ${l}`);
  } else {
    lines.push('StrMap is at least as fast as JS Map (fresh strings) in every cell.');
  }
  lines.push('');
  lines.push(
    'Memory per entry: JS Map = growth of `heapUsed` after `gc()` with the map holding N fresh key strings (the strings included, as StrMap stores the key bytes); ' +
      'StrMap = `stats().bytes / size` (off-heap), with its `heapUsed` growth alongside.',
  );
  lines.push('');
  const memRows: string[][] = [];
  for (const r of results) {
    const s = r.rows[strBatchPacked.id]?.stats;
    memRows.push([
      fmtN(r.n),
      r.memory.mapHeapPerEntry.toFixed(1),
      r.memory.strMapBytesPerEntry.toFixed(1),
      r.memory.strMapHeapPerEntry.toFixed(2),
      fmtRatio(r.memory.mapHeapPerEntry / r.memory.strMapBytesPerEntry),
      s ? s.loadFactor.toFixed(2) : '—',
      s ? `${s.match}/${s.hash}` : '—',
    ]);
  }
  lines.push(
    mdTable(
      [
        'N',
        'JS Map heapUsed B/entry',
        'StrMap B/entry',
        'StrMap heapUsed B/entry',
        'Map / StrMap',
        'StrMap load factor',
        { title: 'match/hash', align: 'left' },
      ],
      memRows,
    ),
  );
  return lines.join('\n');
}

export const w2: Workload = {
  id: 'W2',
  title: "string keys 'user:<int>': insert / hit / miss",
  sizes: (ctx) => pickSizes(ctx, FULL_SIZES, QUICK_SIZES),
  steps: (ctx) =>
    w2.sizes(ctx).length * (ROWS.length * OPS.length + ROWS.filter((r) => r.input === 'fresh').length + 2),
  run(ctx: BenchContext): WorkloadResult {
    const results: SizeResult[] = [];
    const sizes = [...w2.sizes(ctx)].sort((a, b) => a - b);
    for (const n of sizes) {
      const ks = makeStrKeySet(n);
      ctx.progress.note(
        `W2 N=${fmtN(n)}: keys built in ${ks.buildMs.toFixed(0)} ms; XOR present ${ks.checksum.present}, absent ${ks.checksum.absent}`,
      );
      const d: W2Data = {
        ...ks,
        out: new Float64Array(n),
        packed: { present: ks.present, hit: ks.hit, absent: ks.absent },
      };
      const plan = plan2(n, ctx.quick);
      const rowsRes: Record<string, RowResult> = {};
      for (const row of ROWS) rowsRes[row.id] = runRow(row, d, ctx);
      ctx.progress.step(`W2 N=${fmtN(n)} C++ tables`);
      const cxx = runBaselines('w2', n, plan, ks);
      verifyBaselines(cxx, `W2 N=${fmtN(n)}`, n, ks.hitSum);
      const memory = measureMemory(d);
      results.push({
        n,
        reps: plan.reps,
        samples: plan.samples,
        warmup: plan.warmup,
        checksum: ks.checksum,
        draws: ks.draws,
        duplicates: ks.duplicates,
        meanBytes: ks.meanBytes,
        keyBuildMs: ks.buildMs,
        rows: rowsRes,
        cxx,
        memory,
      });
    }
    return {
      markdown: render(results),
      data: { baseline: BASELINE, rows: ROWS.map((r) => ({ id: r.id, label: r.label })), sizes: results },
    };
  },
};
