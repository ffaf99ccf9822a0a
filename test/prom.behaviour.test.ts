// tophash/prom inside prom-client's machinery: the global registry, JSON,
// content types, merge, default labels, OpenMetrics; tophash's own Registry
// (same samples, rendered by src/metrics/exposition.ts); errors in prom-client's words;
// and the documented differences.
import * as client from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

import * as prom from '../src/prom';
import * as promEsm from '../src/prom.mjs';
import { parseExposition, storedSamples } from './exposition-parser';

type Impl = { Histogram: typeof client.Histogram; Counter: typeof client.Counter; Gauge: typeof client.Gauge };
const ours = prom as unknown as Impl;

function populate(impl: Impl, anyRegisters: client.Registry<client.RegistryContentType>[], suffix = ''): void {
  // prom-client's option types take registries of one content type; either works at run time.
  const registers = anyRegisters as client.Registry[];
  const h = new impl.Histogram({
    name: `http_request_duration_seconds${suffix}`,
    help: 'Latency with "quotes" and \\ and\nnewline',
    labelNames: ['route', 'code'],
    buckets: [0.1, 1, 10],
    registers,
  });
  const c = new impl.Counter({
    name: `http_requests_total${suffix}`,
    help: 'Requests',
    labelNames: ['route'],
    registers,
  });
  const g = new impl.Gauge({ name: `in_flight${suffix}`, help: 'In flight', registers });
  for (const [route, code, v] of [
    ['/a', 200, 0.05],
    ['/b"x', 500, 3],
    ['☃\n\\', '200', 0.5],
    ['/a', '200', 12],
  ] as const) {
    h.observe({ route, code }, v);
    c.inc({ route });
  }
  g.set(3);
}

afterEach(() => {
  client.register.clear();
});

