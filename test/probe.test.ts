// npm run probe (dist/scripts/probe.js): its JSON agrees with cpu(), kernels()
// and /proc/cpuinfo, shows environment forcing, times every supported kernel,
// and its table names every feature and kernel. Runs the built script in a
// child, as a user would; dist/ is built by `npm ci` (prepare) or build:ts.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const probeScript = path.join(root, 'dist', 'scripts', 'probe.js');
const builtEntry = path.join(root, 'dist', 'src', 'index.js');

interface KernelRow {
  kind: string;
  name: string;
  supported: boolean;
  active: boolean;
  needs: string;
}

interface ProbeJson {
  node: string;
  platform: string;
  cpu: {
    arch: string;
    vendor: string;
    logicalCores: number;
    availableParallelism: number;
    cache: Record<string, number>;
  };
  features: Record<string, unknown>;
  kernels: KernelRow[];
  selected: Record<'match' | 'hash', { kernel: string | null; forced: boolean; reason: string; best: string | null }>;
  calibration: null | {
    match: Array<{ kernel: string; nsPerKey: number }>;
    hash: Array<{ kernel: string; nsPerKey: number; gbPerSec: number }>;
  };
}

/** The test's environment without any TOPHASH_* override, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TOPHASH_')) env[k] = v;
  return { ...env, ...extra };
}

function run(args: string[], extra: Record<string, string> = {}): string {
  return execFileSync(process.execPath, [probeScript, ...args], {
    env: cleanEnv(extra),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function probeJson(args: string[], extra: Record<string, string> = {}): ProbeJson {
  return JSON.parse(run(['--json', ...args], extra)) as ProbeJson;
}

/** cpu() and kernels() as a fresh process with the same environment sees them. */
function library(extra: Record<string, string> = {}): { features: Record<string, boolean>; kernels: KernelRow[] } {
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      `const t = require(${JSON.stringify(builtEntry)}); console.log(JSON.stringify({ features: t.cpu().features, kernels: t.kernels() }));`,
    ],
    { env: cleanEnv(extra), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return JSON.parse(out) as { features: Record<string, boolean>; kernels: KernelRow[] };
}

describe('probe --json --no-calibrate', () => {
  let report: ProbeJson;
  let lib: ReturnType<typeof library>;
  beforeAll(() => {
    report = probeJson(['--no-calibrate']);
    lib = library();
  });

  it('is one JSON object naming Node, the platform and the CPU, without timings', () => {
    expect(report.node).toBe(process.version);
    expect(report.platform).toBe(process.platform);
    expect(typeof report.cpu.vendor).toBe('string');
    expect(report.cpu.availableParallelism).toBeGreaterThanOrEqual(1);
    for (const bytes of Object.values(report.cpu.cache)) expect(Number.isInteger(bytes) && bytes > 0).toBe(true);
    expect(report.calibration).toBeNull();
  });

  it('reports every feature as a boolean, as cpu() does', () => {
    expect(Object.keys(report.features).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(report.features)) expect(typeof value, name).toBe('boolean');
    expect(report.features).toEqual(lib.features);
  });

  it('agrees with /proc/cpuinfo flags on Linux x86-64', () => {
    if (process.platform !== 'linux' || report.cpu.arch !== 'x64') return;
    const flags = new Set(
      fs
        .readFileSync('/proc/cpuinfo', 'utf8')
        .match(/^flags\s*:(.*)$/m)![1]
        .trim()
        .split(/\s+/),
    );
    for (const [name, present] of Object.entries(report.features)) {
      if (name.startsWith('os_')) continue;
      // cpu() reports AVX-family features (and VAES, VPCLMULQDQ) only when the
      // OS also saves their register state: reported => in flags, not the converse.
      if (name.startsWith('avx') || name === 'vaes' || name === 'vpclmulqdq') {
        if (present) expect(flags.has(name), name).toBe(true);
      } else {
        expect(present, name).toBe(flags.has(name));
      }
    }
  });

  it('agrees with /proc/cpuinfo Features on Linux arm64', () => {
    if (process.platform !== 'linux' || report.cpu.arch !== 'arm64') return;
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^Features\s*:(.*)$/m);
    if (!line) return;
    const flags = new Set(line[1].trim().split(/\s+/));
    for (const [name, present] of Object.entries(report.features)) expect(present, name).toBe(flags.has(name));
  });

  it('lists exactly what kernels() lists, and says the selection is the best supported', () => {
    expect(report.kernels).toEqual(lib.kernels);
    for (const kind of ['match', 'hash'] as const) {
      const active = lib.kernels.find((k) => k.kind === kind && k.active)!.name;
      expect(report.selected[kind]).toMatchObject({
        kernel: active,
        forced: false,
        reason: 'best supported',
        best: active,
      });
    }
  });
});

