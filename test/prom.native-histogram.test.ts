// Native histograms in Prometheus' protobuf exposition: what metricsFor encodes is decoded with
// protobufjs and every field checked against the observations; classic metrics ride along; the
// Accept header picks the format; bad `native` options fail clearly.
import * as fc from 'fast-check';
import * as protobuf from 'protobufjs';
import * as client from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

import { Counter, Gauge, Histogram, PROTOBUF_CONTENT_TYPE, Registry, Summary } from '../src/prom';
import { nativeBucketIndex } from '../src/prom/native-buckets';
import { acceptsProtobuf } from '../src/prom/negotiate';
import { metricFamilyType } from '../src/prom/protobuf';

afterEach(() => client.register.clear());

// What Prometheus 2.42 sends with --enable-feature=native-histograms.
const PROMETHEUS_ACCEPT =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,' +
  'application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,' +
  'text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

interface Span {
  offset: number;
  length: number;
}
interface DecodedHistogram {
  sampleCount: number;
  sampleSum: number;
  bucket: { cumulativeCount: number; upperBound: number }[];
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  positiveSpan: Span[];
  positiveDelta: number[];
  negativeSpan: Span[];
  negativeDelta: number[];
}
interface DecodedMetric {
  label: { name: string; value: string }[];
  counter?: { value: number };
  gauge?: { value: number };
  summary?: { sampleCount: number; sampleSum: number; quantile: { quantile: number; value: number }[] };
  histogram?: DecodedHistogram;
}
interface DecodedFamily {
  name: string;
  help: string;
  type: number;
  metric: DecodedMetric[];
}

/** Every length-delimited MetricFamily in body, decoded by protobufjs. */
function decode(body: Uint8Array): DecodedFamily[] {
  const type = metricFamilyType();
  const reader = protobuf.Reader.create(body);
  const families: DecodedFamily[] = [];
  while (reader.pos < reader.len) {
    const message = type.decodeDelimited(reader);
    families.push(type.toObject(message, { longs: Number, enums: Number, defaults: true }) as DecodedFamily);
  }
  return families;
}

/** Spans and deltas back to index → count. */
function expand(spans: Span[], deltas: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  let index = 0;
  let count = 0;
  let d = 0;
  spans.forEach((span) => {
    index += span.offset;
    for (let j = 0; j < span.length; j++) {
      count += deltas[d++];
      if (count !== 0) counts.set(index, count);
      index++;
    }
  });
  expect(d).toBe(deltas.length);
  return counts;
}

/** The oracle: the i with base^(i-1) < v <= base^i, from the definition (v far from any boundary but exact powers of two). */
function oracleIndex(v: number, schema: number): number {
  return Math.ceil(Math.log2(v) * 2 ** schema - 1e-9);
}

function labelsOf(m: DecodedMetric): Record<string, string> {
  return Object.fromEntries(m.label.map((l) => [l.name, l.value]));
}

