// W10 — persistence: how fast a saved map of N u64 entries (W1's splitmix64(42)
// keys, value i for key i) is usable again, by every way there is:
//   rebuild   new U64Map() + setBatch(keys, values) from keys already in memory
//   load      U64Map.load(file): read, checksums, structure checks, link fix-up
//   open      U64Map.open(file, { readonly: true }): map the file, check its header
//   JS Map    restored by v8.deserialize of a file written by v8.serialize, and by
//             JSON.parse of [[key, value], ...] then new Map (N ≤ 2^24 only: a JS
//             Map holds at most 2^24 entries)
// load and open are timed with the file in the page cache ("warm") and after
// its pages were dropped from it ("cold", posix_fadvise DONTNEED through the
// hooks addon). Then getBatch of every key in W1's shuffled order on an opened
// map: the first batch after a cold open (every page read from the disk), the
// first after a warm open (page-table faults only), and warm batches.
// Targets (not tests): load ≥ 10× faster than the rebuild; open < 10 ms.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';

import { U64Map } from '../../src/index';
import { loadHooks } from '../../src/runtime/native';
import { check, gc, median } from '../harness';
import { makeKeySet, releaseKeyCache, type KeySet } from '../keys';
import { fmtBytes, fmtDuration, fmtN, fmtNs, fmtRatio, mdTable } from '../report';
import { pickSizes, type BenchContext, type Workload, type WorkloadResult } from './types';

/** A JS Map throws past this many entries. */
const JS_MAP_CAP = 2 ** 24;
const LOAD_TARGET = 10;
const OPEN_TARGET_MS = 10;

interface Timing {
  /** Median wall time, ns. */
  medianNs: number;
  samplesNs: number[];
}

/** One timed call with untimed setup() and teardown() around it. */
interface TimedRun<T> {
  setup: () => void;
  run: () => T;
  teardown: (result: T) => void;
}

/**
 * Times each of `runs` `samples` times, taking turns (a, b, a, b, …) with gc() before each
 * call, so that every run meets the machine in the same states: how readily the kernel finds
 * free huge pages moves both a rebuild and a load by a third between minutes.
 */
function timeInTurns(samples: number, runs: TimedRun<unknown>[]): Timing[] {
  const samplesNs: number[][] = runs.map(() => []);
  for (let s = 0; s < samples; s++) {
    runs.forEach((r, i) => {
      r.setup();
      gc();
      const t0 = process.hrtime.bigint();
      const result = r.run();
      samplesNs[i].push(Number(process.hrtime.bigint() - t0));
      r.teardown(result);
    });
  }
  return samplesNs.map((ns) => ({ medianNs: median(ns), samplesNs: ns }));
}

/** Times run() `samples` times, with setup() and teardown() untimed around each and gc() between. */
function time<T>(samples: number, setup: () => void, run: () => T, teardown: (result: T) => void): Timing {
  return timeInTurns(samples, [{ setup, run, teardown } as TimedRun<unknown>])[0];
}

interface Row {
  id: string;
  what: string;
  timing: Timing | null;
  /** Why there is no timing (timing === null). */
  note?: string;
}

interface SizeResult {
  n: number;
  fileBytes: number;
  stats: { B: number; overflowBuckets: number };
  rows: Row[];
  /** getBatch of every key on an opened map, ns per key. */
  lookups: Row[];
  /** Fraction of the file's pages still cached after each drop (0 = all dropped). */
  residentAfterDrop: number[];
}

const samplesFor = (n: number, quick: boolean): number => (quick || n >= 1e6 ? 3 : 5);
/** Rebuild and warm load, timed in turns: the pair the load target compares. */
const pairSamplesFor = (n: number, quick: boolean): number => (quick ? 3 : n >= 1e8 ? 3 : 7);

