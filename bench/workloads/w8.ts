// W8 — scale: a U64Map of N = 1e8 u64 keys (W1's splitmix64(42) keys; a JS
// Map stops at 2^24 entries, so there is no JS baseline), batched getBatch
// lookups of every present key in W1's shuffled order, against the machine's
// random-read floor measured in the same run by the addon's memoryFloor():
//   (i)  independent random 8-byte reads from 16 interleaved LCG streams over a
//        2 GiB mmap, with MADV_NOHUGEPAGE and with MADV_HUGEPAGE (THP coverage
//        read back from /proc/self/smaps);
//   (ii) a dependent pointer chase over a Sattolo cycle (splitmix64(42)) of all
//        cache lines of the same region, 2^23 steps;
//   extra: the same on a 256 MiB region with 4 KiB pages (about the size of a
//        1e7-entry table).
// The headline is lookup ns/key ÷ floor ns/read (target: within 3×).
//
// Memory (full run): keys 800 MB, lookup order 400 MB (+800 MB while shuffling),
// lookup keys 800 MB, output 800 MB, plus the map; the floor runs first, alone.
// Quick mode: N = 1e6 and a 64 MiB floor region.
import { U64Map, type MapStats } from '../../src/index';
import { loadHooks, type MemoryFloorResult } from '../../src/runtime/native';
import { check, gc, measure, median, planFor, type Measurement } from '../harness';
import { KEY_SEED, shuffleOrder, splitmix64Array, xorChecksum } from '../keys';
import { fmtBytes, fmtMops, fmtN, fmtNs, fmtRatio, mdTable } from '../report';
import { pickSizes, type BenchContext, type Workload, type WorkloadResult } from './types';

/** Keys per setBatch / getBatch call. */
const CHUNK = 1_000_000;
/** memoryFloor() calls per region: the chase runs in the first, nsPerRead is the median of all. */
const FLOOR_RUNS = 3;
const TARGET = 3;

interface FloorConfig {
  id: string;
  bytes: number;
  hugePages: boolean;
  reads: number;
  chaseSteps: number;
}

function floorConfigs(quick: boolean): FloorConfig[] {
  if (quick) {
    const q = { bytes: 64 * 2 ** 20, reads: 2 ** 22, chaseSteps: 2 ** 20 };
    return [
      { id: '64MiB-4k', hugePages: false, ...q },
      { id: '64MiB-thp', hugePages: true, ...q },
    ];
  }
  const f = { bytes: 2 ** 31, reads: 2 ** 25, chaseSteps: 2 ** 23 };
  return [
    { id: '2GiB-4k', hugePages: false, ...f },
    { id: '2GiB-thp', hugePages: true, ...f },
    { id: '256MiB-4k', bytes: 2 ** 28, hugePages: false, reads: 2 ** 25, chaseSteps: 2 ** 23 },
  ];
}

interface FloorResult {
  config: FloorConfig;
  /** Median over the runs. */
  nsPerRead: number;
  nsPerStep: number;
  thpBytes: number;
  runs: MemoryFloorResult[];
}

function runFloor(c: FloorConfig, ctx: BenchContext): FloorResult {
  const runs: MemoryFloorResult[] = [];
  for (let i = 0; i < FLOOR_RUNS; i++) {
    ctx.progress.step(`W8 floor ${c.id} run ${i + 1}/${FLOOR_RUNS}${i === 0 ? ' (+ pointer chase)' : ''}`);
    gc();
    runs.push(
      loadHooks().memoryFloor({
        bytes: c.bytes,
        hugePages: c.hugePages,
        reads: c.reads,
        streams: 16,
        chaseSteps: i === 0 ? c.chaseSteps : 0,
      }),
    );
  }
  return {
    config: c,
    nsPerRead: median(runs.map((r) => r.nsPerRead)),
    nsPerStep: runs[0].nsPerStep,
    thpBytes: runs[0].thpBytes,
    runs,
  };
}

interface SizeResult {
  n: number;
  /** The map was created with `hugePages: true` (its bucket arrays on THP where the kernel gives them). */
  hugePages: boolean;
  checksum: string;
  keyBuildMs: number;
  orderBuildMs: number;
  /** One pass of setBatch in chunks into an un-presized map, ns/key. */
  insertNs: number;
  lookup: Measurement;
  stats: MapStats;
}

