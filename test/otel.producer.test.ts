// tophash/otel with the real OpenTelemetry SDK: a MeterProvider whose reader has the producer in
// its metricProducers receives exactly what was recorded, for every kind of metric, in both
// temporalities; bad options fail with errors that name the option.
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
  type DataPoint,
  type ExponentialHistogram,
  type Histogram as OtelHistogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import * as client from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

import { Aggregator } from '../src/index';
import { TophashMetricProducer, type TophashMetricProducerOptions } from '../src/otel';
import { Counter, Gauge, Histogram, Registry, Summary } from '../src/prom';

const providers: MeterProvider[] = [];

afterEach(async () => {
  client.register.clear();
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
});

class ManualReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** A MeterProvider with a manual reader over the producer; collect() returns the producer's metrics by name. */
function manual(options: TophashMetricProducerOptions): () => Promise<Map<string, MetricData>> {
  const reader = new ManualReader({ metricProducers: [new TophashMetricProducer(options)] });
  providers.push(new MeterProvider({ readers: [reader] }));
  return async () => {
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const tophash = resourceMetrics.scopeMetrics.filter((s) => s.scope.name === 'tophash');
    expect(tophash).toHaveLength(1);
    return new Map(tophash[0].metrics.map((m) => [m.descriptor.name, m]));
  };
}

function points<T>(metric: MetricData | undefined): DataPoint<T>[] {
  expect(metric).toBeDefined();
  return [...(metric!.dataPoints as DataPoint<T>[])].sort((a, b) =>
    JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)),
  );
}

describe('TophashMetricProducer through a PeriodicExportingMetricReader and an in-memory exporter', () => {
  it('exports tophash/prom counters, gauges and histograms with exactly the recorded values', async () => {
    const registry = new Registry();
    const requests = new Counter({
      name: 'requests_total',
      help: 'Requests',
      labelNames: ['route'],
      registers: [registry],
    });
    const inFlight = new Gauge({ name: 'in_flight', help: 'In flight', registers: [registry] });
    const latency = new Histogram({
      name: 'latency_seconds',
      help: 'Latency',
      labelNames: ['route'],
      buckets: [0.1, 1, 10],
      registers: [registry],
    });
    requests.inc({ route: '/a' }, 3);
    requests.inc({ route: '/b' });
    inFlight.set(7);
    for (const v of [0.05, 0.1, 0.5, 2, 20]) latency.observe({ route: '/a' }, v);
    latency.observe({ route: '/b' }, 1);

    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: 3_600_000,
      metricProducers: [new TophashMetricProducer({ registers: [registry] })],
    });
    const provider = new MeterProvider({ readers: [reader] });
    providers.push(provider);
    await provider.forceFlush();
    const exported = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    const byName = new Map(exported.map((m) => [m.descriptor.name, m]));

    const sum = byName.get('requests_total')!;
    expect(sum).toMatchObject({
      dataPointType: DataPointType.SUM,
      isMonotonic: true,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      descriptor: { description: 'Requests' },
    });
    expect(points<number>(sum).map((p) => [p.attributes, p.value])).toEqual([
      [{ route: '/a' }, 3],
      [{ route: '/b' }, 1],
    ]);
    const gauge = byName.get('in_flight')!;
    expect(gauge.dataPointType).toBe(DataPointType.GAUGE);
    expect(points<number>(gauge).map((p) => p.value)).toEqual([7]);
    const histogram = byName.get('latency_seconds')!;
    expect(histogram.dataPointType).toBe(DataPointType.HISTOGRAM);
    const [a, b] = points<OtelHistogram>(histogram);
    expect(a.attributes).toEqual({ route: '/a' });
    // Upper-inclusive in both: 0.1 counts in (..., 0.1].
    expect(a.value).toMatchObject({ buckets: { boundaries: [0.1, 1, 10], counts: [2, 1, 1, 1] }, count: 5 });
    expect(a.value.sum).toBeCloseTo(22.65, 10);
    expect(b.value).toMatchObject({ buckets: { boundaries: [0.1, 1, 10], counts: [0, 1, 0, 0] }, count: 1, sum: 1 });
  });

  it("reads prom-client's own metrics and registry default labels, and leaves summaries out", async () => {
    const registry = new client.Registry();
    registry.setDefaultLabels({ service: 'api' });
    const hits = new client.Counter({ name: 'hits_total', help: 'Hits', registers: [registry] });
    const sizes = new client.Histogram({ name: 'sizes', help: 'Sizes', buckets: [1, 2], registers: [registry] });
    new Summary({ name: 'quantiles', help: 'Summary', registers: [registry] }).observe(1);
    hits.inc(4);
    sizes.observe(1.5);
    const metrics = await manual({ registers: [registry] })();
    expect([...metrics.keys()].sort()).toEqual(['hits_total', 'sizes']);
    expect(points<number>(metrics.get('hits_total')).map((p) => [p.attributes, p.value])).toEqual([
      [{ service: 'api' }, 4],
    ]);
    const [point] = points<OtelHistogram>(metrics.get('sizes'));
    expect(point.attributes).toEqual({ service: 'api' });
    expect(point.value).toMatchObject({ buckets: { boundaries: [1, 2], counts: [0, 1, 0] }, count: 1, sum: 1.5 });
  });
});

