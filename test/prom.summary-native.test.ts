// The Summary's quantiles come from the native sketches: observations reach
// them (in staged batches), each in the period it was observed in, removed
// series free their windows, and the addon's class refuses hostile arguments
// without counting anything.
import { afterEach, describe, expect, it, vi } from 'vitest';

import { SummarySketches } from '../src/metrics/summary-sketches';
import { Summary } from '../src/prom';
import { native } from '../src/runtime/native';

afterEach(() => vi.useRealTimers());

type Values = { labels: Record<string, unknown>; value: number; metricName?: string }[];

function sketchesOf(s: Summary): SummarySketches {
  return (s as unknown as { sketches: SummarySketches }).sketches;
}

function quantile(values: Values, q: number): number | undefined {
  return values.find((v) => v.labels.quantile === q)?.value;
}

describe('Summary native sketches', () => {
  it('counts every observation in the native sketch, with its stated relative error', async () => {
    const s = new Summary({ name: 'n', help: 'n', labelNames: ['k'], percentiles: [0.5], registers: [] });
    const child = s.labels('b');
    for (let i = 1; i <= 3000; i++) {
      s.observe({ k: 'a' }, i);
      child.observe(-i);
    }
    expect(sketchesOf(s).stats()).toMatchObject({ series: 2, observations: 6000, relativeError: 0.01 });
    const values = (await s.get()).values as Values;
    expect(Math.abs(values[0].value - 1500) / 1500).toBeLessThanOrEqual(0.01);
    expect(Math.abs(values[3].value + 1500) / 1500).toBeLessThanOrEqual(0.01);
  });

  it('puts a value staged before a period ended in that period, not the one it is counted in', async () => {
    vi.useFakeTimers();
    const s = new Summary({
      name: 'w',
      help: 'w',
      percentiles: [0.1],
      maxAgeSeconds: 10,
      ageBuckets: 5,
      registers: [],
    });
    for (let i = 0; i < 100; i++) s.observe(1);
    vi.advanceTimersByTime(4_000);
    for (let i = 0; i < 100; i++) s.observe(100);
    // Nothing read yet: both batches are still staged when the first period leaves the window.
    vi.advanceTimersByTime(6_500);
    const q = quantile((await s.get()).values, 0.1)!;
    expect(Math.abs(q - 100) / 100).toBeLessThanOrEqual(0.01);
  });

  it('frees a removed or pruned series window, and a new series reuses it empty', async () => {
    const s = new Summary({ name: 'r', help: 'r', labelNames: ['k'], percentiles: [0.5], registers: [] });
    s.observe({ k: 'a' }, 5);
    s.observe({ k: 'b' }, 7);
    s.remove('a');
    expect(sketchesOf(s).stats().series).toBe(1);
    s.observe({ k: 'c' }, 9);
    expect(sketchesOf(s).stats().series).toBe(2);
    const values = (await s.get()).values as Values;
    expect(values.filter((v) => v.labels.quantile === 0.5).map((v) => [v.labels.k, Math.round(v.value)])).toEqual([
      ['b', 7],
      ['c', 9],
    ]);
  });

  it('refuses hostile arguments natively, and a bad batch counts nothing', () => {
    expect(() => new native.SummarySketches(0, 1000)).toThrow(RangeError);
    expect(() => new native.SummarySketches(1.5, 1000)).toThrow(RangeError);
    expect(() => new native.SummarySketches(2, 0)).toThrow(RangeError);
    expect(() => new native.SummarySketches(2, NaN)).toThrow(RangeError);
    expect(() => new native.SummarySketches('2' as unknown as number, 1000)).toThrow(TypeError);
    const s = new native.SummarySketches(2, 1000);
    const slot = s.open(0);
    const slots = Uint32Array.of(slot, slot + 1);
    expect(() => s.record(slots, Float64Array.of(1, 2), Float64Array.of(0, 0), 2)).toThrow(
      'Expected an open slot for slots[1] but received 1',
    );
    expect(() => s.record(Uint32Array.of(slot, slot), Float64Array.of(1, NaN), Float64Array.of(0, 0), 2)).toThrow(
      RangeError,
    );
    expect(() => s.record(Uint32Array.of(slot), Float64Array.of(1), Float64Array.of(0), 2)).toThrow(RangeError);
    expect(() => s.record(Float64Array.of(slot) as unknown as Uint32Array, Float64Array.of(1), undefined, 1)).toThrow(
      TypeError,
    );
    expect(s.stats().observations).toBe(0);
    const out = new Float64Array(1);
    expect(s.quantiles(slot, 0, Float64Array.of(0.5), out)).toBe(0);
    expect(out[0]).toBeNaN();
    expect(() => s.quantiles(slot + 7, 0, Float64Array.of(0.5), out)).toThrow(RangeError);
    s.close(slot);
    expect(() => s.reset(slot)).toThrow('Expected an open slot for slot but received 0');
  });
});
