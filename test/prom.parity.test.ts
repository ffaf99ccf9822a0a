// Drop-in parity: the same calls through prom-client and through tophash/prom
// give byte-identical prom-client-formatted text, the same stored samples from
// tophash's fast text path, and equal getMetricsAsJSON(),
// for Histogram, Counter and Gauge, including labels(), startTimer (with a
// fake hrtime), zero, reset and remove. Random call sequences (fast-check) plus
// a few written-out cases.
import fc from 'fast-check';
import * as client from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import * as prom from '../src/prom';
import { storedSamples } from './exposition-parser';

type Impl = { Histogram: typeof client.Histogram; Counter: typeof client.Counter; Gauge: typeof client.Gauge };
const IMPLS: [string, Impl][] = [
  ['prom-client', client],
  ['tophash/prom', prom],
];

const NAMES = ['route', 'code'] as const;
// Label values: strings that need escaping, unicode, and a number that aliases
// its string spelling. Not '' (see test/prom.behaviour.test.ts: tophash treats a
// missing label and an empty one as one series, as Prometheus does).
const valueArb = fc.constantFrom<string | number>('/a', '/b"q', 'c\\d', 'n\nl', '☃', 200, '200', 500);
const labelsArb = fc.oneof(
  fc.record({ route: valueArb, code: valueArb }),
  fc.record({ code: valueArb, route: valueArb }), // another key order: the first one seen is reported
  fc.record({ route: valueArb }), // a missing label
);
const numberArb = fc.oneof(fc.double({ min: -5, max: 20, noNaN: true }), fc.constantFrom(0, 0.005, 0.1, 1, 10, 2.5));

type HistOp =
  | { op: 'observe'; labels: Record<string, string | number>; value: number }
  | { op: 'observeBare'; value: number }
  | { op: 'child'; values: [string, string]; value: number }
  | { op: 'timer'; labels: Record<string, string | number>; ms: number }
  | { op: 'zero' | 'remove'; labels: Record<string, string | number> }
  | { op: 'reset' };

const histOpArb: fc.Arbitrary<HistOp> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('observe' as const), labels: labelsArb, value: numberArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('observeBare' as const), value: numberArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('child' as const),
      values: fc.tuple(fc.constantFrom('/a', '/b"q', '☃'), fc.constantFrom('200', '500')),
      value: numberArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('timer' as const), labels: labelsArb, ms: fc.nat(3000) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('zero' as const, 'remove' as const), labels: labelsArb }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reset' as const }) },
);

/**
 * Runs the same calls on prom-client and on tophash/prom, each in its own registry. Returns each
 * side's prom-client-formatted text (read through Registry.merge, a registry tophash has not given
 * its fast path, so prom-client formats every line), its getMetricsAsJSON(), and checks that the
 * fast path (`registry.metrics()` on the registry the metrics registered in) stores the same
 * samples in Prometheus.
 */
async function bothTexts(
  run: (impl: Impl, registry: client.Registry) => void,
): Promise<[string, string, unknown, unknown]> {
  const out: string[] = [];
  const json: unknown[] = [];
  const fast: string[] = [];
  for (const [, impl] of IMPLS) {
    // Both implementations see the same clock.
    vi.setSystemTime(1_700_000_000_500);
    const registry = new client.Registry();
    run(impl, registry);
    out.push(await client.Registry.merge([registry]).metrics());
    fast.push(await registry.metrics());
    json.push(JSON.parse(JSON.stringify(await registry.getMetricsAsJSON())));
  }
  expect(storedSamples(fast[1])).toEqual(storedSamples(fast[0]));
  return [out[0], out[1], json[0], json[1]];
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['hrtime', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Histogram parity', () => {
  it('random call sequences give identical metrics() text and JSON', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Not a bound of -1: prom-client files values above the last bound under its -1 sentinel
        // when -1 is also a bound (a prom-client bug).
        fc.constantFrom(undefined, [0.1, 1, 5], [-2, 0, 2.5]),
        fc.array(histOpArb, { maxLength: 40 }),
        async (buckets, ops) => {
          const [theirs, ours, theirJson, ourJson] = await bothTexts((impl, registry) => {
            // prom-client needs buckets absent (not undefined) for its defaults.
            const h = new impl.Histogram({
              name: 'latency_seconds',
              help: 'Latency "of" \\ requests\nms',
              labelNames: [...NAMES],
              ...(buckets ? { buckets: [...buckets] } : {}),
              registers: [registry],
            });
            for (const o of ops) {
              if (o.op === 'observe') h.observe(o.labels, o.value);
              else if (o.op === 'observeBare') h.observe(o.value);
              else if (o.op === 'child') h.labels(...o.values).observe(o.value);
              else if (o.op === 'timer') {
                const end = h.startTimer({ route: o.labels.route });
                vi.advanceTimersByTime(o.ms);
                end(o.labels.code === undefined ? undefined : { code: o.labels.code });
              } else if (o.op === 'zero') h.zero(o.labels);
              else if (o.op === 'remove') h.remove(o.labels);
              else h.reset();
            }
          });
          expect(ours).toBe(theirs);
          expect(ourJson).toEqual(theirJson);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('matches on an unlabelled histogram, before and after reset', async () => {
    const [theirs, ours] = await bothTexts((impl, registry) => {
      const h = new impl.Histogram({ name: 'job_seconds', help: 'h', registers: [registry] });
      h.observe(0.3);
      h.observe(7);
      const end = h.startTimer();
      vi.advanceTimersByTime(1500);
      expect(end()).toBe(1.5);
    });
    expect(ours).toBe(theirs);
    expect(ours).toContain('job_seconds_count 3\n');
    const [a, b] = await bothTexts((impl, registry) => {
      new impl.Histogram({ name: 'job_seconds', help: 'h', registers: [registry] }).reset();
    });
    expect(b).toBe(a);
  });

  it('a labels() child keeps recording after reset and remove', async () => {
    const [theirs, ours] = await bothTexts((impl, registry) => {
      const h = new impl.Histogram({ name: 'x_seconds', help: 'h', labelNames: ['route'], registers: [registry] });
      const child = h.labels({ route: '/a' });
      child.observe(1);
      h.reset();
      child.observe(2);
      h.remove('/a');
      child.observe(3);
      const end = child.startTimer();
      vi.advanceTimersByTime(250);
      end();
    });
    expect(ours).toBe(theirs);
    expect(ours).toContain('x_seconds_count{route="/a"} 2\n');
  });
});

type ValueOp =
  | { op: 'inc' | 'dec' | 'set'; labels: Record<string, string | number> | undefined; value: number | undefined }
  | { op: 'child'; values: [string, string]; value: number | undefined }
  | { op: 'remove'; labels: Record<string, string | number> }
  | { op: 'reset' };

const valueOpArb = (ops: ('inc' | 'dec' | 'set')[]): fc.Arbitrary<ValueOp> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        op: fc.constantFrom(...ops),
        labels: fc.option(labelsArb, { nil: undefined }),
        value: fc.option(fc.oneof(fc.nat(1000), fc.double({ min: 0, max: 100, noNaN: true })), { nil: undefined }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('child' as const),
        values: fc.tuple(fc.constantFrom('/a', '☃'), fc.constantFrom('200', '500')),
        value: fc.option(fc.nat(50), { nil: undefined }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), labels: labelsArb }) },
    { weight: 1, arbitrary: fc.constant({ op: 'reset' as const }) },
  );