describe('in prom-client registries', () => {
  it('registers in the global registry by default; register.metrics() renders it the tophash way', async () => {
    populate(ours, [client.register]);
    const text = await client.register.metrics();
    const compatible = await client.Registry.merge([client.register]).metrics();
    client.register.clear();
    populate(client, [client.register]);
    const reference = await client.register.metrics();
    // The fast path: same stored samples, labels in labelNames order and le last.
    expect(storedSamples(text)).toEqual(storedSamples(reference));
    expect(text).toContain('http_request_duration_seconds_count{route="/a",code="200"} 2\n');
    expect(text).toContain('http_request_duration_seconds_bucket{route="/a",code="200",le="0.1"} 1\n');
    // A registry tophash did not give its fast path formats it exactly as prom-client does.
    expect(compatible).toBe(reference);
  });

  it('is a prom-client metric: instanceof, getSingleMetric, resetMetrics, removeSingleMetric', async () => {
    const registry = new client.Registry();
    const h = new prom.Histogram({ name: 'h_seconds', help: 'h', registers: [registry] });
    expect(h).toBeInstanceOf(client.Histogram);
    expect(new prom.Counter({ name: 'c', help: 'c', registers: [registry] })).toBeInstanceOf(client.Counter);
    expect(new prom.Gauge({ name: 'g', help: 'g', registers: [registry] })).toBeInstanceOf(client.Gauge);
    expect(registry.getSingleMetric('h_seconds')).toBe(h);
    h.observe(2);
    registry.resetMetrics();
    expect(await registry.getSingleMetricAsString('h_seconds')).toBe('# HELP h_seconds h\n# TYPE h_seconds histogram');
    registry.removeSingleMetric('h_seconds');
    expect(await registry.metrics()).not.toContain('h_seconds');
    expect(() => new prom.Histogram({ name: 'c', help: 'dup', registers: [registry] })).toThrow(
      'A metric with the name c has already been registered.',
    );
  });

  it('honours default labels, OpenMetrics content type and merge as prom-client does', async () => {
    const texts: string[][] = [];
    for (const impl of [client, ours]) {
      const a = new client.Registry();
      const b = new client.Registry();
      populate(impl, [a]);
      populate(impl, [b], '_b');
      const merged = client.Registry.merge([a, b]);
      merged.setDefaultLabels({ instance: 'x"1' });
      const om = new client.Registry<client.OpenMetricsContentType>();
      om.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
      populate(impl, [om]);
      // Its own registry: prom-client's getMetricsAsJSON() writes default labels into its stored
      // counter and gauge series (a prom-client bug), which would leak into a shared one.
      const d = new client.Registry();
      populate(impl, [d], '_d');
      d.setDefaultLabels({ pod: 'p' });
      const withDefaults = await d.metrics();
      texts.push([
        await merged.metrics(),
        JSON.stringify(await merged.getMetricsAsJSON()),
        await om.metrics(),
        om.contentType,
        withDefaults,
      ]);
    }
    expect(texts[1][0]).toBe(texts[0][0]);
    expect(texts[1][1]).toBe(texts[0][1]);
    expect(texts[1][3]).toBe(texts[0][3]);
    // Default labels: the fast path steps aside and prom-client formats everything.
    expect(texts[1][4]).toBe(texts[0][4]);
    // OpenMetrics through the fast path: the same samples, one # EOF, canonical le.
    expect(storedSamples(texts[1][2], true)).toEqual(storedSamples(texts[0][2], true));
    expect(texts[1][2]).toMatch(/http_requests_total\{route="\/a"\} 2\n[\s\S]*# EOF\n$/);
    expect(texts[1][2]).toContain('le="1.0"');
  });

  it('runs collect() before reading, with the metric as this', async () => {
    const registry = new client.Registry();
    const g = new prom.Gauge({
      name: 'queue_depth',
      help: 'Depth',
      registers: [registry],
      collect(this: client.Gauge) {
        this.set(42);
      },
    });
    expect(await registry.metrics()).toContain('queue_depth 42\n');
    expect((await g.get()).values).toEqual([{ value: 42, labels: {} }]);
  });

  it('exports the same classes from the ES module entry', () => {
    expect(promEsm.Histogram).toBe(prom.Histogram);
    expect(promEsm.Counter).toBe(prom.Counter);
    expect(promEsm.Gauge).toBe(prom.Gauge);
    expect(promEsm.Registry).toBe(prom.Registry);
    expect(promEsm.renderPrometheus).toBe(prom.renderPrometheus);
  });
});

describe("tophash's Registry", () => {
  it('renders tophash metrics itself: the same samples as prom-client, le last, labels in labelNames order', async () => {
    const fast = new prom.Registry();
    populate(ours, [fast]);
    new client.Counter({ name: 'plain_total', help: 'a prom-client metric', registers: [fast] }).inc(2);
    const reference = new client.Registry();
    populate(client, [reference]);
    new client.Counter({ name: 'plain_total', help: 'a prom-client metric', registers: [reference] }).inc(2);
    const text = await fast.metrics();
    expect(storedSamples(text)).toEqual(storedSamples(await reference.metrics()));
    expect(text).toContain('http_request_duration_seconds_bucket{route="/b\\"x",code="500",le="10"} 1\n');
    expect(text).toContain('\n\n# HELP http_requests_total Requests\n');
    expect(text.endsWith('\nplain_total 2\n')).toBe(true);
  });

  it('OpenMetrics: counters as <name>_total, one # EOF', async () => {
    const fast = new prom.Registry(client.Registry.OPENMETRICS_CONTENT_TYPE);
    populate(ours, [fast]);
    const text = await fast.metrics();
    expect(fast.contentType).toBe(client.Registry.OPENMETRICS_CONTENT_TYPE);
    expect(text).toContain('# TYPE http_requests counter\n');
    expect(text).toContain('http_requests_total{route="/a"} 2\n');
    expect(text.match(/# EOF/g)).toHaveLength(1);
    expect(text.endsWith('# EOF\n')).toBe(true);
    parseExposition(text, true);
  });

  it('falls back to prom-client formatting when default labels are set', async () => {
    const fast = new prom.Registry();
    const reference = new client.Registry();
    populate(ours, [fast]);
    populate(client, [reference]);
    fast.setDefaultLabels({ pod: 'p-1' });
    reference.setDefaultLabels({ pod: 'p-1' });
    expect(await fast.metrics()).toBe(await reference.metrics());
  });

  it('merge returns a tophash Registry holding every metric', async () => {
    const a = new prom.Registry();
    const b = new client.Registry();
    populate(ours, [a]);
    populate(ours, [b], '_b');
    const merged = prom.Registry.merge([a, b]);
    expect(merged).toBeInstanceOf(prom.Registry);
    expect(merged.getMetricsAsArray()).toHaveLength(6);
    expect(await merged.metrics()).toContain('in_flight_b 3\n');
  });
});

describe("errors in prom-client's words", () => {
  const pair = <T>(make: (impl: Impl, registry: client.Registry) => T) => [
    make(client, new client.Registry()),
    make(ours, new client.Registry()),
  ];
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return `${(err as Error).constructor.name}: ${(err as Error).message}`;
    }
    return 'no error';
  };

  it('rejects bad values, unknown labels, wrong arity and counter decrements alike', () => {
    const hs = pair(
      (impl, registry) => new impl.Histogram({ name: 'h', help: 'h', labelNames: ['a'], registers: [registry] }),
    );
    const cs = pair(
      (impl, registry) => new impl.Counter({ name: 'c', help: 'c', labelNames: ['a'], registers: [registry] }),
    );
    const gs = pair(
      (impl, registry) => new impl.Gauge({ name: 'g', help: 'g', labelNames: ['a'], registers: [registry] }),
    );
    const cases: [string, (h: client.Histogram, c: client.Counter, g: client.Gauge) => unknown][] = [
      ['observe NaN', (h) => h.observe({ a: 'x' }, NaN)],
      ['observe Infinity', (h) => h.observe(Infinity)],
      ['observe a string', (h) => h.observe({ a: 'x' }, '1' as unknown as number)],
      ['unknown label', (h) => h.observe({ b: 'x' } as never, 1)],
      ['labels() arity', (h) => h.labels('x', 'y')],
      ['remove unknown label', (h) => h.remove({ zz: 1 } as never)],
      ['counter decrement', (_h, c) => c.inc({ a: 'x' }, -1)],
      ['counter Infinity', (_h, c) => c.inc(Infinity)],
      ['gauge set a string', (_h, _c, g) => g.set({ a: 'x' }, 'x' as unknown as number)],
      ['gauge inc a string', (_h, _c, g) => g.inc({ a: 'x' }, 'x' as unknown as number)],
    ];
    for (const [title, f] of cases) {
      expect(
        message(() => f(hs[1], cs[1], gs[1])),
        title,
      ).toBe(message(() => f(hs[0], cs[0], gs[0])));
      expect(
        message(() => f(hs[1], cs[1], gs[1])),
        title,
      ).not.toBe('no error');
    }
  });

  it('rejects exemplars and bad buckets before registering anything', () => {
    const registry = new client.Registry();
    expect(() => new prom.Histogram({ name: 'h', help: 'h', enableExemplars: true, registers: [registry] })).toThrow(
      /Expected enableExemplars false .* for config\.enableExemplars but received true/,
    );
    expect(() => new prom.Histogram({ name: 'h', help: 'h', buckets: [1, 0.5], registers: [registry] })).toThrow(
      /Expected a bound greater than 1 .* for config\.buckets\[1\] but received 0\.5/,
    );
    expect(() => new prom.Histogram({ name: 'h', help: 'h', buckets: [1, NaN], registers: [registry] })).toThrow(
      TypeError,
    );
    expect(registry.getMetricsAsArray()).toHaveLength(0);
  });
});

describe('series come into being as in prom-client', () => {
  it('labels() alone creates no series, and a rejected call creates none', async () => {
    const texts: string[] = [];
    for (const impl of [client, ours]) {
      const registry = new client.Registry();
      const h = new impl.Histogram({ name: 'h', help: 'h', labelNames: ['a'], buckets: [1], registers: [registry] });
      const c = new impl.Counter({ name: 'c_total', help: 'c', labelNames: ['a'], registers: [registry] });
      h.labels('idle');
      c.labels({ a: 'idle' });
      expect(() => h.observe({ a: 'bad' }, NaN)).toThrow(TypeError);
      expect(() => c.inc({ a: 'bad' }, -1)).toThrow('It is not possible to decrease a counter');
      expect(() => c.labels('bad2').inc(-1)).toThrow('It is not possible to decrease a counter');
      h.labels('used').observe(0.5);
      c.labels('used').inc();
      texts.push(await client.Registry.merge([registry]).metrics());
    }
    expect(texts[1]).toBe(texts[0]);
    expect(texts[1]).not.toMatch(/idle|bad/);
  });
});

describe('documented differences', () => {
  it('a missing label and an empty one are one series (prom-client keeps two)', async () => {
    const registry = new client.Registry();
    const h = new prom.Histogram({ name: 'h', help: 'h', labelNames: ['a', 'b'], buckets: [1], registers: [registry] });
    h.observe({ a: 'x' }, 0.5);
    h.observe({ a: 'x', b: '' }, 0.5);
    const text = await registry.metrics();
    // The fast path writes the missing label as b="" (the same series for Prometheus).
    expect(text).toContain('h_count{a="x",b=""} 2\n');
    expect(text.match(/h_count/g)).toHaveLength(1);
  });

  it('numbers and their text are one series through the fast path too', async () => {
    const registry = new client.Registry();
    const c = new prom.Counter({ name: 'c_total', help: 'c', labelNames: ['code'], registers: [registry] });
    for (let i = 0; i < 3; i++) {
      c.inc({ code: 200 });
      c.inc({ code: '200' });
    }
    c.remove({ code: 200 });
    c.inc({ code: '200' }, 5);
    c.inc({ code: 200 }, 1);
    expect(await registry.metrics()).toBe('# HELP c_total c\n# TYPE c_total counter\nc_total{code="200"} 6\n');
  });
});
