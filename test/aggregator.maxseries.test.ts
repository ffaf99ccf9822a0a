// Aggregator maxSeries: past the limit, new keys' events go to one overflow
// entry (exported as otel_metric_overflow="true"), counted, never dropped,
// whichever way they are recorded; the keys seen before keep their entries.
import { describe, expect, it } from 'vitest';

import { Aggregator, type LabelKey } from '../src/index';

describe('Aggregator maxSeries', () => {
  for (const offload of [false, true]) {
    it(`aggregates new u64 keys past the limit into the overflow entry${offload ? ' (offload)' : ''}`, () => {
      const agg = new Aggregator<number>({ key: 'u64', maxSeries: 2, offload });
      agg.record(1, 10);
      agg.record(2, 20);
      for (let k = 3; k < 1000; k++) agg.record(k, 1); // past the limit, keyed
      const h = agg.handle(5000); // past the limit, through a handle
      h.record(7);
      h.record(8);
      agg.record(1, 5); // seen before
      agg.recordBatch(Float64Array.of(2, 6000), Float64Array.of(1, 2));
      expect(agg.size).toBe(2);
      expect(agg.get(1)).toMatchObject({ count: 2, sum: 15 });
      expect(agg.get(2)).toMatchObject({ count: 2, sum: 21 });
      expect(agg.get(3)).toBeUndefined();
      expect(agg.overflow()).toMatchObject({ count: 997 + 3, sum: 997 + 7 + 8 + 2, min: 1, max: 8 });
      const stats = agg.stats();
      expect(stats.overflowEvents).toBe(1000);
      expect(stats.dropped).toBe(0);
      agg.close();
    });
  }

  it('gives an overflowed key its own entry once there is room again', () => {
    const agg = new Aggregator<string>({ key: 'string', maxSeries: 1 });
    const late = agg.handle('late');
    agg.record('first', 1);
    late.record(1); // overflows
    agg.record('late', 1); // overflows (the key cache's handle)
    expect(agg.delete('first')).toBe(true);
    late.record(2);
    expect(agg.get('late')).toMatchObject({ count: 1, sum: 2 });
    expect(agg.overflow()).toMatchObject({ count: 2 });
    agg.zero();
    expect(agg.overflow()).toBeUndefined();
    agg.record('other', 1);
    agg.clear();
    expect(agg.overflow()).toBeUndefined();
    expect(agg.stats().overflowEvents).toBe(3);
  });

  it('exports the overflow entry as a series labelled otel_metric_overflow="true"', async () => {
    const agg = new Aggregator<LabelKey>({ key: { labels: ['route'] }, hist: { buckets: [1, 10] }, maxSeries: 1 });
    agg.record({ route: '/a' }, 0.5);
    agg.record({ route: '/b' }, 5);
    agg.record({ route: '/c' }, 50);
    const text = agg.toPrometheus({ name: 'latency', help: 'Latency' });
    expect(text).toBe(
      [
        '# HELP latency Latency',
        '# TYPE latency histogram',
        'latency_bucket{route="/a",le="1"} 1',
        'latency_bucket{route="/a",le="10"} 1',
        'latency_bucket{route="/a",le="+Inf"} 1',
        'latency_sum{route="/a"} 0.5',
        'latency_count{route="/a"} 1',
        'latency_bucket{otel_metric_overflow="true",le="1"} 0',
        'latency_bucket{otel_metric_overflow="true",le="10"} 1',
        'latency_bucket{otel_metric_overflow="true",le="+Inf"} 2',
        'latency_sum{otel_metric_overflow="true"} 55',
        'latency_count{otel_metric_overflow="true"} 2',
        '',
      ].join('\n'),
    );
    expect(await agg.toPrometheusAsync({ name: 'latency', help: 'Latency' })).toBe(text);
    const om = agg.toPrometheus({ name: 'latency', help: 'Latency', openMetrics: true });
    expect(om.endsWith('latency_count{otel_metric_overflow="true"} 2\n# EOF\n')).toBe(true);
    const summary = new Aggregator<string>({ key: 'string', maxSeries: 1 });
    summary.record('a', 1);
    summary.record('b', 2);
    expect(summary.toPrometheus({ name: 's', help: 's' })).toContain(
      's_sum{otel_metric_overflow="true"} 2\ns_count{otel_metric_overflow="true"} 1\n',
    );
  });

  it('rejects hostile values and the options it replaces, naming them', () => {
    const cases: [object, Error][] = [
      [{ maxSeries: 0 }, new RangeError('Expected an integer in [1, 2^31] for options.maxSeries but received 0')],
      [{ maxSeries: -3 }, new RangeError('Expected an integer in [1, 2^31] for options.maxSeries but received -3')],
      [{ maxSeries: 1.5 }, new RangeError('Expected an integer in [1, 2^31] for options.maxSeries but received 1.5')],
      [{ maxSeries: NaN }, new RangeError('Expected an integer in [1, 2^31] for options.maxSeries but received NaN')],
      [
        { maxSeries: Infinity },
        new RangeError('Expected an integer in [1, 2^31] for options.maxSeries but received Infinity'),
      ],
      [
        { maxSeries: '5' },
        new TypeError("Expected an integer in [1, 2^31] for options.maxSeries but received string '5'"),
      ],
      [
        { maxSeries: 5, maxEntries: 10 },
        new RangeError(
          'Expected no maxEntries beside maxSeries (maxSeries bounds the keys) for options.maxEntries but received 10',
        ),
      ],
      [
        { maxSeries: 5, onFull: 'lru' },
        new RangeError(
          "Expected no onFull beside maxSeries (new keys past it overflow) for options.onFull but received string 'lru'",
        ),
      ],
      [
        { maxSeries: 5, shared: { name: 'tophash-maxseries-test' } },
        new RangeError(
          'Expected no maxSeries on an aggregator shared between processes (not supported yet) for options.maxSeries but received 5',
        ),
      ],
    ];
    for (const [options, error] of cases) {
      // The message and the class; the error also carries a Node-style code (errors.codes.test.ts).
      expect(() => new Aggregator({ key: 'u64', ...options })).toThrow(error.message);
      expect(() => new Aggregator({ key: 'u64', ...options })).toThrow(error.constructor);
    }
  });
});