describe('native histograms in the protobuf exposition', () => {
  it.each([false, true])(
    'round-trips every field: schema, zero bucket, spans and deltas of both signs, count and sum (classic: %s)',
    async (classic) => {
      const registry = new Registry();
      const h = new Histogram({
        name: 'latency_seconds',
        help: 'Latency',
        labelNames: ['route'],
        native: { schema: 3, classic },
        registers: [registry],
      });
      const observed: Record<string, number[]> = {
        '/a': [0.003, 0.004, 0.0041, 0.25, 0.5, 1, 2, 3.5, 0, -0.75, -2, 1e-300, 1000],
        '/b': [7, 7, 7, 8],
      };
      for (const [route, values] of Object.entries(observed)) for (const v of values) h.observe({ route }, v);
      const { contentType, body } = await registry.metricsFor(PROMETHEUS_ACCEPT);
      expect(contentType).toBe(PROTOBUF_CONTENT_TYPE);
      expect(body).toBeInstanceOf(Uint8Array);
      const [family] = decode(body as Uint8Array);
      expect(family).toMatchObject({ name: 'latency_seconds', help: 'Latency', type: 4 });
      expect(family.metric).toHaveLength(2);
      for (const m of family.metric) {
        const values = observed[labelsOf(m).route];
        const hist = m.histogram!;
        expect(hist.sampleCount).toBe(values.length);
        expect(hist.sampleSum).toBe(values.reduce((a, v) => a + v, 0));
        expect(hist.schema).toBe(3);
        expect(hist.zeroThreshold).toBe(2 ** -128);
        expect(hist.zeroCount).toBe(values.filter((v) => Math.abs(v) <= 2 ** -128).length);
        const positive = new Map<number, number>();
        const negative = new Map<number, number>();
        for (const v of values) {
          if (Math.abs(v) <= 2 ** -128) continue;
          const side = v > 0 ? positive : negative;
          const i = oracleIndex(Math.abs(v), 3);
          side.set(i, (side.get(i) ?? 0) + 1);
        }
        expect(expand(hist.positiveSpan, hist.positiveDelta)).toEqual(positive);
        expect(expand(hist.negativeSpan, hist.negativeDelta)).toEqual(negative);
        // With classic: true the classic buckets (prom-client's defaults) travel too, cumulative.
        const bounds = classic ? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] : [];
        expect(hist.bucket.map((b) => b.upperBound)).toEqual(bounds);
        for (const b of hist.bucket) expect(b.cumulativeCount).toBe(values.filter((v) => v <= b.upperBound).length);
      }
      // The text keeps the classic buckets either way.
      expect(await registry.metrics()).toContain('latency_seconds_bucket{route="/b",le="10"} 4');
    },
  );

  it('puts a value on a boundary in the bucket it closes (upper-inclusive), at every schema', () => {
    for (let schema = -4; schema <= 8; schema++) {
      for (const j of [-20, -1, 0, 1, 3, 10]) {
        // 2^j is a boundary at every schema: the bucket (2^(j - 2^-schema), 2^j] holds it.
        expect(nativeBucketIndex(2 ** j, schema)).toBe(schema >= 0 ? j * 2 ** schema : Math.ceil(j / 2 ** -schema));
      }
    }
    // Schema 1's boundary sqrt(2): just above goes up one bucket.
    expect(nativeBucketIndex(Math.SQRT2 * (1 + 1e-12), 1)).toBe(2);
    expect(nativeBucketIndex(1.2, 1)).toBe(1);
  });

  it('agrees with the definition base^(i-1) < v <= base^i for random values at every schema', () => {
    fc.assert(
      fc.property(fc.integer({ min: -4, max: 8 }), fc.double({ min: 1e-200, max: 1e200, noNaN: true }), (schema, v) => {
        const x = Math.log2(v) * 2 ** schema;
        fc.pre(Math.abs(x - Math.round(x)) > 1e-6);
        // + 0: an index computed as the ceiling of a value in (-1, 0) is -0, which toBe tells from 0.
        expect(nativeBucketIndex(v, schema) + 0).toBe(Math.ceil(x) + 0);
      }),
    );
  });

  it('encodes counters, gauges, classic histograms and summaries too, with default labels', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ instance: 'a' });
    const c = new Counter({ name: 'requests_total', help: 'Requests', labelNames: ['code'], registers: [registry] });
    const g = new Gauge({ name: 'in_flight', help: 'In flight', registers: [registry] });
    const h = new Histogram({ name: 'size_bytes', help: 'Sizes', buckets: [10, 100], registers: [registry] });
    const s = new Summary({ name: 'work_seconds', help: 'Work', percentiles: [0.5], registers: [registry] });
    const promClientCounter = new client.Counter({ name: 'legacy_total', help: 'Legacy', registers: [registry] });
    c.inc({ code: '200' }, 3);
    g.set(7);
    for (const v of [5, 10, 50, 500]) h.observe(v);
    s.observe(2);
    promClientCounter.inc(2);
    const families = decode((await registry.metricsFor(PROMETHEUS_ACCEPT)).body as Uint8Array);
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('requests_total')).toMatchObject({ type: 0, metric: [{ counter: { value: 3 } }] });
    expect(labelsOf(byName.get('requests_total')!.metric[0])).toEqual({ code: '200', instance: 'a' });
    expect(byName.get('in_flight')).toMatchObject({ type: 1, metric: [{ gauge: { value: 7 } }] });
    const classic = byName.get('size_bytes')!;
    expect(classic.type).toBe(4);
    expect(classic.metric[0].histogram).toMatchObject({
      sampleCount: 4,
      sampleSum: 565,
      bucket: [
        { cumulativeCount: 2, upperBound: 10 },
        { cumulativeCount: 3, upperBound: 100 },
      ],
      positiveSpan: [],
      zeroThreshold: 0,
    });
    expect(labelsOf(classic.metric[0])).toEqual({ instance: 'a' });
    const summary = byName.get('work_seconds')!;
    expect(summary).toMatchObject({ type: 2, metric: [{ summary: { sampleCount: 1, sampleSum: 2 } }] });
    // The quantile as the Summary itself reports it (its sketch's estimate, within 1 % of 2).
    const median = (await s.get()).values.find((v) => v.labels.quantile === 0.5)!.value;
    expect(summary.metric[0].summary!.quantile).toEqual([{ quantile: 0.5, value: median }]);
    expect(byName.get('legacy_total')).toMatchObject({ type: 0, metric: [{ counter: { value: 2 } }] });
  });

  it('zero() and remove() clear a series native buckets with its classic ones', async () => {
    const registry = new Registry();
    const h = new Histogram({
      name: 'x',
      help: 'x',
      labelNames: ['k'],
      native: { schema: 0 },
      registers: [registry],
    });
    h.observe({ k: 'a' }, 3);
    h.observe({ k: 'b' }, 3);
    h.zero({ k: 'a' });
    h.remove({ k: 'b' });
    h.observe({ k: 'b' }, 5);
    const [family] = decode((await registry.metricsFor(PROMETHEUS_ACCEPT)).body as Uint8Array);
    const byKey = new Map(family.metric.map((m) => [labelsOf(m).k, m.histogram!]));
    expect(byKey.get('a')).toMatchObject({ sampleCount: 0, positiveSpan: [], positiveDelta: [] });
    expect(byKey.get('b')).toMatchObject({
      sampleCount: 1,
      positiveSpan: [{ offset: 3, length: 1 }],
      positiveDelta: [1],
    });
  });

  it('gives the overflow series past maxSeries its own native buckets', async () => {
    const registry = new Registry();
    const h = new Histogram({
      name: 'o',
      help: 'o',
      labelNames: ['k'],
      maxSeries: 1,
      native: { schema: -1 },
      registers: [registry],
    });
    h.observe({ k: 'a' }, 3);
    h.labels('b').observe(5);
    h.observe({ k: 'c' }, 20);
    const [family] = decode((await registry.metricsFor(PROMETHEUS_ACCEPT)).body as Uint8Array);
    expect(family.metric.map(labelsOf)).toEqual([{ k: 'a' }, { otel_metric_overflow: 'true' }]);
    // Schema -1: bucket i is (4^(i-1), 4^i]; 5 is in bucket 2, 20 in bucket 3.
    expect(family.metric[1].histogram).toMatchObject({
      sampleCount: 2,
      sampleSum: 25,
      schema: -1,
      positiveSpan: [{ offset: 2, length: 2 }],
      positiveDelta: [1, 0],
    });
  });
});

