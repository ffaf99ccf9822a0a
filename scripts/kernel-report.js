// Which kernels ran, and where: reads the GoogleTest JSON results of the
// native runs (scripts/test-native.sh, scripts/test-aarch64.sh) and prints a
// Markdown table with, for every match and hash kernel, the tests that
// exercised it in each run: natively on this x86-64 CPU, as an SSE2-only CPU
// (TOPHASH_CPU_MASK), under ASan/UBSan, and on aarch64 under qemu. A kernel
// whose tests were skipped or never instantiated says why instead of a count,
// so a CI log tells a kernel that passed from one that never ran.
//   node scripts/kernel-report.js      (from the repository root)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const MATCH = ['scalar', 'swar', 'sse2', 'avx2', 'avx512', 'neon'];
const HASH = ['aes', 'vaes', 'aes-portable', 'fold'];
const X86_ONLY = new Set(['sse2', 'avx2', 'avx512', 'aes', 'vaes']);
const RUNS = [
  { dir: 'build-native-release', label: 'release', title: 'x86-64, native', arch: 'x64', how: 'native' },
  { dir: 'build-native-release', label: 'sse2-only', title: 'x86-64 as SSE2-only', arch: 'x64', how: 'native' },
  { dir: 'build-native-sanitize', label: 'sanitize', title: 'x86-64, ASan/UBSan', arch: 'x64', how: 'native' },
  { dir: 'build-aarch64', label: 'results', title: 'aarch64, qemu', arch: 'arm64', how: 'emulated' },
];

/** The kernels a test exercises, from its suite and parameter names. */
function kernelsOf(suite, name) {
  const out = [];
  const m = /^Match_(\w+)$/.exec(suite);
  if (m) out.push(m[1]);
  const param = `${suite}.${name}`.split('/').pop();
  const pair = new RegExp(`^(${MATCH.join('|')})_(.+)$`).exec(param);
  const hashPart = (pair ? pair[2] : param).replace(/_/g, '-');
  if (pair) out.push(pair[1]);
  if (HASH.includes(hashPart)) out.push(hashPart);
  return out;
}

function readRun(run) {
  const dir = path.join(root, run.dir);
  if (!fs.existsSync(dir)) return null;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f === `${run.label}.json` || (f.startsWith(`results-${run.label}-`) && f.endsWith('.json')));
  if (files.length === 0) return null;
  const counts = new Map(); // kernel -> { passed, skipped, failed }
  for (const f of files) {
    const json = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    for (const suite of json.testsuites) {
      for (const t of suite.testsuite) {
        for (const k of kernelsOf(suite.name, t.name)) {
          const c = counts.get(k) ?? { passed: 0, skipped: 0, failed: 0 };
          if (t.failures?.length) c.failed++;
          else if (t.result === 'SKIPPED' || t.status === 'NOTRUN') c.skipped++;
          else c.passed++;
          counts.set(k, c);
        }
      }
    }
  }
  return counts;
}

function cell(run, counts, kernel) {
  if (counts === null) return 'not run';
  if (run.arch === 'arm64' && X86_ONLY.has(kernel)) return '—';
  if (run.arch === 'x64' && kernel === 'neon') return '—';
  const c = counts.get(kernel);
  // A kernel the CPU lacks has its suites skipped; a name check may still pass.
  if (!c || c.passed + c.failed === 0 || (c.failed === 0 && c.skipped >= c.passed))
    return c?.skipped ? `skipped (${c.skipped}): CPU lacks it` : 'not run: CPU lacks it';
  const parts = [`${c.passed} passed`];
  if (c.failed) parts.push(`**${c.failed} failed**`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  return `${run.how}: ${parts.join(', ')}`;
}

const results = RUNS.map((run) => readRun(run));
const lines = [
  `| kernel | kind | ${RUNS.map((r) => r.title).join(' | ')} |`,
  `|---|---|${RUNS.map(() => '---').join('|')}|`,
];
const summary = { native: [], emulated: [], never: [] };
for (const [kind, names] of [
  ['match', MATCH],
  ['hash', HASH],
]) {
  for (const k of names) {
    const cells = RUNS.map((run, i) => cell(run, results[i], k));
    lines.push(`| ${k} | ${kind} | ${cells.join(' | ')} |`);
    const ran = (how) => cells.some((c, i) => RUNS[i].how === how && c.startsWith(`${how}:`));
    if (ran('native')) summary.native.push(k);
    if (ran('emulated')) summary.emulated.push(k);
    if (!ran('native') && !ran('emulated')) summary.never.push(k);
  }
}
lines.push(
  '',
  `Ran natively: ${summary.native.join(', ') || 'none'}. ` +
    `Under emulation: ${summary.emulated.join(', ') || 'none'}. ` +
    `Not at all: ${summary.never.join(', ') || 'none'}.`,
);
process.stdout.write(lines.join('\n') + '\n');
