// Collecting again when nothing changed: the producer reports what the SDK's own reader reports
// for the same measurements made through its instruments (cumulative: the same totals; delta:
// nothing), without building the points again, and sees the next change, in one series or
// through zero(), reset() and a collect callback.
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
  type CollectionResult,
  type DataPoint,
  type Histogram as OtelHistogram,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';

import { Aggregator } from '../src/index';
import { TophashMetricProducer } from '../src/otel';
import { Counter, Histogram, Registry } from '../src/prom';

const BOUNDS = [0.1, 1, 10];
const providers: MeterProvider[] = [];

afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
});

class ManualReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

type Point = DataPoint<OtelHistogram>;

/** Each metric's points as [attributes, count, sum, bucket counts], sorted. */
function view(result: CollectionResult): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const scope of result.resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      out[metric.descriptor.name] = (metric.dataPoints as Point[])
        .map((p) =>
          typeof p.value === 'number'
            ? [p.attributes, p.value]
            : [p.attributes, p.value.count, p.value.sum, p.value.buckets?.counts],
        )
        .sort((a, b) => JSON.stringify(a[0]).localeCompare(JSON.stringify(b[0])));
    }
  }
  return out;
}

function pointsOf(result: CollectionResult, name: string): Point[] {
  const metric = result.resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as Point[];
}

function latencyIn(registry: Registry): Histogram<'route'> {
  return new Histogram({
    name: 'latency',
    help: 'latency',
    labelNames: ['route'],
    buckets: BOUNDS,
    registers: [registry],
  });
}

/** The same latency histogram and counter in tophash/prom and in the SDK, collected side by side. */
function both(temporality: 'cumulative' | 'delta') {
  const registry = new Registry();
  const latency = latencyIn(registry);
  const requests = new Counter({ name: 'requests', help: 'requests', labelNames: ['route'], registers: [registry] });
  const producer = new TophashMetricProducer({ registers: [registry], temporality });
  const reader = new ManualReader({
    aggregationTemporalitySelector: () =>
      temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
  });
  const provider = new MeterProvider({
    readers: [reader],
    views: [
      {
        instrumentName: 'latency',
        aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: BOUNDS } },
      },
    ],
  });
  providers.push(provider);
  const meter = provider.getMeter('sdk');
  const sdkLatency = meter.createHistogram('latency');
  const sdkRequests = meter.createCounter('requests');
  return {
    latency,
    producer,
    observe(route: string, value: number) {
      latency.observe({ route }, value);
      requests.inc({ route });
      sdkLatency.record(value, { route });
      sdkRequests.add(1, { route });
    },
    /** Both collects, as views; the producer's result too. */
    async collect() {
      const ours = await producer.collect();
      const theirs = await reader.collect();
      expect(ours.errors).toEqual([]);
      return { ours, mine: view(ours), sdk: view(theirs) };
    },
  };
}

