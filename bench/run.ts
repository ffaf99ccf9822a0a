// tophash benchmark suite entry point (npm run bench / npm run bench:quick).
//
//   node --expose-gc dist/bench/run.js [--quick] [--workloads W1,W6] [--sizes 1e3,1e5] [--out dir]
//
// Prints a header and one Markdown table per workload to stdout (progress goes
// to stderr) and writes <out>/<YYYY-MM-DD>-<cpu-slug>.json (raw samples and
// medians), the same name .md, and <name>-<chart>.svg for every chart the
// run has data for (bench/charts.ts). --out defaults to bench/results, or to the
// OS temp dir with --quick so CI runs leave the tree clean.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { cpu, kernels } from '../src/index';
import { writeCharts } from './charts';
import { KEY_SEED, SHUFFLE_SEED, selfTest } from './keys';
import { missingPackage } from './missing';
import { createProgress } from './progress';
import { isoDate, slug, writeAtomic } from './report';
import { SKIPPED, WORKLOADS, type BenchContext, type Workload } from './workloads/index';

/** Defined in WORKLOADS.md but not written yet: named in errors so a typo is told apart from a gap. */
const PLANNED: string[] = [];

const USAGE = `Usage: node --expose-gc dist/bench/run.js [options]

  --quick              small sizes (W1 N = 1e3,1e4; W3 1e5 events; W5/W7 N = 1e5; W6 N = 1e4); results to the OS temp dir
  --workloads W1,W6    which workloads to run (default: all implemented: ${WORKLOADS.map((w) => w.id).join(', ')})
  --sizes 1e3,1e5      replace every selected workload's list of N (above 2^24 only with W8 and W10 alone)
  --out <dir>          where to write the .json and .md reports and .svg charts (default: bench/results)
  --no-progress        no progress output on stderr
  -h, --help           this text
`;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

function parseSizes(text: string, workloads: readonly Workload[]): number[] {
  const small = workloads.filter((w) => w.largeSizes !== true).map((w) => w.id);
  const sizes = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s);
      if (!Number.isSafeInteger(n) || n < 1) fail(`--sizes: '${s}' is not a positive integer`);
      if (n > 2 ** 24 && small.length > 0) {
        fail(
          `--sizes: ${s} exceeds what a JS Map holds (2^24), which ${small.join(', ')} compare with; select only W8 or W10 for larger N`,
        );
      }
      return n;
    });
  if (sizes.length === 0) fail('--sizes: no sizes given');
  return [...new Set(sizes)];
}