function expectEntries(m: U64Map, ks: KeySet, out: Float64Array, label: string): void {
  check(m.size === ks.n, `${label} size`, m.size, ks.n);
  const hits = m.getBatch(ks.hit, out);
  check(hits === ks.n, `${label} hits`, hits, ks.n);
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i];
  check(sum === ks.hitSum, `${label} sum of values`, sum, ks.hitSum);
}

function runSize(n: number, ctx: BenchContext, dir: string): SizeResult {
  const ks = makeKeySet(n);
  const out = new Float64Array(n);
  const samples = samplesFor(n, ctx.quick);
  const file = path.join(dir, `w10-${n}.thm`);
  const hooks = loadHooks();
  const residentAfterDrop: number[] = [];
  const dropCache = (): void => {
    residentAfterDrop.push(hooks.dropPageCache(file));
  };
  const label = `W10 N=${fmtN(n)}`;
  const rows: Row[] = [];

  ctx.progress.step(`${label} save`);
  const source = new U64Map();
  source.setBatch(ks.present, ks.values);
  const saved = { B: source.stats().B, overflowBuckets: source.stats().overflowBuckets };
  const saveTiming = time(
    samples,
    () => {},
    () => source.save(file),
    () => {},
  );
  source.close();
  const fileBytes = fs.statSync(file).size;

  ctx.progress.step(`${label} rebuild with setBatch and load, in turns`);
  const rebuild: TimedRun<U64Map> = {
    setup: () => {},
    run: () => {
      const m = new U64Map();
      m.setBatch(ks.present, ks.values);
      return m;
    },
    teardown: (m) => {
      expectEntries(m, ks, out, `${label} rebuild`);
      m.close();
    },
  };
  const load = (cold: boolean): TimedRun<U64Map> => ({
    setup: cold ? dropCache : () => {},
    run: () => U64Map.load(file),
    teardown: (m) => {
      expectEntries(m, ks, out, `${label} load`);
      m.close();
    },
  });
  const [rebuildTiming, loadTiming] = timeInTurns(pairSamplesFor(n, ctx.quick), [
    rebuild as TimedRun<unknown>,
    load(false) as TimedRun<unknown>,
  ]);
  const loadCold = load(true);
  rows.push(
    { id: 'rebuild', what: '`new U64Map()` + `setBatch(keys, values)` (keys in memory)', timing: rebuildTiming },
    { id: 'save', what: '`save(path)` (write, fsync, rename)', timing: saveTiming },
    { id: 'load', what: '`U64Map.load(path)`, page cache warm', timing: loadTiming },
    {
      id: 'load-cold',
      what: '`U64Map.load(path)`, page cache dropped',
      timing: time(samples, loadCold.setup, loadCold.run, loadCold.teardown),
    },
  );

  ctx.progress.step(`${label} open`);
  const firstKey = ks.present[0];
  const openRow = (id: string, what: string, cold: boolean, firstLookup: boolean): Row => ({
    id,
    what,
    timing: time(
      ctx.quick ? 3 : 11,
      cold ? dropCache : () => {},
      () => {
        const m = U64Map.open(file, { readonly: true });
        if (firstLookup) check(m.get(firstKey) === 0, `${label} first lookup`, m.get(firstKey), 0);
        return m;
      },
      (m) => {
        check(m.size === n, `${label} open size`, m.size, n);
        m.close();
      },
    ),
  });
  rows.push(
    openRow('open', '`U64Map.open(path, { readonly: true })`, page cache warm', false, false),
    openRow('open-first-get', '`open` + first `get`, page cache warm', false, true),
    openRow('open-cold-first-get', '`open` + first `get`, page cache dropped', true, true),
  );

  ctx.progress.step(`${label} JS Map`);
  rows.push(...jsMapRows(ks, dir, samples, label));

  ctx.progress.step(`${label} getBatch on an opened map`);
  const lookups = openedLookups(ks, file, out, dropCache, label);
  fs.rmSync(file, { force: true });
  return { n, fileBytes, stats: saved, rows, lookups, residentAfterDrop };
}