describe('metricsFor content negotiation', () => {
  it('serves protobuf to a Prometheus that asks for it, text otherwise', async () => {
    const registry = new Registry();
    new Counter({ name: 'c_total', help: 'c', registers: [registry] }).inc();
    for (const accept of [undefined, '', 'text/plain', '*/*', 'application/openmetrics-text; version=1.0.0']) {
      const { contentType, body } = await registry.metricsFor(accept);
      expect(contentType).toBe(registry.contentType);
      expect(body).toBe(await registry.metrics());
    }
    expect((await registry.metricsFor(PROMETHEUS_ACCEPT)).contentType).toBe(PROTOBUF_CONTENT_TYPE);
  });

  it('ranks by q and wants the delimited MetricFamily encoding exactly', () => {
    const pb = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';
    expect(acceptsProtobuf(PROMETHEUS_ACCEPT)).toBe(true);
    expect(acceptsProtobuf(`${pb};q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2`)).toBe(true);
    expect(acceptsProtobuf(`${pb};q=0.1,text/plain;q=0.5`)).toBe(false);
    expect(acceptsProtobuf(`${pb};q=0`)).toBe(false);
    expect(
      acceptsProtobuf('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text'),
    ).toBe(false);
    expect(acceptsProtobuf('application/vnd.google.protobuf;proto=other.Message;encoding=delimited')).toBe(false);
  });
});

describe('hostile native options', () => {
  const make =
    (native: unknown, extra: object = {}) =>
    () =>
      new Histogram({ name: 'h', help: 'h', native, registers: [], ...extra } as never);

  it('rejects a schema outside -4..8, a non-integer, a non-number, with the field named', () => {
    for (const schema of [9, -5, 1.5, NaN, Infinity]) {
      expect(make({ schema })).toThrow(/^Expected an integer in -4\.\.8 for config\.native\.schema but received /);
      expect(make({ schema })).toThrow(
        expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }) as Error,
      );
    }
    expect(make({ schema: '3' })).toThrow(TypeError);
    expect(make({})).toThrow(/Expected an integer in -4\.\.8 for config\.native\.schema but received undefined/);
    expect(make(3)).toThrow(/Expected an object \{ schema \} for config\.native but received 3/);
    expect(make({ schema: 3, zeroThreshold: -1 })).toThrow(/for config\.native\.zeroThreshold but received -1/);
    expect(make({ schema: 3, shcema: 2 })).toThrow(/config\.native but received string 'shcema'/);
    expect(make({ schema: 3, classic: 'yes' })).toThrow(/Expected a boolean for config\.native\.classic but received/);
    expect(make({ schema: 3 }, { shared: { name: 'n' } })).toThrow(
      /Expected no native on a metric shared between processes .* for config\.native/,
    );
  });

  it('names native among the known options for a misspelt one', () => {
    expect(() => new Histogram({ name: 'h', help: 'h', nativ: { schema: 0 }, registers: [] } as never)).toThrow(
      /did you mean 'native'\?/,
    );
  });
});
