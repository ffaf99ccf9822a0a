// W1's and W2's keys through C++ hash tables (absl::flat_hash_map, boost::unordered_flat_map,
// std::unordered_map), one key at a time, measured in the same run as the JS rows.
//
// bench/native/baselines.cpp is compiled with the system C++ compiler on first use into
// build-bench/, named by a hash of its source and flags so an edit rebuilds it and an
// unchanged source is never rebuilt. What is missing (compiler, absl, boost) becomes a row
// saying so; the rest of the bench goes on.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { check, median, type Measurement, type Plan } from './harness';
import { fmtMops, fmtN, fmtNs, fmtRatio } from './report';

export type CxxTable = 'absl' | 'boost' | 'std';

const TABLES: readonly { id: CxxTable; name: string; label: string }[] = [
  { id: 'absl', name: 'absl::flat_hash_map', label: 'C++ absl::flat_hash_map (one at a time)' },
  { id: 'boost', name: 'boost::unordered_flat_map', label: 'C++ boost::unordered_flat_map' },
  { id: 'std', name: 'std::unordered_map', label: 'C++ std::unordered_map' },
];

/** One C++ table's insert / hit / miss, or why it did not run. */
export interface CxxRow {
  id: CxxTable;
  /** The table label, or "C++ <table>: <reason>" when it did not run. */
  label: string;
  available: boolean;
  reason?: string;
  /** Per pass, as the program counted them: keys found, keys not found, sum of the values found. */
  hits?: number;
  misses?: number;
  hitSum?: number;
  insert?: Measurement;
  hit?: Measurement;
  miss?: Measurement;
}

/** What the bench computed for a key set, handed to the program to check it built the same keys. */
export interface KeyIdentity {
  checksum: { present: string; absent: string };
  order: Uint32Array;
}

const ABSL_LIBS = ['absl_hash', 'absl_city', 'absl_low_level_hash', 'absl_raw_hash_set'];
const SOURCE = path.join('bench', 'native', 'baselines.cpp');

/** The fold baselines.cpp applies to its lookup order: a permutation error changes it. */
export function orderCheck(order: Uint32Array): number {
  let h = 0;
  for (let i = 0; i < order.length; i++) h = (h + Math.imul(order[i] + 1, i + 1)) >>> 0;
  return h;
}

function sourceRoot(): string | null {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, SOURCE))) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

/** Whether the compiler resolves lib<name>.so to a file (it echoes the bare name otherwise). */
function hasLib(cxx: string, name: string): boolean {
  const r = spawnSync(cxx, [`-print-file-name=lib${name}.so`], { encoding: 'utf8' });
  const out = r.stdout?.trim() ?? '';
  return r.status === 0 && path.isAbsolute(out) && fs.existsSync(out);
}

type Build = { binary: string } | { missing: string };
let built: Build | null = null;

/** Compiles the program unless a binary of the same source and flags exists; memoized per process. */
export function buildBaselines(): Build {
  if (built !== null) return built;
  built = compile();
  return built;
}

function compile(): Build {
  const root = sourceRoot();
  if (root === null) return { missing: `${SOURCE} not found (the C++ baselines run from a clone of the repository)` };
  const cxx = process.env.CXX ?? 'g++';
  const probe = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return { missing: `no C++ compiler (${cxx} not found)` };
  const absl = ABSL_LIBS.every((l) => hasLib(cxx, l));
  const flags = ['-std=c++17', '-O3', '-march=native', '-DNDEBUG', ...(absl ? ['-DBASELINES_ABSL'] : [])];
  const libs = absl ? ABSL_LIBS.map((l) => `-l${l}`) : [];
  const source = fs.readFileSync(path.join(root, SOURCE));
  const tag = createHash('sha256')
    .update(source)
    .update([cxx, probe.stdout.split('\n')[0], ...flags, ...libs].join('\0'))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(root, 'build-bench');
  const binary = path.join(dir, `baselines-${tag}`);
  if (fs.existsSync(binary)) return { binary };
  fs.mkdirSync(dir, { recursive: true });
  // Built under a private name and renamed, so a concurrent run never executes a half-written file.
  const tmp = `${binary}.${process.pid}.tmp`;
  const r = spawnSync(cxx, [...flags, path.join(root, SOURCE), '-o', tmp, ...libs], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    const first = (r.stderr ?? '').split('\n').find((l) => l.includes('error')) ?? `exit status ${r.status}`;
    return { missing: `compile failed: ${first.trim()}` };
  }
  fs.renameSync(tmp, binary);
  // Builds of earlier sources are never run again.
  for (const f of fs.readdirSync(dir)) {
    if (/^baselines-[0-9a-f]{16}$/.test(f) && path.join(dir, f) !== binary)
      fs.rmSync(path.join(dir, f), { force: true });
  }
  return { binary };
}