function runSize(n: number, hugePages: boolean, ctx: BenchContext): SizeResult {
  const t0 = performance.now();
  let present: BigUint64Array | null = splitmix64Array(KEY_SEED, n);
  const checksum = xorChecksum(present);
  const keyBuildMs = performance.now() - t0;
  ctx.progress.note(`W8 N=${fmtN(n)}: keys built in ${keyBuildMs.toFixed(0)} ms; XOR ${checksum}`);

  const m = new U64Map({ hugePages });
  const label = hugePages ? 'U64Map { hugePages: true }' : 'U64Map';
  try {
    ctx.progress.step(`W8 N=${fmtN(n)} ${label} setBatch (chunks of ${fmtN(CHUNK)})`);
    const values = new Float64Array(Math.min(CHUNK, n));
    let insertMs = 0;
    for (let off = 0; off < n; off += CHUNK) {
      const len = Math.min(CHUNK, n - off);
      const v = values.subarray(0, len);
      for (let i = 0; i < len; i++) v[i] = off + i;
      const k = present.subarray(off, off + len);
      const s = performance.now();
      m.setBatch(k, v);
      insertMs += performance.now() - s;
    }
    check(m.size === n, `W8 N=${fmtN(n)} size after insert`, m.size, n);
    const stats = m.stats();

    // W1's lookup order: hit[i] = present[order[i]], whose value is order[i].
    const t1 = performance.now();
    let order: Uint32Array | null = shuffleOrder(n);
    const hit = new BigUint64Array(n);
    {
      const src = new Uint32Array(present.buffer, present.byteOffset, 2 * n);
      const dst = new Uint32Array(hit.buffer, hit.byteOffset, 2 * n);
      for (let i = 0; i < n; i++) {
        const j = order[i];
        dst[2 * i] = src[2 * j];
        dst[2 * i + 1] = src[2 * j + 1];
      }
    }
    const orderBuildMs = performance.now() - t1;
    present = null;
    order = null;
    const out = new Float64Array(n);
    const hitChunks: BigUint64Array[] = [];
    const outChunks: Float64Array[] = [];
    for (let off = 0; off < n; off += CHUNK) {
      const end = Math.min(n, off + CHUNK);
      hitChunks.push(hit.subarray(off, end));
      outChunks.push(out.subarray(off, end));
    }
    const hitSum = (n * (n - 1)) / 2;
    const name = `W8 N=${fmtN(n)} ${label} getBatch hits (shuffled, chunks of ${fmtN(CHUNK)})`;
    ctx.progress.step(name);
    let found = 0;
    const lookup = measure({
      name,
      n,
      plan: planFor(n),
      before: () => {
        found = 0;
        out.fill(0);
      },
      run: () => {
        for (let c = 0; c < hitChunks.length; c++) found += m.getBatch(hitChunks[c], outChunks[c]);
      },
      after: () => {
        check(found === n, `${name} hits`, found, n);
        let s = 0;
        for (let i = 0; i < n; i++) s += out[i];
        check(s === hitSum, `${name} sum of values`, s, hitSum);
      },
    });
    return { n, hugePages, checksum, keyBuildMs, orderBuildMs, insertNs: (insertMs * 1e6) / n, lookup, stats };
  } finally {
    m.close();
  }
}

function thpText(f: FloorResult): string {
  if (f.thpBytes < 0) return 'unknown';
  return `${fmtBytes(f.thpBytes)} (${((100 * f.thpBytes) / f.config.bytes).toFixed(0)}%)`;
}

