// tophash/prom's Summary against prom-client's on the same observations:
// quantiles within the sketch's stated relative error of the exact ones (and
// so close to prom-client's t-digest), _sum and _count exact, and the same
// sliding window under a fake clock.
import { spawnSync } from 'node:child_process';

import * as client from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { Registry, Summary } from '../src/prom';
import * as promEsm from '../src/prom.mjs';

afterEach(() => {
  vi.useRealTimers();
  client.register.clear();
});

const PERCENTILES = [0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999];
const RELATIVE_ERROR = 0.01;
// prom-client's t-digest has no stated bound and interpolates between neighbouring values (far apart
// in a sparse tail): both summaries must lie between the order statistics this far in rank either
// side of q, widened by the relative error.
const RANK_SLACK = 0.002;

/** Deterministic latency-like values: log-normal around 50 ms, a few zeros and negatives. */
function observations(n: number, seed = 7): number[] {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s + 0.5) / 2 ** 31;
  };
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const normal = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
    out.push(i % 500 === 0 ? 0 : i % 777 === 0 ? -next() : 0.05 * Math.exp(normal));
  }
  return out;
}

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

type Values = { labels: Record<string, unknown>; value: number; metricName?: string }[];

function quantilesOf(values: Values, labels: Record<string, string> = {}): Map<number, number> {
  const out = new Map<number, number>();
  for (const v of values) {
    const { quantile, ...rest } = v.labels;
    if (quantile !== undefined && JSON.stringify(rest) === JSON.stringify(labels)) out.set(Number(quantile), v.value);
  }
  return out;
}

function withinRanks(value: number, sorted: number[], q: number): boolean {
  const n = sorted.length - 1;
  const lo = sorted[Math.max(0, Math.floor((q - RANK_SLACK) * n))];
  const hi = sorted[Math.min(n, Math.ceil((q + RANK_SLACK) * n))];
  const widen = (v: number, by: number) => v + by * Math.abs(v);
  return value >= widen(lo, -RELATIVE_ERROR) && value <= widen(hi, RELATIVE_ERROR);
}

function close(a: number, b: number, relative: number): boolean {
  return Math.abs(a - b) <= relative * Math.max(Math.abs(a), Math.abs(b)) + 1e-12;
}

describe('Summary parity with prom-client', () => {
  it('gives quantiles within 1 % of the exact ones, and near prom-client, with the same _sum and _count', async () => {
    const ours = new Summary({ name: 'latency', help: 'l', labelNames: ['route'], registers: [] });
    const theirs = new client.Summary({ name: 'latency', help: 'l', labelNames: ['route'], registers: [] });
    const data = observations(20_000);
    const child = ours.labels('/b');
    data.forEach((v, i) => {
      if (i % 2 === 0) ours.observe({ route: '/a' }, v);
      else child.observe(v);
      theirs.observe({ route: i % 2 === 0 ? '/a' : '/b' }, v);
    });
    const [a, b] = [(await ours.get()).values as Values, (await theirs.get()).values as Values];
    for (const route of ['/a', '/b']) {
      const sorted = data.filter((_, i) => (i % 2 === 0) === (route === '/a')).sort((x, y) => x - y);
      const mine = quantilesOf(a, { route });
      const reference = quantilesOf(b, { route });
      expect([...mine.keys()]).toEqual(PERCENTILES);
      for (const q of PERCENTILES) {
        const exact = exactQuantile(sorted, q);
        expect(close(mine.get(q)!, exact, RELATIVE_ERROR), `q=${q}: ${mine.get(q)} vs exact ${exact}`).toBe(true);
        expect(withinRanks(reference.get(q)!, sorted, q), `prom-client q=${q}: ${reference.get(q)}`).toBe(true);
        expect(withinRanks(mine.get(q)!, sorted, q), `q=${q}: ${mine.get(q)}`).toBe(true);
      }
    }
    const totals = (values: Values) => values.filter((v) => v.metricName !== undefined);
    const mineTotals = totals(a);
    const referenceTotals = totals(b);
    expect(mineTotals.map((v) => [v.metricName, v.labels])).toEqual(
      referenceTotals.map((v) => [v.metricName, v.labels]),
    );
    mineTotals.forEach((v, i) => expect(v.value).toBeCloseTo(referenceTotals[i].value, 9));
  });

  it('renders as prom-client does through a registry, and is the same class from the ES module entry', async () => {
    const registry = new Registry();
    const s = new Summary({ name: 'rpc_seconds', help: 'RPC', percentiles: [0.5, 0.9], registers: [registry] });
    for (let i = 1; i <= 100; i++) s.observe(i);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE rpc_seconds summary\n');
    const median = Number(/rpc_seconds\{quantile="0\.5"\} (\S+)\n/.exec(text)?.[1]);
    expect(close(median, 50, RELATIVE_ERROR), `median ${median}`).toBe(true);
    expect(text).toContain('rpc_seconds_sum 5050\nrpc_seconds_count 100\n');
    expect(promEsm.Summary).toBe(Summary);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error === undefined) expect(`${promtool.stdout}${promtool.stderr}`).toBe('');
  });

  it('keeps series on reset() at zero, removes them on remove(), and reports an empty window as 0', async () => {
    const s = new Summary({ name: 's', help: 's', labelNames: ['k'], percentiles: [0.5], registers: [] });
    s.observe({ k: 'a' }, 3);
    s.labels('b').observe(4);
    s.reset();
    expect((await s.get()).values).toEqual([
      { labels: { quantile: 0.5, k: 'a' }, value: 0 },
      { metricName: 's_sum', labels: { k: 'a' }, value: 0 },
      { metricName: 's_count', labels: { k: 'a' }, value: 0 },
      { labels: { quantile: 0.5, k: 'b' }, value: 0 },
      { metricName: 's_sum', labels: { k: 'b' }, value: 0 },
      { metricName: 's_count', labels: { k: 'b' }, value: 0 },
    ]);
    s.remove('a');
    expect((await s.get()).values).toHaveLength(3);
    expect(() => s.observe({ k: 'a' }, NaN)).toThrow(new TypeError('Value is not a valid number: NaN'));
  });
});