/** The JS Map baselines: restored from v8.serialize's bytes and from JSON, both read from a file. */
function jsMapRows(ks: KeySet, dir: string, samples: number, label: string): Row[] {
  const what = ['JS `Map` ← `v8.deserialize(readFileSync)`', 'JS `Map` ← `new Map(JSON.parse(readFileSync))`'];
  if (ks.n > JS_MAP_CAP) {
    const note = `not possible: a JS Map holds at most 2^24 (${JS_MAP_CAP.toLocaleString('en-US')}) entries`;
    return [
      { id: 'js-v8', what: what[0], timing: null, note },
      { id: 'js-json', what: what[1], timing: null, note },
    ];
  }
  const v8File = path.join(dir, 'w10-map.v8');
  const jsonFile = path.join(dir, 'w10-map.json');
  {
    const map = new Map<number, number>();
    for (let i = 0; i < ks.n; i++) map.set(ks.presentNum[i], i);
    fs.writeFileSync(v8File, v8.serialize(map));
    fs.writeFileSync(jsonFile, JSON.stringify(Array.from(map)));
  }
  const checked = (m: Map<number, number>): void => {
    check(m.size === ks.n, `${label} JS Map size`, m.size, ks.n);
    const i = ks.order[0];
    check(m.get(ks.presentNum[i]) === i, `${label} JS Map value`, m.get(ks.presentNum[i]), i);
  };
  const rows: Row[] = [
    {
      id: 'js-v8',
      what: what[0],
      timing: time(
        samples,
        () => {},
        () => v8.deserialize(fs.readFileSync(v8File)) as Map<number, number>,
        checked,
      ),
    },
    {
      id: 'js-json',
      what: what[1],
      timing: time(
        samples,
        () => {},
        () => new Map<number, number>(JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as [number, number][]),
        checked,
      ),
    },
  ];
  fs.rmSync(v8File, { force: true });
  fs.rmSync(jsonFile, { force: true });
  return rows;
}

/** getBatch of every key (shuffled) on an opened map: cold, first after a warm open, and warm. */
function openedLookups(ks: KeySet, file: string, out: Float64Array, dropCache: () => void, label: string): Row[] {
  const perKey = (t: Timing): Timing => ({
    medianNs: t.medianNs / ks.n,
    samplesNs: t.samplesNs.map((ns) => ns / ks.n),
  });
  const firstBatch = (cold: boolean): Timing =>
    perKey(
      time(
        1,
        cold ? dropCache : () => {},
        () => {
          const m = U64Map.open(file, { readonly: true });
          m.getBatch(ks.hit, out);
          return m;
        },
        (m) => {
          expectEntries(m, ks, out, `${label} opened`);
          m.close();
        },
      ),
    );
  const cold = firstBatch(true);
  const first = firstBatch(false);
  const m = U64Map.open(file, { readonly: true });
  m.getBatch(ks.hit, out);
  const warm = perKey(
    time(
      3,
      () => {},
      () => m.getBatch(ks.hit, out),
      (hits) => check(hits === ks.n, `${label} warm hits`, hits, ks.n),
    ),
  );
  m.close();
  const loaded = U64Map.load(file);
  const inMemory = perKey(
    time(
      3,
      () => {},
      () => loaded.getBatch(ks.hit, out),
      (hits) => check(hits === ks.n, `${label} loaded hits`, hits, ks.n),
    ),
  );
  loaded.close();
  return [
    { id: 'cold', what: 'opened, first batch, page cache dropped (open included)', timing: cold },
    { id: 'first', what: 'opened, first batch, page cache warm (open included)', timing: first },
    { id: 'warm', what: 'opened, warm', timing: warm },
    { id: 'loaded', what: 'loaded (`U64Map.load`), warm', timing: inMemory },
  ];
}