function unavailable(t: (typeof TABLES)[number], reason: string): CxxRow {
  return { id: t.id, label: `C++ ${t.name}: ${reason}`, available: false, reason };
}

function toMeasurement(n: number, plan: Plan, sampleNs: readonly number[]): Measurement {
  const opsPerSample = n * plan.reps;
  const samplesMs = sampleNs.map((ns) => ns / 1e6).sort((a, b) => a - b);
  const nsPerOp = samplesMs.map((ms) => (ms * 1e6) / opsPerSample);
  const medianNs = median(nsPerOp);
  // The native run takes no warm-up sample (WORKLOADS.md's timing rules).
  return { n, reps: plan.reps, warmup: 0, opsPerSample, samplesMs, nsPerOp, medianNs, opsPerSec: 1e9 / medianNs };
}

interface ProgramRow {
  id: CxxTable;
  available: boolean;
  reason?: string;
  hits?: number;
  misses?: number;
  hitSum?: number;
  insertNs?: number[];
  hitNs?: number[];
  missNs?: number[];
}

/**
 * Runs W1's or W2's key set of size n through the three tables with the plan's passes and
 * samples. A table the program could not build or run comes back as an unavailable row.
 */
export function runBaselines(workload: 'w1' | 'w2', n: number, plan: Plan, keys: KeyIdentity): CxxRow[] {
  const b = buildBaselines();
  if ('missing' in b) return TABLES.map((t) => unavailable(t, b.missing));
  const args = [
    workload,
    n,
    plan.reps,
    plan.samples,
    keys.checksum.present,
    keys.checksum.absent,
    orderCheck(keys.order),
  ];
  const r = spawnSync(b.binary, args.map(String), { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    const why = (r.stderr ?? '').trim().split('\n')[0] || String(r.error ?? `exit status ${r.status}`);
    return TABLES.map((t) => unavailable(t, `run failed: ${why}`));
  }
  let parsed: { rows: ProgramRow[] };
  try {
    parsed = JSON.parse(r.stdout) as { rows: ProgramRow[] };
  } catch {
    return TABLES.map((t) => unavailable(t, `unreadable output: ${r.stdout.slice(0, 80)}`));
  }
  return TABLES.map((t) => {
    const p = parsed.rows.find((x) => x.id === t.id);
    if (p === undefined || !p.available) return unavailable(t, p?.reason ?? 'not run');
    return {
      id: t.id,
      label: t.label,
      available: true,
      hits: p.hits,
      misses: p.misses,
      hitSum: p.hitSum,
      insert: toMeasurement(n, plan, p.insertNs ?? []),
      hit: toMeasurement(n, plan, p.hitNs ?? []),
      miss: toMeasurement(n, plan, p.missNs ?? []),
    };
  });
}

/** The bench's own check of what the program counted: every hit found with its value, every miss missed. */
export function verifyBaselines(rows: readonly CxxRow[], what: string, n: number, hitSum: number): void {
  for (const r of rows) {
    if (!r.available) continue;
    check(r.hits === n, `${what} ${r.label} hits`, r.hits, n);
    check(r.hitSum === hitSum, `${what} ${r.label} sum of values`, r.hitSum, hitSum);
    check(r.misses === n, `${what} ${r.label} misses`, r.misses, n);
  }
}

type Ops = Record<'insert' | 'hit' | 'miss', Measurement>;

/** Table rows in the W1/W2 layout (MAP_OPS_COLUMNS), with ratios against the JS Map baseline. */
export function baselineCells(n: number, rows: readonly CxxRow[], base: Ops | undefined): string[][] {
  return rows.map((r) => {
    const cells = [fmtN(n), r.label];
    for (const op of ['insert', 'hit', 'miss'] as const) {
      const m = r[op];
      if (m === undefined) cells.push('—', '—', '—');
      else cells.push(fmtNs(m.medianNs), fmtMops(m.medianNs), base ? fmtRatio(base[op].medianNs / m.medianNs) : '—');
    }
    return cells;
  });
}
