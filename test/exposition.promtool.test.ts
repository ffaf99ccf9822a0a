// Prometheus' own checker on our output: `promtool check metrics` (Debian
// package `prometheus`, installed by .ci/run) parses the text with the same
// code the server scrapes with and lints it. Skipped, loudly, where promtool is
// not installed.
import { spawnSync } from 'node:child_process';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { Aggregator } from '../src/metrics/aggregator';
import { renderPrometheus, type ExpositionFamily } from '../src/metrics/exposition';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const haveProm = promtool.status === 0;
if (!haveProm) {
  console.warn('SKIPPED promtool tests: `promtool` is not on PATH (apt-get install prometheus); CI installs it.');
}

function check(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const AWKWARD = [
  'plain',
  'quote " inside',
  'back\\slash',
  'new\nline',
  '\\"\n\\n',
  'unicode ☃ é 𝄞 中文',
  '',
  ' ',
  '{}=,',
];

describe.skipIf(!haveProm)('promtool check metrics', () => {
  it('accepts every metric type with awkward label values and HELP text', () => {
    const families: ExpositionFamily[] = [
      {
        name: 'http_request_duration_seconds',
        help: 'Latency with "quotes", a back\\slash\nand a newline ☃',
        type: 'histogram',
        labelNames: ['route', 'method'],
        bounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        series: AWKWARD.map((v, i) => ({
          labelValues: [v, i % 2 ? 'GET' : 'POST'],
          buckets: Array.from({ length: 12 }, (_, j) => (i * j) % 5),
          count: Array.from({ length: 12 }, (_, j) => (i * j) % 5).reduce((a, b) => a + b, 0),
          sum: i * 1.25,
        })),
      },
      {
        name: 'jobs_processed_total',
        help: 'Jobs',
        type: 'counter',
        labelNames: ['queue'],
        series: AWKWARD.map((v, i) => ({ labelValues: [v], value: i })),
      },
      {
        name: 'queue_depth',
        help: 'Depth',
        type: 'gauge',
        labelNames: ['queue'],
        series: AWKWARD.map((v, i) => ({ labelValues: [v], value: i === 0 ? NaN : i === 1 ? -Infinity : -i / 3 })),
      },
      {
        name: 'rpc_duration_seconds',
        help: 'RPC',
        type: 'summary',
        labelNames: ['peer'],
        series: AWKWARD.map((v, i) => ({ labelValues: [v], count: i, sum: i / 7 })),
      },
      { name: 'build_info', help: 'Build', type: 'gauge', labelNames: [], series: [{ labelValues: [], value: 1 }] },
    ];
    const result = check(renderPrometheus(families));
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('accepts random histogram families with random label values', () => {
    const familyArb = fc.record({
      labelNames: fc
        .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), { maxLength: 3 })
        .filter((l) => !l.includes('le')),
      bounds: fc
        .uniqueArray(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 10 })
        .map((b) => b.filter((x) => !Object.is(x, -0)).sort((x, y) => x - y)),
      help: fc.string({ unit: 'grapheme' }),
    });
    const values = fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '☃', '𝄞', 'n', ' ') });
    const families = fc.sample(familyArb, { numRuns: 25, seed: 4 }).map((f, i): ExpositionFamily => ({
      name: `random_${i}_seconds`,
      help: `h${f.help}`,
      type: 'histogram',
      labelNames: f.labelNames,
      bounds: f.bounds,
      series: fc
        .sample(fc.array(values, { minLength: f.labelNames.length, maxLength: f.labelNames.length }), {
          numRuns: 4,
          seed: i,
        })
        .filter((lv, j, all) => all.findIndex((o) => JSON.stringify(o) === JSON.stringify(lv)) === j)
        .map((labelValues, j) => ({ labelValues, buckets: f.bounds.map((_, k) => k + j).concat([1]), sum: j })),
    }));
    const result = check(renderPrometheus(families));
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('accepts trimmed log2 and linear histograms, and le written exactly past 2^53', () => {
    using log2 = new Aggregator({ key: { labels: ['route'] }, hist: { log2: { k: 1 } } });
    using linear = new Aggregator({ key: 'u64', hist: { linear: { min: 0, max: 100, step: 10 } } });
    for (let i = 0; i < 200; i++) {
      log2.record({ route: `/r${i % 3}` }, (i % 7) * 1000 + 2 ** (i % 63));
      linear.record(i % 4, (i * 37) % 120);
    }
    const text =
      log2.toPrometheus({ name: 'log2_bytes', help: 'h' }) + linear.toPrometheus({ name: 'linear_seconds', help: 'h' });
    expect(text).toContain('le="4611686018427387904"');
    const result = check(text);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('is a real check: it rejects a malformed document', () => {
    expect(check('# TYPE x counter\nx{a="unterminated} 1\n').status).not.toBe(0);
  });
});