describe('probe with TOPHASH_FORCE_MATCH', () => {
  it('says swar is selected and forced', () => {
    const env = { TOPHASH_FORCE_MATCH: 'swar' };
    const report = probeJson(['--no-calibrate'], env);
    const best = library().kernels.find((k) => k.kind === 'match' && k.active)!.name;
    expect(report.selected.match).toMatchObject({
      kernel: 'swar',
      forced: true,
      reason: 'forced by TOPHASH_FORCE_MATCH',
      best,
    });
    expect(report.selected.hash.forced).toBe(false);
    expect(report.kernels).toEqual(library(env).kernels);
    expect(report.kernels.filter((k) => k.kind === 'match' && k.active).map((k) => k.name)).toEqual(['swar']);
    expect(run([], env)).toMatch(/^\s*match\s+swar\s+forced by TOPHASH_FORCE_MATCH=swar/m);
  });

  it('reports a rejected forced name instead of crashing', () => {
    const report = probeJson(['--no-calibrate'], { TOPHASH_FORCE_MATCH: 'avx9000' });
    expect(report.selected.match.kernel).toBeNull();
    expect(report.selected.match).toMatchObject({ forced: true });
    expect((report.selected.match as { error?: string }).error).toMatch(/TOPHASH_FORCE_MATCH but received 'avx9000'/);
  });
});

describe('probe --json (calibrated)', () => {
  it('gives every supported kernel a positive finite ns per key (and hash kernels GB/s)', () => {
    const report = probeJson([]);
    const cal = report.calibration!;
    expect(cal).not.toBeNull();
    const supported = (kind: string) => report.kernels.filter((k) => k.kind === kind && k.supported).map((k) => k.name);
    expect(cal.match.map((t) => t.kernel)).toEqual(supported('match'));
    expect(cal.hash.map((t) => t.kernel)).toEqual(supported('hash'));
    for (const t of [...cal.match, ...cal.hash]) {
      expect(Number.isFinite(t.nsPerKey) && t.nsPerKey > 0, `${t.kernel} ${t.nsPerKey}`).toBe(true);
    }
    for (const t of cal.hash) expect(Number.isFinite(t.gbPerSec) && t.gbPerSec > 0, `${t.kernel}`).toBe(true);
  });
});

describe('probe (table)', () => {
  it('names Node, the platform, every feature and every kernel', () => {
    const text = run(['--no-calibrate']);
    const lib = library();
    expect(text).toContain(process.version);
    expect(text).toContain(process.platform);
    for (const name of Object.keys(lib.features)) expect(text).toMatch(new RegExp(`^\\s*${name}\\s+(yes|no)\\b`, 'm'));
    for (const k of lib.kernels) {
      expect(text).toMatch(new RegExp(`^\\s*${k.kind}\\s+${k.name}\\s+(yes|no)\\b`, 'm'));
    }
  });

  it('shows timings in the kernel rows by default', () => {
    const text = run([]);
    expect(text).toContain('ns/key');
    expect(text).toMatch(/^Calibration: median of \d+ runs/m);
  });

  it('rejects an unknown option with usage and exit code 2', () => {
    let status: number | null = null;
    try {
      run(['--bogus']);
    } catch (err) {
      status = (err as { status: number | null }).status;
    }
    expect(status).toBe(2);
  });
});