describe('collect of unchanged data', () => {
  for (const temporality of ['cumulative', 'delta'] as const) {
    it(`${temporality}: agrees with the SDK over repeated collects without updates, then one series updated`, async () => {
      const t = both(temporality);
      for (let i = 0; i < 50; i++) t.observe(`/r${i % 5}`, i / 7);
      const first = await t.collect();
      expect(first.mine).toEqual(first.sdk);
      expect(first.mine.latency).toHaveLength(5);
      let last = first;
      for (let i = 0; i < 3; i++) {
        const again = await t.collect();
        expect(again.mine).toEqual(again.sdk);
        if (temporality === 'delta') {
          expect(again.ours.resourceMetrics.scopeMetrics).toEqual([]);
        } else {
          // The same totals from the same start; the points' values are the ones built before.
          const [before, now] = [pointsOf(last.ours, 'latency'), pointsOf(again.ours, 'latency')];
          expect(now.map((p) => p.startTime)).toEqual(before.map((p) => p.startTime));
          now.forEach((p, j) => expect(p.value).toBe(before[j].value));
        }
        last = again;
      }
      t.observe('/r3', 5);
      const updated = await t.collect();
      expect(updated.mine).toEqual(updated.sdk);
      const points = pointsOf(updated.ours, 'latency');
      if (temporality === 'delta') {
        expect(points.map((p) => [p.attributes, p.value.count, p.value.buckets.counts])).toEqual([
          [{ route: '/r3' }, 1, [0, 0, 1, 0]],
        ]);
      } else {
        expect(points.find((p) => p.attributes.route === '/r3')!.value.count).toBe(11);
        expect(points[0].startTime).toEqual(pointsOf(first.ours, 'latency')[0].startTime);
      }
    });
  }

  it('sees zero(), reset() and a collect callback that observes, with nothing else changed', async () => {
    const registry = new Registry();
    let observeOnCollect = false;
    const latency: Histogram<'route'> = new Histogram({
      name: 'latency',
      help: 'latency',
      labelNames: ['route'],
      buckets: BOUNDS,
      registers: [registry],
      collect() {
        if (observeOnCollect) latency.observe({ route: '/a' }, 0.5);
      },
    });
    const producer = new TophashMetricProducer({ registers: [registry] });
    const counts = async () => view(await producer.collect()).latency;
    latency.observe({ route: '/a' }, 0.5);
    latency.observe({ route: '/b' }, 2);
    expect(await counts()).toEqual([
      [{ route: '/a' }, 1, 0.5, [0, 1, 0, 0]],
      [{ route: '/b' }, 1, 2, [0, 0, 1, 0]],
    ]);
    latency.zero({ route: '/b' });
    expect(await counts()).toEqual([
      [{ route: '/a' }, 1, 0.5, [0, 1, 0, 0]],
      [{ route: '/b' }, 0, 0, [0, 0, 0, 0]],
    ]);
    observeOnCollect = true;
    expect((await counts())[0]).toEqual([{ route: '/a' }, 2, 1, [0, 2, 0, 0]]);
    observeOnCollect = false;
    latency.reset();
    expect(await counts()).toBeUndefined();
    latency.observe({ route: '/a' }, 0.5);
    expect(await counts()).toEqual([[{ route: '/a' }, 1, 0.5, [0, 1, 0, 0]]]);
  });

  it('delta: a series zeroed and observed back to its old totals is a new series, reported whole', async () => {
    const registry = new Registry();
    const latency = latencyIn(registry);
    const producer = new TophashMetricProducer({ registers: [registry], temporality: 'delta' });
    latency.observe({ route: '/a' }, 0.5);
    latency.observe({ route: '/b' }, 2);
    await producer.collect();
    latency.zero({ route: '/b' });
    latency.observe({ route: '/b' }, 2);
    // The same rows as at the previous collect, but /b was started afresh: its whole total counts.
    expect(view(await producer.collect()).latency).toEqual([[{ route: '/b' }, 1, 2, [0, 0, 1, 0]]]);
  });

  for (const temporality of ['cumulative', 'delta'] as const) {
    it(`${temporality}: an earlier collect's result stays as it was through more recording and collects`, async () => {
      const t = both(temporality);
      for (let i = 0; i < 20; i++) t.observe(`/r${i % 4}`, i / 3);
      const first = await t.collect();
      const snapshot = structuredClone(first.ours.resourceMetrics.scopeMetrics);
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 8; i++) t.observe(`/r${i % 5}`, i);
        await t.collect();
        await t.collect();
      }
      expect(first.ours.resourceMetrics.scopeMetrics).toEqual(snapshot);
    });
  }

  it('an aggregator collected again without events reports the same totals (cumulative) or nothing (delta)', async () => {
    const agg = new Aggregator({ key: 'string', hist: { log2: {} } });
    const cumulative = new TophashMetricProducer({ aggregators: [{ name: 'sizes', aggregator: agg }] });
    const delta = new TophashMetricProducer({
      aggregators: [{ name: 'sizes', aggregator: agg }],
      temporality: 'delta',
    });
    agg.record('x', 3);
    agg.record('y', 9);
    const first = view(await cumulative.collect());
    expect(view(await delta.collect()).sizes).toHaveLength(2);
    expect(view(await cumulative.collect())).toEqual(first);
    expect((await delta.collect()).resourceMetrics.scopeMetrics).toEqual([]);
    agg.record('y', 9);
    expect(view(await delta.collect()).sizes).toEqual([[{ key: 'y' }, 1, 9, undefined]]);
    expect(view(await cumulative.collect()).sizes).toEqual([
      [{ key: 'x' }, 1, 3, undefined],
      [{ key: 'y' }, 2, 18, undefined],
    ]);
    agg.close();
  });
});
