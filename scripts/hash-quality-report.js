// Turns the QUALITY and AVALANCHE lines of the hash quality suites (stdin)
// into Markdown tables. The three AES kernels must agree line for line (they
// are one function); their rows are merged into one "aes family" row, and a
// disagreement is reported instead of hidden.
'use strict';
const out = [];
const print = (line) => out.push(line);
const lines = require('node:fs').readFileSync(0, 'utf8').split('\n');
const cells = (line) => line.split('|').map((c) => c.trim());
const family = (kernel) => (kernel === 'fold' ? 'fold' : 'aes');

const keysets = new Map();
const disagreements = [];
for (const line of lines.filter((l) => l.startsWith('QUALITY |'))) {
  const [, keyset, kernel, seed, n, c64, e64, lo, hi, e32, zLow, zTop] = cells(line);
  const key = `${keyset}\u0000${family(kernel)}`;
  const row = keysets.get(key) ?? { keyset, family: family(kernel), kernels: new Set(), seeds: new Map() };
  row.kernels.add(kernel);
  const result = {
    n: +n,
    c64: +c64,
    e64: +e64,
    lo: +lo,
    hi: +hi,
    e32: +e32,
    z: Math.max(Math.abs(+zLow), Math.abs(+zTop)),
  };
  const before = row.seeds.get(seed);
  if (before && JSON.stringify(before) !== JSON.stringify(result))
    disagreements.push(`${keyset} ${kernel} seed ${seed}`);
  row.seeds.set(seed, result);
  keysets.set(key, row);
}

const fmt = (x) => (x < 0.01 ? x.toExponential(1) : x.toFixed(1));
print(
  '| keyset | family (kernels) | keys | seeds | 64-bit collisions (expected) | low-32 collisions (expected) | high-32 collisions | worst chi-square z |',
);
print('|---|---|---:|---:|---:|---:|---:|---:|');
for (const row of keysets.values()) {
  const r = [...row.seeds.values()];
  const sum = (f) => r.reduce((a, x) => a + f(x), 0);
  print(
    `| \`${row.keyset}\` | ${row.family} (${[...row.kernels].join(', ')}) | ${r[0].n.toLocaleString('en')} | ${r.length} | ` +
      `${sum((x) => x.c64)} (${fmt(sum((x) => x.e64))}) | ${sum((x) => x.lo)} (${fmt(sum((x) => x.e32))}) | ${sum((x) => x.hi)} | ` +
      `${Math.max(...r.map((x) => x.z)).toFixed(1)} |`,
  );
}

print('\n| kernel | key bytes | reps | worst avalanche bias | bound |');
print('|---|---:|---:|---:|---:|');
for (const line of lines.filter((l) => l.startsWith('AVALANCHE |'))) {
  const [, kernel, len, reps, worst] = cells(line);
  const m = /worst bias ([\d.]+ %) \(bound ([\d.]+ %)\)/.exec(worst);
  print(`| ${kernel} | ${len.replace(' bytes', '')} | ${reps.replace(' reps', '')} | ${m[1]} | ${m[2]} |`);
}
if (disagreements.length) {
  print(`\nAES kernels disagree on: ${disagreements.join('; ')}`);
  process.exitCode = 1;
}
process.stdout.write(out.join('\n') + '\n');