function selectWorkloads(text: string | undefined): Workload[] {
  if (text === undefined) return [...WORKLOADS];
  const wanted = text
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s.length > 0);
  if (wanted.length === 0) fail('--workloads: none given');
  for (const id of wanted) {
    if (WORKLOADS.some((w) => w.id === id)) continue;
    const skipped = SKIPPED.find((w) => w.id === id);
    if (skipped !== undefined) fail(`--workloads: ${id} cannot run here: it ${skipped.reason}`);
    if (PLANNED.includes(id)) fail(`--workloads: ${id} is not implemented yet`);
    fail(`--workloads: unknown workload '${id}'`);
  }
  // Keep the registry's order whatever order they were asked in.
  return WORKLOADS.filter((w) => wanted.includes(w.id));
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        workloads: { type: 'string' },
        sizes: { type: 'string' },
        out: { type: 'string' },
        'no-progress': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    fail((e as Error).message);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  // Checked here rather than through the harness, which needs tinybench (absent from an installed tophash).
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function')
    fail('gc() is not exposed: run node with --expose-gc (npm run bench does)');

  const quick = args.quick === true;
  const selected = selectWorkloads(args.workloads);
  const sizes = args.sizes === undefined ? undefined : parseSizes(args.sizes, selected);
  const outDir = path.resolve(
    args.out ?? (quick ? path.join(os.tmpdir(), 'tophash-bench') : path.join(packageRoot(), 'bench/results')),
  );

  selfTest();
  // Asked-for workloads that cannot run already failed above; the default set runs what it can.
  const skipped = args.workloads === undefined ? SKIPPED : [];
  for (const w of skipped) process.stderr.write(`bench: skipping ${w.id}: it ${w.reason}\n`);
  if (selected.length === 0) fail('no workload can run here (see above)');

  const info = cpu();
  const ks = kernels();
  const supported = (kind: 'match' | 'hash'): string =>
    ks
      .filter((k) => k.kind === kind && k.supported)
      .map((k) => k.name)
      .join(', ');
  const active = (kind: 'match' | 'hash'): string => ks.find((k) => k.kind === kind && k.active)?.name ?? '?';
  const started = new Date();
  const loadStart = os.loadavg();
  const mode = quick ? 'quick' : 'full';

  const header = [
    `# tophash benchmarks — ${isoDate(started)} (${mode} run)`,
    '',
    `- CPU: ${info.brand} (${info.arch}, ${info.vendor}), ${os.cpus().length} logical CPUs, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    `- Node ${process.version} (V8 ${process.versions.v8}), ${process.platform} ${process.arch}`,
    `- Kernels selected: match \`${active('match')}\`, hash \`${active('hash')}\` ` +
      `(supported: match ${supported('match')}; hash ${supported('hash')})` +
      (process.env.TOPHASH_FORCE_MATCH || process.env.TOPHASH_FORCE_HASH
        ? ` — forced by env: TOPHASH_FORCE_MATCH=${process.env.TOPHASH_FORCE_MATCH ?? ''} TOPHASH_FORCE_HASH=${process.env.TOPHASH_FORCE_HASH ?? ''}`
        : ''),
    `- Keys: splitmix64(${KEY_SEED}), lookup order Fisher–Yates with splitmix64(${SHUFFLE_SEED}); ` +
      'timing: N < 1e6: 5 samples × 1e6/N passes (+1 warm-up), N ≥ 1e6: 3 samples × 1 pass; median; gc() between samples',
    ...skipped.map((w) => `- Skipped ${w.id}: it ${w.reason}`),
    `- Load average at start: ${loadStart.map((x) => x.toFixed(2)).join(' ')} (shared machine: expect noise)`,
  ].join('\n');
  process.stdout.write(header + '\n\n');

  const ctxBase = { quick, sizes };
  const total = selected.reduce((s, w) => s + w.steps({ ...ctxBase, progress: createProgress(0, false) }), 0);
  const progress = createProgress(total, args['no-progress'] !== true);
  const ctx: BenchContext = { ...ctxBase, progress };

  const sections: string[] = [];
  const data: Record<string, unknown> = {};
  const timings: Record<string, number> = {};
  try {
    for (const w of selected) {
      const t0 = performance.now();
      const result = await w.run(ctx);
      timings[w.id] = (performance.now() - t0) / 1000;
      sections.push(result.markdown);
      data[w.id] = { title: w.title, sizes: w.sizes(ctx), seconds: timings[w.id], ...(result.data as object) };
      progress.note(`${w.id} done in ${timings[w.id].toFixed(1)} s`);
      progress.print(result.markdown + '\n\n');
    }
  } finally {
    progress.stop();
  }

  const finished = new Date();
  const loadEnd = os.loadavg();
  const footer =
    `_Run took ${((finished.getTime() - started.getTime()) / 1000).toFixed(0)} s ` +
    `(${Object.entries(timings)
      .map(([id, s]) => `${id} ${s.toFixed(0)} s`)
      .join(', ')}); load average at end: ${loadEnd.map((x) => x.toFixed(2)).join(' ')}._`;
  process.stdout.write(footer + '\n');

  const suffix = [
    quick ? 'quick' : '',
    selected.length < WORKLOADS.length ? selected.map((w) => w.id.toLowerCase()).join('-') : '',
    sizes !== undefined ? 'custom-sizes' : '',
  ]
    .filter((s) => s.length > 0)
    .map((s) => `-${s}`)
    .join('');
  const base = path.join(outDir, `${isoDate(started)}-${slug(info.brand)}${suffix}`);
  const markdown = [header, ...sections, footer].join('\n\n') + '\n';
  const json = {
    schema: 1,
    suite: 'tophash bench',
    mode,
    args: process.argv.slice(2),
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    env: {
      cpu: info,
      kernels: ks,
      selected: { match: active('match'), hash: active('hash') },
      node: process.version,
      v8: process.versions.v8,
      platform: process.platform,
      arch: process.arch,
      logicalCpus: os.cpus().length,
      totalMemBytes: os.totalmem(),
      loadAvgStart: loadStart,
      loadAvgEnd: loadEnd,
      forced: { match: process.env.TOPHASH_FORCE_MATCH ?? null, hash: process.env.TOPHASH_FORCE_HASH ?? null },
    },
    rules: {
      keys: `splitmix64(${KEY_SEED}); present = first N outputs, absent = next N; number keys = x >> 11`,
      order: `Fisher–Yates, splitmix64(${SHUFFLE_SEED}): for i = N-1..1: j = (next() >> 32) % (i+1)`,
      timing:
        'N < 1e6: R = 1e6/N passes per sample, 5 samples + 1 warm-up; N >= 1e6: R = 1, 3 samples; median; gc() between samples',
      units:
        'samplesMs: wall ms per sample (ascending); nsPerOp / medianNs: per key operation; opsPerSec = 1e9 / medianNs',
    },
    workloads: data,
  };
  writeAtomic(`${base}.json`, JSON.stringify(json, null, 2) + '\n');
  writeAtomic(`${base}.md`, markdown);
  process.stderr.write(`bench: wrote ${base}.json and ${base}.md\n`);
  const charts = await writeCharts(`${base}.json`).catch((err: unknown) => {
    const reason = missingPackage(err);
    if (reason === null) throw err;
    process.stderr.write(`bench: no charts: the chart renderer ${reason}\n`);
    return [];
  });
  if (charts.length > 0) process.stderr.write(`bench: charts ${charts.map((f) => path.basename(f)).join(', ')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`\nbench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