describe('Counter parity', () => {
  it('random call sequences give identical metrics() text and JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(valueOpArb(['inc']), { maxLength: 40 }), fc.boolean(), async (ops, labelled) => {
        const [theirs, ours, theirJson, ourJson] = await bothTexts((impl, registry) => {
          const c = new impl.Counter({
            name: 'jobs_total',
            help: 'Jobs',
            labelNames: labelled ? [...NAMES] : [],
            registers: [registry],
          });
          for (const o of ops) {
            if (o.op === 'inc') {
              if (o.labels && labelled) c.inc(o.labels, o.value);
              else c.inc(o.value);
            } else if (o.op === 'child') {
              if (labelled) c.labels(...o.values).inc(o.value);
            } else if (o.op === 'remove') {
              if (labelled) c.remove(o.labels);
            } else c.reset();
          }
        });
        expect(ours).toBe(theirs);
        expect(ourJson).toEqual(theirJson);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Gauge parity', () => {
  it('random call sequences give identical metrics() text and JSON', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(valueOpArb(['inc', 'dec', 'set']), { maxLength: 40 }),
        fc.boolean(),
        async (ops, labelled) => {
          const [theirs, ours, theirJson, ourJson] = await bothTexts((impl, registry) => {
            const g = new impl.Gauge({
              name: 'depth',
              help: 'Depth',
              labelNames: labelled ? [...NAMES] : [],
              registers: [registry],
            });
            for (const o of ops) {
              if (o.op === 'child') {
                if (labelled) g.labels(...o.values).inc(o.value);
              } else if (o.op === 'remove') {
                if (labelled) g.remove(o.labels);
              } else if (o.op === 'reset') {
                g.reset();
              } else {
                // prom-client's set() reports the last label object it was given, tophash the first
                // one seen: pass labels in labelNames order with string values, as labels() does.
                const labels = o.labels && labelled ? inNameOrder(o.labels) : undefined;
                if (o.op === 'set') {
                  if (labels) g.set(labels, o.value ?? 0);
                  else g.set(o.value ?? 0);
                } else if (labels) g[o.op](labels, o.value);
                else g[o.op](o.value);
              }
            }
          });
          expect(ours).toBe(theirs);
          expect(ourJson).toEqual(theirJson);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('setToCurrentTime and startTimer match', async () => {
    const [theirs, ours] = await bothTexts((impl, registry) => {
      const g = new impl.Gauge({ name: 'last_run_seconds', help: 'h', labelNames: ['job'], registers: [registry] });
      g.setToCurrentTime({ job: 'a' });
      g.labels('b').setToCurrentTime();
      const end = g.startTimer({ job: 'c' });
      vi.advanceTimersByTime(1234);
      end();
      const child = g.labels({ job: 'd' }).startTimer();
      vi.advanceTimersByTime(10);
      child();
    });
    expect(ours).toBe(theirs);
    expect(ours).toContain('last_run_seconds{job="a"} 1700000000.5\n');
  });
});

function inNameOrder(labels: Record<string, string | number>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const k of NAMES) if (k in labels) out[k] = String(labels[k]);
  return out;
}