describe('Aggregators', () => {
  it('log2 buckets (k = 0) become a scale-0 exponential histogram, bucket for bucket', async () => {
    const agg = new Aggregator({ key: 'string', hist: { log2: {} } });
    // 0 → zero count; 1 → [1, 2) → index 0; 3 and 2.5 → [2, 4) → index 1; 5 → index 2; 100 → [64, 128) → 6.
    for (const v of [0, 0, 1, 3, 2.5, 5, 100, -3, -6]) agg.record('disk', v);
    const metrics = await manual({
      aggregators: [{ name: 'io.latency', aggregator: agg, unit: 'us', keyAttribute: 'device' }],
    })();
    const metric = metrics.get('io.latency')!;
    expect(metric).toMatchObject({ dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM, descriptor: { unit: 'us' } });
    const [point] = points<ExponentialHistogram>(metric);
    expect(point.attributes).toEqual({ device: 'disk' });
    expect(point.value).toEqual({
      count: 9,
      sum: 102.5,
      scale: 0,
      zeroCount: 2,
      positive: { offset: 0, bucketCounts: [1, 2, 1, 0, 0, 0, 1] },
      // Negatives together in the bucket of min: 6 lies in (4, 8], index 2.
      negative: { offset: 2, bucketCounts: [2] },
      min: -6,
      max: 100,
    });
  });

  it("log2 buckets with k > 0 are reported at scale 0, each octave's linear slices summed", async () => {
    const agg = new Aggregator({ key: { labels: ['op'] }, hist: { log2: { k: 2 } } });
    // k = 2: [1], [2], [3] single buckets, then [4, 5) ... [7, 8), [8, 10) ... [14, 16).
    for (const v of [1, 2, 3, 4, 7, 8, 9, 15]) agg.record({ op: 'read' }, v);
    const [point] = points<ExponentialHistogram>(
      (await manual({ aggregators: [{ name: 'ops', aggregator: agg }] })()).get('ops'),
    );
    expect(point.attributes).toEqual({ op: 'read' });
    expect(point.value).toMatchObject({
      scale: 0,
      zeroCount: 0,
      count: 8,
      positive: { offset: 0, bucketCounts: [1, 2, 2, 3] },
    });
  });

  it('linear and le buckets become explicit-bucket histograms; no histogram, a bucketless one', async () => {
    const linear = new Aggregator({ key: 'u64', hist: { linear: { min: 0, max: 30, step: 10 } } });
    const le = new Aggregator({ key: { labels: ['route', 'method'] }, hist: { buckets: [1, 5] } });
    const plain = new Aggregator({ key: 'string' });
    for (const v of [-1, 0, 15, 29, 30, 31]) linear.record(7, v);
    for (const v of [1, 5, 6]) le.record({ route: '/', method: 'GET' }, v);
    le.record({ route: '/x' }, 2);
    for (const v of [4, 2, 9]) plain.record('k', v);
    const metrics = await manual({
      aggregators: [
        { name: 'linear', aggregator: linear },
        { name: 'le', aggregator: le },
        { name: 'plain', aggregator: plain },
      ],
    })();
    const [l] = points<OtelHistogram>(metrics.get('linear'));
    expect(l.attributes).toEqual({ key: '7' });
    expect(l.value).toEqual({
      buckets: { boundaries: [0, 10, 20, 30], counts: [1, 1, 1, 1, 2] },
      count: 6,
      sum: 104,
      min: -1,
      max: 31,
    });
    const [get, x] = points<OtelHistogram>(metrics.get('le'));
    expect(get.attributes).toEqual({ route: '/', method: 'GET' });
    expect(get.value.buckets).toEqual({ boundaries: [1, 5], counts: [1, 1, 1] });
    // A missing label is no attribute, as it is no Prometheus label.
    expect(x.attributes).toEqual({ route: '/x' });
    const [p] = points<OtelHistogram>(metrics.get('plain'));
    expect(metrics.get('plain')!.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(p.value).toEqual({ buckets: { boundaries: [], counts: [3] }, count: 3, sum: 15, min: 2, max: 9 });
  });

  it("reports an aggregator's overflow series with OpenTelemetry's overflow attribute", async () => {
    const agg = new Aggregator({ key: 'string', maxSeries: 1 });
    agg.record('a', 1);
    agg.record('b', 2);
    agg.record('c', 3);
    const series = points<OtelHistogram>(
      (await manual({ aggregators: [{ name: 'capped', aggregator: agg }] })()).get('capped'),
    );
    expect(series.map((p) => [p.attributes, p.value.count, p.value.sum])).toEqual([
      [{ key: 'a' }, 1, 1],
      [{ 'otel.metric.overflow': true }, 2, 5],
    ]);
  });
});

describe('tophash/prom histograms, read from their rows', () => {
  it('apply default labels as getMetricsAsJSON does (a series label wins unless empty)', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: 'api', route: 'unset' });
    const latency = new Histogram({
      name: 'latency_seconds',
      help: 'Latency',
      labelNames: ['route'],
      buckets: [1],
      registers: [registry],
    });
    latency.observe({ route: '/a' }, 0.5);
    latency.observe({ route: '' }, 2);
    const metrics = await manual({ registers: [registry] })();
    expect(points<OtelHistogram>(metrics.get('latency_seconds')).map((p) => [p.attributes, p.value.count])).toEqual([
      [{ route: '/a', service: 'api' }, 1],
      [{ route: 'unset', service: 'api' }, 1],
    ]);
  });

  it('delta: counts per interval, a removed and re-created series restarting, the overflow series included', async () => {
    const registry = new Registry();
    const latency = new Histogram({
      name: 'latency_seconds',
      help: 'Latency',
      labelNames: ['route'],
      buckets: [1],
      maxSeries: 2,
      registers: [registry],
    });
    const collect = manual({ registers: [registry], temporality: 'delta' });
    const view = async () =>
      points<OtelHistogram>((await collect()).get('latency_seconds')).map((p) => [
        p.attributes,
        p.value.count,
        p.value.buckets.counts,
      ]);
    latency.observe({ route: '/a' }, 0.5);
    latency.observe({ route: '/b' }, 2);
    latency.observe({ route: '/c' }, 3); // past maxSeries: the overflow series
    expect(await view()).toEqual([
      [{ otel_metric_overflow: 'true' }, 1, [0, 1]],
      [{ route: '/a' }, 1, [1, 0]],
      [{ route: '/b' }, 1, [0, 1]],
    ]);
    latency.remove({ route: '/a' });
    latency.observe({ route: '/a' }, 0.25);
    latency.observe({ route: '/b' }, 0.5);
    latency.observe({ route: '/b' }, 0.75);
    expect(await view()).toEqual([
      // The overflow series had no event: no point, as the SDK reports none without measurements.
      // A new series with the old one's total: its whole total, not a difference of 0.
      [{ route: '/a' }, 1, [1, 0]],
      [{ route: '/b' }, 2, [2, 0]],
    ]);
  });
});