function render(floors: FloorResult[], sizes: SizeResult[]): string {
  const lines: string[] = [];
  lines.push('## W8 — scale: 1e8 u64 keys vs the random-read floor');
  lines.push('');
  lines.push(
    'Random-read floor (native `memoryFloor()`, same run, before the map is built): an anonymous mmap touched page by page, ' +
      '`MADV_NOHUGEPAGE` (4 KiB) or `MADV_HUGEPAGE` (THP; coverage = AnonHugePages from /proc/self/smaps); ' +
      'independent random 8-byte reads from 16 interleaved LCG streams (addresses never depend on loaded data), ' +
      `median of ${FLOOR_RUNS} calls; dependent pointer chase over a Sattolo cycle (splitmix64(42)) of all cache lines of the region, one call.`,
  );
  lines.push('');
  lines.push(
    mdTable(
      [
        { title: 'region', align: 'left' },
        { title: 'pages', align: 'left' },
        'THP coverage',
        'random read ns',
        'reads',
        'pointer chase ns/step',
        'steps',
      ],
      floors.map((f) => [
        fmtBytes(f.config.bytes),
        f.config.hugePages ? 'MADV_HUGEPAGE' : 'MADV_NOHUGEPAGE',
        thpText(f),
        fmtNs(f.nsPerRead),
        fmtN(f.runs[0].reads),
        fmtNs(f.nsPerStep),
        fmtN(f.runs[0].chaseSteps),
      ]),
    ),
  );
  const small = floors.find((f) => !f.config.hugePages) ?? floors[0];
  const big = floors.find((f) => f.config.hugePages) ?? floors[0];
  lines.push('');
  lines.push(
    'U64Map: N keys = the first N splitmix64(42) outputs (full u64, `BigUint64Array`), inserted with `setBatch` in chunks of ' +
      `${fmtN(CHUNK)} into an un-presized map (one pass, timed per call), then every key looked up with \`getBatch\` in W1's ` +
      "Fisher–Yates order (splitmix64(43)), chunks of 1e6; lookup = median of the timing rules' samples, all hits and the sum of values verified. " +
      `"÷ floor" = lookup ns/key ÷ random-read ns of the ${fmtBytes(small.config.bytes)} region (4 KiB pages / THP); ` +
      `"÷ chase" = ÷ pointer-chase ns/step (4 KiB pages). Target: within ${TARGET}× of the floor.`,
  );
  lines.push('');
  lines.push(
    mdTable(
      [
        'N',
        { title: 'map', align: 'left' },
        'insert ns/key',
        'lookup ns/key',
        'Mops/s',
        '÷ floor (4 KiB)',
        '÷ floor (THP)',
        '÷ chase (4 KiB)',
        'bytes/entry',
        'load factor',
      ],
      sizes.map((s) => [
        fmtN(s.n),
        s.hugePages ? '`hugePages: true`' : 'default (4 KiB pages)',
        fmtNs(s.insertNs),
        fmtNs(s.lookup.medianNs),
        fmtMops(s.lookup.medianNs),
        fmtRatio(s.lookup.medianNs / small.nsPerRead),
        fmtRatio(s.lookup.medianNs / big.nsPerRead),
        fmtRatio(s.lookup.medianNs / small.nsPerStep),
        (s.stats.bytes / s.stats.size).toFixed(1),
        s.stats.loadFactor.toFixed(2),
      ]),
    ),
  );
  lines.push('');
  for (const s of sizes) {
    const q4 = s.lookup.medianNs / small.nsPerRead;
    const qt = s.lookup.medianNs / big.nsPerRead;
    const verdict = (q: number): string => (q <= TARGET ? 'within' : 'outside');
    lines.push(
      `- N=${fmtN(s.n)}${s.hugePages ? ' (hugePages)' : ''}: lookup ${fmtNs(s.lookup.medianNs)} ns/key (samples ${s.lookup.nsPerOp.map(fmtNs).join(' / ')}) is ` +
        `${fmtRatio(q4)} the 4 KiB floor (${verdict(q4)} ${TARGET}×) and ${fmtRatio(qt)} the THP floor (${verdict(qt)} ${TARGET}×); ` +
        `table: B = ${s.stats.B}, ${s.stats.overflowBuckets.toLocaleString('en-US')} overflow buckets, ${fmtBytes(s.stats.bytes)}, ` +
        `${s.stats.growing ? 'still growing (incremental evacuation in progress) during the lookups' : 'not growing'}, ` +
        `kernels ${s.stats.match}/${s.stats.hash}; key XOR ${s.checksum}.`,
    );
  }
  lines.push('');
  lines.push(
    'A JS `Map` cannot be a baseline here: V8 caps it at 2^24 (16,777,216) entries. The floor is what one core can do ' +
      "with perfect memory-level parallelism and no hashing; whether the map's own memory got huge pages depends on the " +
      'allocator and `/sys/kernel/mm/transparent_hugepage/enabled`, so both floors are shown.',
  );
  return lines.join('\n');
}

export const w8: Workload = {
  id: 'W8',
  title: 'scale: 1e8 keys vs the random-read floor',
  largeSizes: true,
  sizes: (ctx) => pickSizes(ctx, [1e8], [1e6]),
  steps: (ctx) => floorConfigs(ctx.quick).length * FLOOR_RUNS + w8.sizes(ctx).length * 4,
  run(ctx: BenchContext): WorkloadResult {
    const floors = floorConfigs(ctx.quick).map((c) => runFloor(c, ctx));
    const sizes: SizeResult[] = [];
    for (const n of [...w8.sizes(ctx)].sort((a, b) => a - b)) {
      for (const hugePages of [false, true]) {
        sizes.push(runSize(n, hugePages, ctx));
        gc();
      }
    }
    return {
      markdown: render(floors, sizes),
      data: { chunk: CHUNK, target: TARGET, floorRuns: FLOOR_RUNS, floors, sizes },
    };
  },
};