describe('Summary window', () => {
  it('drops values older than maxAgeSeconds as prom-client does, with a fake clock', async () => {
    vi.useFakeTimers();
    const config = { name: 'w', help: 'w', percentiles: [0.1, 0.9], maxAgeSeconds: 10, ageBuckets: 5, registers: [] };
    const ours = new Summary(config);
    const theirs = new client.Summary(config);
    const both = (v: number) => {
      ours.observe(v);
      theirs.observe(v);
    };
    const compare = async (expected: [number, number]) => {
      const mine = quantilesOf((await ours.get()).values);
      const reference = quantilesOf((await theirs.get()).values);
      for (const [i, q] of [0.1, 0.9].entries()) {
        expect(close(mine.get(q)!, expected[i], RELATIVE_ERROR), `q=${q}: ${mine.get(q)}`).toBe(true);
        expect(close(reference.get(q)!, expected[i], RELATIVE_ERROR), `prom-client q=${q}`).toBe(true);
      }
    };
    for (let i = 0; i < 100; i++) both(1);
    vi.advanceTimersByTime(4_000);
    for (let i = 0; i < 100; i++) both(100);
    await compare([1, 100]);
    vi.advanceTimersByTime(6_500); // the first values' period has left the window
    await compare([100, 100]);
    both(7);
    vi.advanceTimersByTime(60_000); // idle past the whole window
    expect(quantilesOf((await ours.get()).values as Values).get(0.9)).toBe(0);
    expect(quantilesOf((await theirs.get()).values as Values).get(0.9)).toBe(0);
    // _sum and _count cover every observation, windowed or not.
    const count = ((await ours.get()).values as Values).find((v) => v.metricName === 'w_count');
    expect(count?.value).toBe(201);
  });

  it('prunes a series whose window is empty with pruneAgedBuckets', async () => {
    vi.useFakeTimers();
    const s = new Summary({
      name: 'p',
      help: 'p',
      labelNames: ['k'],
      maxAgeSeconds: 1,
      ageBuckets: 2,
      pruneAgedBuckets: true,
      registers: [],
    });
    s.observe({ k: 'a' }, 1);
    expect((await s.get()).values.length).toBeGreaterThan(0);
    vi.advanceTimersByTime(2_000);
    expect((await s.get()).values).toEqual([]);
  });
});

describe('Summary options', () => {
  it('rejects hostile percentiles, maxAgeSeconds and ageBuckets, naming them', () => {
    const cases: [object, Error][] = [
      [
        { percentiles: [0.5, 1.5] },
        new RangeError('Expected a number in [0, 1] for config.percentiles[1] but received 1.5'),
      ],
      [
        { percentiles: [NaN] },
        new RangeError('Expected a number in [0, 1] for config.percentiles[0] but received NaN'),
      ],
      [
        { percentiles: ['0.5'] },
        new TypeError("Expected a number in [0, 1] for config.percentiles[0] but received string '0.5'"),
      ],
      [{ percentiles: 0.5 }, new TypeError('Expected an array of quantiles for config.percentiles but received 0.5')],
      [{ maxAgeSeconds: -1 }, new RangeError('Expected a positive number for config.maxAgeSeconds but received -1')],
      [
        { maxAgeSeconds: Infinity },
        new RangeError('Expected a positive number for config.maxAgeSeconds but received Infinity'),
      ],
      [{ ageBuckets: 0 }, new RangeError('Expected a positive integer for config.ageBuckets but received 0')],
      [{ ageBuckets: 2.5 }, new RangeError('Expected a positive integer for config.ageBuckets but received 2.5')],
      [{ maxSeries: 0 }, new RangeError('Expected an integer in [1, 2^31] for config.maxSeries but received 0')],
      [
        { maxSeries: '10' },
        new TypeError("Expected an integer in [1, 2^31] for config.maxSeries but received string '10'"),
      ],
      [{ ttl: 1.5 }, new RangeError('Expected a positive integer (ms) for config.ttl but received 1.5')],
      [{ ttl: -1000 }, new RangeError('Expected a positive integer (ms) for config.ttl but received -1000')],
    ];
    for (const [options, error] of cases) {
      expect(() => new Summary({ name: 'x', help: 'x', registers: [], ...options })).toThrow(error.message);
      expect(() => new Summary({ name: 'x', help: 'x', registers: [], ...options })).toThrow(error.constructor);
    }
  });
});