describe('temporality', () => {
  async function twoCollects(temporality: 'cumulative' | 'delta') {
    const registry = new Registry();
    const counter = new Counter({ name: 'events_total', help: 'Events', labelNames: ['k'], registers: [registry] });
    const gauge = new Gauge({ name: 'level', help: 'Level', registers: [registry] });
    const agg = new Aggregator({ key: 'string', hist: { log2: {} } });
    const collect = manual({ registers: [registry], aggregators: [{ name: 'sizes', aggregator: agg }], temporality });
    counter.inc({ k: 'a' }, 2);
    gauge.set(5);
    agg.record('x', 3);
    const first = await collect();
    counter.inc({ k: 'a' }, 3);
    counter.inc({ k: 'b' }, 1);
    gauge.set(4);
    agg.record('x', 20);
    agg.record('x', 0);
    const second = await collect();
    return { first, second };
  }

  it('cumulative: every collect reports the totals, from one start time', async () => {
    const { first, second } = await twoCollects('cumulative');
    expect(second.get('events_total')!.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(points<number>(second.get('events_total')).map((p) => p.value)).toEqual([5, 1]);
    expect(points<number>(second.get('level')).map((p) => p.value)).toEqual([4]);
    const [x] = points<ExponentialHistogram>(second.get('sizes'));
    expect(x.value).toMatchObject({
      count: 3,
      sum: 23,
      zeroCount: 1,
      positive: { offset: 1, bucketCounts: [1, 0, 0, 1] },
    });
    expect(x.startTime).toEqual(points(first.get('sizes'))[0].startTime);
  });

  it("a collect's end time is the wall clock's, in order from one collect to the next", async () => {
    const registry = new Registry();
    new Counter({ name: 'ticks', help: 'ticks', registers: [registry] }).inc();
    const producer = new TophashMetricProducer({ registers: [registry] });
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    const ends: number[] = [];
    // The SDK's wall clock: the process's time origin plus the monotonic clock's progress. It
    // may drift from Date.now() by milliseconds over a long run (the system clock is slewed), so
    // the producer is held to it (within the time its clock pairing took, cold, at import) and to
    // Date.now() only loosely.
    const sdkNow = () => performance.timeOrigin + performance.now();
    for (let i = 0; i < 3; i++) {
      const before = sdkNow();
      const { resourceMetrics } = await producer.collect();
      const after = sdkNow();
      const [point] = resourceMetrics.scopeMetrics[0].metrics[0].dataPoints;
      expect(point.endTime[1]).toBeGreaterThanOrEqual(0);
      expect(point.endTime[1]).toBeLessThan(1e9);
      expect(ms(point.endTime)).toBeGreaterThanOrEqual(before - 1);
      expect(ms(point.endTime)).toBeLessThanOrEqual(after + 1);
      expect(Math.abs(ms(point.endTime) - Date.now())).toBeLessThan(1000);
      ends.push(ms(point.endTime));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(ends[1]).toBeGreaterThan(ends[0]);
    expect(ends[2]).toBeGreaterThan(ends[1]);
  });

  it('delta: every collect reports what changed since the previous one, starting where it ended', async () => {
    const { first, second } = await twoCollects('delta');
    expect(points<number>(first.get('events_total')).map((p) => p.value)).toEqual([2]);
    const counter = second.get('events_total')!;
    expect(counter.aggregationTemporality).toBe(AggregationTemporality.DELTA);
    expect(points<number>(counter).map((p) => [p.attributes, p.value])).toEqual([
      [{ k: 'a' }, 3],
      [{ k: 'b' }, 1],
    ]);
    // A gauge is a value, not an amount: it passes through.
    expect(points<number>(second.get('level')).map((p) => p.value)).toEqual([4]);
    const [x] = points<ExponentialHistogram>(second.get('sizes'));
    // 20 in [16, 32) → index 4, 0 → the zero count; min and max of the interval are unknown.
    expect(x.value).toEqual({
      count: 2,
      sum: 20,
      scale: 0,
      zeroCount: 1,
      positive: { offset: 4, bucketCounts: [1] },
      negative: { offset: 0, bucketCounts: [] },
    });
    expect(x.startTime).toEqual(points(first.get('sizes'))[0].endTime);
  });

  it('delta: a series removed and re-created starts again from its new total', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'resets_total', help: 'Resets', labelNames: ['k'], registers: [registry] });
    const collect = manual({ registers: [registry], temporality: 'delta' });
    counter.inc({ k: 'a' }, 10);
    await collect();
    counter.remove({ k: 'a' });
    counter.inc({ k: 'a' }, 4);
    expect(points<number>((await collect()).get('resets_total')).map((p) => p.value)).toEqual([4]);
  });
  it('delta: one metric name in two registries keeps two histories', async () => {
    const registries = [new Registry(), new Registry()];
    const counters = registries.map((r) => new Counter({ name: 'jobs_total', help: 'Jobs', registers: [r] }));
    const producer = new TophashMetricProducer({ registers: registries, temporality: 'delta' });
    counters[0].inc(10);
    counters[1].inc(1);
    await producer.collect();
    counters[0].inc(5);
    counters[1].inc(2);
    const { resourceMetrics } = await producer.collect();
    const values = resourceMetrics.scopeMetrics[0].metrics.map((m) => (m.dataPoints[0] as DataPoint<number>).value);
    expect(values).toEqual([5, 2]);
  });
});