/** Rebuild time over warm load time for each pair timed in turns. */
function loadPairRatios(s: SizeResult): number[] {
  const rebuild = s.rows.find((r) => r.id === 'rebuild')?.timing?.samplesNs ?? [];
  const load = s.rows.find((r) => r.id === 'load')?.timing?.samplesNs ?? [];
  return rebuild.slice(0, load.length).map((ns, i) => ns / load[i]);
}

function render(sizes: SizeResult[]): string {
  const lines: string[] = [];
  lines.push('## W10 — persistence: load, open and rebuild');
  lines.push('');
  lines.push(
    'A map of N u64 keys (W1 keys, value i for key i) made usable again. "vs rebuild" = rebuild time / row time ' +
      '(> 1× = faster). Warm: the file in the page cache; cold: its pages dropped first (`posix_fadvise` ' +
      `DONTNEED). Targets: load ≥ ${LOAD_TARGET}× faster than the rebuild, open < ${OPEN_TARGET_MS} ms. The rebuild ` +
      'and the warm load are timed in turns (rebuild, load, rebuild, …; 7 pairs, 3 at 1e8) and compared pair by ' +
      'pair; other rows are the median of 3 samples (11 for open); gc() before each.',
  );
  for (const s of sizes) {
    const rebuild = s.rows.find((r) => r.id === 'rebuild')?.timing?.medianNs ?? NaN;
    lines.push('');
    lines.push(
      `N = ${fmtN(s.n)}: file ${fmtBytes(s.fileBytes)} (B = ${s.stats.B}, ${s.stats.overflowBuckets.toLocaleString('en-US')} ` +
        `overflow buckets); pages still cached after each drop: ${s.residentAfterDrop.map((r) => `${(r * 100).toFixed(0)} %`).join(', ')}`,
    );
    lines.push('');
    lines.push(
      mdTable(
        [{ title: 'how', align: 'left' }, 'time', 'vs rebuild'],
        s.rows.map((r) =>
          r.timing === null
            ? [r.what, r.note ?? '—', '—']
            : [r.what, fmtDuration(r.timing.medianNs), r.id === 'save' ? '' : fmtRatio(rebuild / r.timing.medianNs)],
        ),
      ),
    );
    const pairs = loadPairRatios(s);
    if (pairs.length > 0) {
      const met = median(pairs) >= LOAD_TARGET ? 'met' : 'NOT met';
      lines.push('');
      lines.push(
        `Load vs rebuild, pair by pair: ${pairs.map((r) => fmtRatio(r)).join(', ')}; median ` +
          `**${fmtRatio(median(pairs))}** (target ≥ ${LOAD_TARGET}×: ${met}).`,
      );
    }
    lines.push('');
    lines.push(
      mdTable(
        [{ title: `getBatch of all N keys, shuffled`, align: 'left' }, 'ns/key', 'whole batch'],
        s.lookups.map((r) => [
          r.what,
          r.timing === null ? '—' : fmtNs(r.timing.medianNs),
          r.timing === null ? '—' : fmtDuration(r.timing.medianNs * s.n),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

export const w10: Workload = {
  id: 'W10',
  title: 'Persistence: load, open and rebuild',
  largeSizes: true,
  sizes: (ctx) => pickSizes(ctx, [1e7], [1e4]),
  steps: (ctx) => w10.sizes(ctx).length * 6,
  run(ctx: BenchContext): WorkloadResult {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tophash-w10-'));
    try {
      const sizes: SizeResult[] = [];
      for (const n of [...w10.sizes(ctx)].sort((a, b) => a - b)) sizes.push(runSize(n, ctx, dir));
      releaseKeyCache();
      const loadVsRebuild = sizes.map((s) => ({ n: s.n, pairRatios: loadPairRatios(s) }));
      return {
        markdown: render(sizes),
        data: { loadTarget: LOAD_TARGET, openTargetMs: OPEN_TARGET_MS, sizes, loadVsRebuild },
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
