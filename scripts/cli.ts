#!/usr/bin/env node
// The `tophash` command an installed package puts on PATH (`npx tophash ...`):
// the hardware probe runs in this process; the bench runs in a child node
// with --expose-gc, which its gc() between samples needs and which cannot be
// turned on once this process has started.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { probeMain } from './probe/main';

const USAGE = `Usage: tophash <command> [options]

Commands:
  probe [--json] [--no-calibrate]    what this machine offers tophash: CPU features, kernels, timings
  bench [--quick] [--workloads W1,W6] [--sizes 1e3,1e5] [--out dir] [--no-progress]
                                     the benchmark suite (reports go to --out, default ./tophash-bench)

Options:
  -v, --version   print tophash's version
  -h, --help      this text; \`tophash <command> --help\` for a command's options
`;

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function bench(argv: string[]): number {
  const script = path.join(__dirname, '..', 'bench', 'run.js');
  // A full run's reports belong with the user, not inside node_modules; --quick already goes to the temp dir.
  const wantsDefaultOut = !argv.some((a) => a === '--out' || a.startsWith('--out=') || a === '--quick');
  const args = wantsDefaultOut ? [...argv, '--out', path.resolve('tophash-bench')] : argv;
  const r = spawnSync(process.execPath, ['--expose-gc', script, ...args], { stdio: 'inherit' });
  if (r.error !== undefined) throw r.error;
  return r.status ?? 1;
}

function main(argv: string[]): number {
  let parsed;
  try {
    // Only the command and the top-level flags are parsed here; each command parses its own options.
    parsed = parseArgs({
      args: argv.slice(0, 1),
      options: {
        version: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`tophash: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command] = parsed.positionals;
  if (parsed.values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (parsed.values.help || command === undefined) {
    (command === undefined && !parsed.values.help ? process.stderr : process.stdout).write(USAGE);
    return parsed.values.help ? 0 : 2;
  }
  const rest = argv.slice(1);
  if (command === 'probe') return probeMain(rest, 'tophash probe');
  if (command === 'bench') return bench(rest);
  process.stderr.write(`tophash: unknown command '${command}'\n\n${USAGE}`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