describe('failures', () => {
  it('a registry that fails to read is an error in the result; the other sources are still collected', async () => {
    const agg = new Aggregator({ key: 'u64' });
    agg.record(1, 1);
    const broken = { getMetricsAsJSON: () => Promise.reject(new Error('registry down')) };
    const producer = new TophashMetricProducer({ registers: [broken], aggregators: [{ name: 'ok', aggregator: agg }] });
    const { resourceMetrics, errors } = await producer.collect();
    expect(errors).toEqual([new Error('registry down')]);
    expect(resourceMetrics.scopeMetrics[0].metrics.map((m) => m.descriptor.name)).toEqual(['ok']);
  });

  it('a registry that throws while listing its metrics is an error; a histogram whose collect callback fails too', async () => {
    const failing = new Registry();
    new Histogram({
      name: 'failing',
      help: 'failing',
      registers: [failing],
      collect() {
        throw new Error('callback failed');
      },
    });
    const throwing = {
      getMetricsAsJSON: () => Promise.resolve([]),
      getMetricsAsArray: () => {
        throw new Error('cannot list');
      },
    };
    const fine = new Registry();
    new Histogram({ name: 'fine', help: 'fine', registers: [fine] }).observe(1);
    const producer = new TophashMetricProducer({ registers: [throwing, failing, fine] });
    const { resourceMetrics, errors } = await producer.collect();
    expect(errors).toEqual([new Error('cannot list'), new Error('callback failed')]);
    expect(resourceMetrics.scopeMetrics[0].metrics.map((m) => m.descriptor.name)).toEqual(['fine']);
  });

  it('registries read at once and registries read through promises keep their order', async () => {
    const later = new Registry();
    const slow = new Histogram({
      name: 'slow',
      help: 'slow',
      registers: [later],
      async collect() {
        await new Promise((resolve) => setTimeout(resolve, 5));
        slow.observe(2);
      },
    });
    const now = new Registry();
    new Histogram({ name: 'quick', help: 'quick', registers: [now] }).observe(1);
    const counter = new Counter({ name: 'plain', help: 'plain', registers: [now] });
    counter.inc(3);
    const producer = new TophashMetricProducer({ registers: [later, now] });
    for (let round = 1; round <= 2; round++) {
      const { resourceMetrics, errors } = await producer.collect();
      expect(errors).toEqual([]);
      const metrics = resourceMetrics.scopeMetrics[0].metrics;
      expect(metrics.map((m) => m.descriptor.name)).toEqual(['slow', 'quick', 'plain']);
      expect((metrics[0].dataPoints[0] as DataPoint<OtelHistogram>).value.count).toBe(round);
    }
  });

  it('bad options fail with errors that name the option', () => {
    const agg = new Aggregator({ key: 'u64' });
    const make = (options: unknown) => () => new TophashMetricProducer(options as TophashMetricProducerOptions);
    expect(make(5)).toThrow(/Expected an options object for options but received 5/);
    expect(make({ register: [] })).toThrow(
      /option name in options but received 'register'; did you mean 'registers'\?/,
    );
    expect(make({ registers: {} })).toThrow(/Expected an array of registries for options.registers/);
    expect(make({ registers: [{}] })).toThrow(/Expected a prom-client Registry for options.registers\[0\]/);
    expect(make({ aggregators: [agg] })).toThrow(/option name in options.aggregators\[0\]/);
    expect(make({ aggregators: [{ name: 'a', aggregator: {} }] })).toThrow(
      /Expected an Aggregator for options.aggregators\[0\].aggregator but received an object/,
    );
    expect(make({ aggregators: [{ name: '1bad', aggregator: agg }] })).toThrow(
      /Expected an instrument name.* for options.aggregators\[0\].name but received string '1bad'/,
    );
    expect(make({ aggregators: [{ name: 'a', aggregator: agg, unit: 1 }] })).toThrow(
      /Expected a string for options.aggregators\[0\].unit/,
    );
    expect(make({ aggregators: [{ name: 'a', aggregator: agg, keyAttribute: '' }] })).toThrow(
      /options.aggregators\[0\].keyAttribute/,
    );
    expect(
      make({
        aggregators: [
          { name: 'a', aggregator: agg },
          { name: 'a', aggregator: agg },
        ],
      }),
    ).toThrow(/Expected a name no other aggregator uses for options.aggregators\[1\].name/);
    expect(make({ temporality: 'DELTA' })).toThrow(/Expected 'cumulative' or 'delta' for options.temporality/);
    try {
      make({ temporality: 'DELTA' })();
    } catch (err) {
      expect((err as { code?: string }).code).toBe('ERR_INVALID_ARG_TYPE');
    }
  });
});
