// maxSeries: past the limit, new label sets share one overflow series labelled
// otel_metric_overflow="true" (as OpenTelemetry does), counted, never dropped;
// label sets seen before keep their series; memory stays bounded.
import * as client from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

import { Counter, Gauge, Histogram, Registry, Summary } from '../src/prom';
import type { IndexedSeries, LabelIndex } from '../src/metrics/label-index';
import { seriesKey, storedSamples } from './exposition-parser';

afterEach(() => {
  client.register.clear();
});

const OVERFLOW = { otel_metric_overflow: 'true' };

function sample(text: string, name: string, labels: Record<string, string>, le = ''): number | string | undefined {
  return storedSamples(text).get(`${name} ${seriesKey(labels)} ${le}`);
}

/** The metric's label index, to look at what it holds. */
function indexOf(metric: object): LabelIndex<IndexedSeries> {
  return (metric as unknown as { index: LabelIndex<IndexedSeries> }).index;
}

/** A sample's labels, whatever label names the metric has (the overflow label among them). */
const labelsOf = (v: { labels: object }): Record<string, unknown> => v.labels as Record<string, unknown>;

describe('maxSeries on a Histogram', () => {
  for (const offload of [false, true]) {
    it(`sends new label sets past the limit to the overflow series${offload ? ' (offload)' : ''}`, async () => {
      const registry = new Registry();
      const h = new Histogram({
        name: 'latency_seconds',
        help: 'Latency',
        labelNames: ['route'],
        buckets: [1, 10],
        maxSeries: 2,
        offload,
        registers: [registry],
      });
      h.observe({ route: '/a' }, 0.5);
      h.observe({ route: '/b' }, 5);
      h.observe({ route: '/c' }, 0.5); // past the limit
      h.observe({ route: '/d' }, 50); // past the limit
      h.observe({ route: '/a' }, 2); // seen before: its own series
      const child = h.labels({ route: '/e' }); // past the limit, through a handle
      child.observe(7);
      child.observe(8);

      expect(h.overflowEvents).toBe(4);
      const text = await registry.metrics();
      expect(sample(text, 'latency_seconds_count', { route: '/a' })).toBe(2);
      expect(sample(text, 'latency_seconds_count', { route: '/b' })).toBe(1);
      expect(sample(text, 'latency_seconds_count', { route: '/c' })).toBeUndefined();
      expect(sample(text, 'latency_seconds_count', OVERFLOW)).toBe(4);
      expect(sample(text, 'latency_seconds_sum', OVERFLOW)).toBe(65.5);
      expect(sample(text, 'latency_seconds_bucket', OVERFLOW, '1')).toBe(1);
      expect(sample(text, 'latency_seconds_bucket', OVERFLOW, '10')).toBe(3);
      expect(sample(text, 'latency_seconds_bucket', OVERFLOW, 'Infinity')).toBe(4);
      // One HELP/TYPE: the overflow series belongs to the family.
      expect(text.match(/# TYPE latency_seconds /g)).toHaveLength(1);
      expect(text).toContain('latency_seconds_count{otel_metric_overflow="true"} 4\n');

      const json = await h.get();
      const overflowCount = json.values.find(
        (v) => v.metricName === 'latency_seconds_count' && labelsOf(v).otel_metric_overflow === 'true',
      );
      expect(overflowCount?.value).toBe(4);
      expect(json.values.filter((v) => v.metricName === 'latency_seconds_count')).toHaveLength(3);
    });
  }

  it('counts a value at a bound in that bound (le is upper-inclusive), as the aggregator does', async () => {
    const registry = new Registry();
    const h = new Histogram({
      name: 'h',
      help: 'h',
      labelNames: ['k'],
      buckets: [1, 2],
      maxSeries: 1,
      registers: [registry],
    });
    for (const v of [0, 1, 1.5, 2, 3]) {
      h.observe({ k: 'a' }, v);
      h.observe({ k: 'b' }, v);
    }
    const text = await registry.metrics();
    for (const le of ['1', '2', 'Infinity']) {
      expect(sample(text, 'h_bucket', OVERFLOW, le)).toBe(sample(text, 'h_bucket', { k: 'a' }, le));
    }
  });

  it('keeps a zero() of a label set past the limit from making a series', async () => {
    const h = new Histogram({ name: 'h', help: 'h', labelNames: ['k'], maxSeries: 1 });
    h.zero({ k: 'a' });
    h.zero({ k: 'b' });
    expect(indexOf(h).size).toBe(1);
    expect((await h.get()).values.some((v) => labelsOf(v).otel_metric_overflow !== undefined)).toBe(false);
  });
});

describe('maxSeries on a Counter and a Gauge', () => {
  it('adds the increments of label sets past the limit into the overflow series', async () => {
    const registry = new Registry();
    const c = new Counter({
      name: 'jobs_total',
      help: 'Jobs',
      labelNames: ['queue'],
      maxSeries: 2,
      registers: [registry],
    });
    for (let i = 0; i < 100; i++) c.inc({ queue: `q${i}` }, 2);
    c.labels(`q99`).inc(5); // a handle past the limit
    c.labels('q0').inc(); // a handle on a series of its own
    expect(c.overflowEvents).toBe(99);
    const text = await registry.metrics();
    expect(sample(text, 'jobs_total', { queue: 'q0' })).toBe(3);
    expect(sample(text, 'jobs_total', { queue: 'q1' })).toBe(2);
    expect(sample(text, 'jobs_total', OVERFLOW)).toBe(98 * 2 + 5);
    expect(text.match(/# TYPE jobs_total /g)).toHaveLength(1);
    const json = await c.get();
    expect(json.values).toContainEqual({ value: 201, labels: OVERFLOW });
  });

  it('keeps the overflow labels on a Gauge whatever label set sets it', async () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'depth', help: 'Depth', labelNames: ['queue'], maxSeries: 1, registers: [registry] });
    g.set({ queue: 'a' }, 1);
    g.set({ queue: 'b' }, 7);
    g.labels('c').inc(3);
    g.dec({ queue: 'd' });
    expect(g.overflowEvents).toBe(3);
    const json = await g.get();
    expect(json.values).toEqual([
      { value: 1, labels: { queue: 'a' } },
      { value: 9, labels: OVERFLOW },
    ]);
  });

  it('renders the overflow series in OpenMetrics and with default labels (prom-client formatting)', async () => {
    const om = new Registry(Registry.OPENMETRICS_CONTENT_TYPE);
    const c = new Counter({ name: 'jobs_total', help: 'Jobs', labelNames: ['queue'], maxSeries: 1, registers: [om] });
    c.inc({ queue: 'a' });
    c.inc({ queue: 'b' });
    expect(await om.metrics()).toContain('jobs_total{otel_metric_overflow="true"} 1\n');
    const withDefaults = new Registry();
    const g = new Gauge({
      name: 'depth',
      help: 'Depth',
      labelNames: ['queue'],
      maxSeries: 1,
      registers: [withDefaults],
    });
    g.set({ queue: 'a' }, 1);
    g.set({ queue: 'b' }, 2);
    withDefaults.setDefaultLabels({ app: 'x' });
    expect(await withDefaults.metrics()).toContain('depth{otel_metric_overflow="true",app="x"} 2\n');
  });
});

describe('maxSeries on a Summary', () => {
  it('observes label sets past the limit into the overflow series and its own window', async () => {
    const registry = new Registry({ selfMetrics: true });
    const s = new Summary({
      name: 'rpc_seconds',
      help: 'RPC',
      labelNames: ['route'],
      percentiles: [0.5, 1],
      maxSeries: 2,
      registers: [registry] as Registry[],
    });
    s.observe({ route: '/a' }, 1);
    s.observe({ route: '/b' }, 2);
    for (let i = 1; i <= 99; i++) s.observe({ route: `/x${i}` }, i);
    s.labels('/x100').observe(100); // a handle past the limit
    s.labels('/a').observe(3); // a handle on a series of its own
    expect(s.overflowEvents).toBe(100);
    expect(indexOf(s).size).toBe(2);
    const text = await registry.metrics();
    expect(sample(text, 'rpc_seconds_count', { route: '/a' })).toBe(2);
    expect(sample(text, 'rpc_seconds_count', OVERFLOW)).toBe(100);
    expect(sample(text, 'rpc_seconds_sum', OVERFLOW)).toBe(5050);
    // The overflow series' quantiles come from its own window (1..100), within the sketch's 1 %.
    const median = Number(sample(text, 'rpc_seconds', { ...OVERFLOW, quantile: '0.5' }));
    expect(Math.abs(median - 50) / 50).toBeLessThanOrEqual(0.01);
    expect(Number(sample(text, 'rpc_seconds', { ...OVERFLOW, quantile: '1' }))).toBeCloseTo(100, 0);
    expect(Number(sample(text, 'rpc_seconds', { route: '/a', quantile: '1' }))).toBeCloseTo(3, 1);
    expect(sample(text, 'tophash_series', { metric: 'rpc_seconds' })).toBe(3);
    expect(sample(text, 'tophash_overflow_events_total', { metric: 'rpc_seconds' })).toBe(100);
    s.reset();
    expect(sample(await registry.metrics(), 'rpc_seconds_count', OVERFLOW)).toBe(0);
  });
});

describe('memory under endless label values', () => {
  it('holds at most maxSeries series and no trie node for a label set past the limit', () => {
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['user', 'route'], maxSeries: 10 });
    for (let i = 0; i < 10_000; i++) c.inc({ user: `u${i}`, route: '/x' });
    const index = indexOf(c);
    expect(index.size).toBe(10);
    expect(Object.keys(index.root)).toHaveLength(10);
    expect(c.overflowEvents).toBe(9_990);
  });

  it('takes out the trie nodes a removed series leaves empty', () => {
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['user', 'route'] });
    for (let i = 0; i < 1000; i++) {
      c.inc({ user: `u${i}`, route: '/x' });
      c.remove({ user: `u${i}`, route: '/x' });
    }
    const index = indexOf(c);
    expect(index.size).toBe(0);
    expect(Object.keys(index.root)).toHaveLength(0);
    expect(index.nodes).toBe(0);
  });
});

describe('maxSeries with shared', () => {
  it('throws at construction, before the metric is registered', () => {
    const registry = new Registry();
    for (const Metric of [Histogram, Counter, Gauge] as const) {
      expect(
        () =>
          new Metric({
            name: 'm',
            help: 'm',
            labelNames: ['k'],
            maxSeries: 5,
            shared: { name: 'x' },
            registers: [registry],
          }),
      ).toThrow(
        'Expected no maxSeries on a metric shared between processes (series past the limit would be counted outside shared memory) for config.maxSeries but received 5',
      );
    }
    expect(registry.getMetricsAsArray()).toHaveLength(0);
  });

  it('refuses native buckets too, naming config.native, before the metric is registered', () => {
    const registry = new Registry();
    const create = () =>
      new Histogram({
        name: 'h',
        help: 'h',
        native: { schema: 3 },
        shared: { name: 'x' },
        registers: [registry],
      });
    expect(create).toThrow(RangeError);
    expect(create).toThrow(
      'Expected no native on a metric shared between processes (native buckets are counted in each process, outside shared memory) for config.native but received an object',
    );
    expect(registry.getMetricsAsArray()).toHaveLength(0);
  });
});
