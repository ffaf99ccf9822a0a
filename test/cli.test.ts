// The `tophash` command (dist/scripts/cli.js, the package's bin): its commands
// reach the probe and the bench with their own options, and mistakes exit 2
// with the usage. Runs the built script in a child, as npx would; dist/ is
// built by `npm ci` (prepare) or build:ts. The installed-tarball run is in
// scripts/pack-smoke.sh.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

import { missingPackage } from '../bench/missing';

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'scripts', 'cli.js');

function tophash(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tophash CLI', () => {
  it('is the package bin and starts with a node shebang', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin.tophash).toBe('dist/scripts/cli.js');
    expect(fs.readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('probe --json prints the probe report', () => {
    const r = tophash('probe', '--json', '--no-calibrate');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { tophash: string; kernels: unknown[]; calibration: unknown };
    expect(report.kernels.length).toBeGreaterThan(0);
    expect(report.calibration).toBeNull();
  });

  it('--version and --help', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(tophash('--version').stdout.trim()).toBe(pkg.version);
    const help = tophash('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/tophash probe|probe \[--json\]/);
    expect(tophash('probe', '--help').stdout).toMatch(/^Usage: tophash probe/);
  });

  it('refuses unknown commands and options with exit status 2', () => {
    for (const args of [['frobnicate'], [], ['--nope'], ['probe', '--nope'], ['bench', '--nope']]) {
      const r = tophash(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/Usage:/);
    }
  });

  it('bench refuses a workload that is not defined', () => {
    const r = tophash('bench', '--quick', '--workloads', 'W99');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown workload 'W99'/);
  });
});

describe('missingPackage (what the bench skips)', () => {
  const notFound = (name: string) =>
    Object.assign(new Error(`Cannot find module '${name}'\nRequire stack:\n- x.js`), { code: 'MODULE_NOT_FOUND' });

  it('names a missing package and how to install it', () => {
    expect(missingPackage(notFound('@node-rs/xxhash'))).toBe(
      'needs @node-rs/xxhash, which is not installed (npm install @node-rs/xxhash)',
    );
  });

  it('treats a missing file of our own, or any other error, as a bug', () => {
    expect(missingPackage(notFound('./w1'))).toBeNull();
    expect(missingPackage(notFound('/abs/w1.js'))).toBeNull();
    expect(missingPackage(new TypeError('x'))).toBeNull();
  });
});
