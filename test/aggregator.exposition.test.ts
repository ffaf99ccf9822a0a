// toPrometheus renders natively (native/core/exposition.cpp) straight from
// the aggregator's rows. Its oracle is the JavaScript renderer
// (renderPrometheus / renderOpenMetrics, itself checked against prom-client
// and promtool elsewhere) fed the same entries read back through entries():
// the text must be byte for byte the same, for every key kind and histogram
// kind, label values that need escaping or are not UTF-8 (lone surrogates),
// and sums spanning JavaScript's number spellings. The handle-ordered render
// tophash/prom uses is checked the same way, across deletes, clear, zero and
// keys re-added.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { Aggregator, RENDER_TEXT, type AggHandle, type AggKey, type LabelKey } from '../src/metrics/aggregator';
import {
  renderOpenMetrics,
  renderPrometheus,
  type ExpositionFamily,
  type ExpositionSeries,
} from '../src/metrics/exposition';
import type { HistSpec } from '../src/metrics/histogram';

const LABELS = ['route', 'code'];
const HELP = 'help \\ with\nescapes "☃"';

// Values whose text takes every branch of Number#toString: integers, fixed
// decimals, exponents both ways, the extremes, and negative numbers.
const valueArb = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -1e-3, max: 1e-3, noNaN: true }),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.constantFrom(0, -0, 1e21, 1e-7, 123e-20, 5e-324, 1.7976931348623157e308, 0.1, 2 ** 53, 2 ** 60, -1e21),
);
const labelValueArb = fc.oneof(
  fc.constantFrom('/a', 'b"q', 'c\\d', 'n\nl', '☃', '', '\uD800', '\uDC00x', '😀', 'x\uD83D'),
  fc.string({ unit: 'binary', maxLength: 6 }).filter((s) => !s.includes('\0')),
);
const histArb: fc.Arbitrary<HistSpec | undefined> = fc.constantFrom<HistSpec | undefined>(
  undefined,
  { log2: {} },
  { log2: { k: 1 } },
  { linear: { min: -10, max: 10, step: 5 } },
  { buckets: [0.005, 0.1, 1, 2.5, 10] },
  { buckets: [-2, -0.5, 0, 3] },
);

type KeyKind = 'u64' | 'string' | 'labels';

function makeAgg(kind: KeyKind, hist: HistSpec | undefined): Aggregator<AggKey> {
  const key = kind === 'labels' ? { labels: LABELS } : kind;
  return new Aggregator<AggKey>({ key, hist, batchSize: 7 });
}

const keyArb = (kind: KeyKind): fc.Arbitrary<AggKey> =>
  kind === 'u64'
    ? fc.oneof(fc.nat(20), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
    : kind === 'string'
      ? labelValueArb
      : fc.tuple(labelValueArb, labelValueArb);

function labelValuesOf(kind: KeyKind, key: AggKey): string[] {
  if (kind === 'labels') {
    const o = key as Record<string, string>;
    return LABELS.map((n) => o[n]);
  }
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a u64 or string key here
  return [String(key)];
}

/** The oracle: the JavaScript renderer over the entries as the public readout returns them. */
function oracleText(
  agg: Aggregator<AggKey>,
  kind: KeyKind,
  entries: [AggKey, { count: number; sum: number; hist?: Float64Array }][],
  openMetrics: boolean,
  eof: boolean,
  name = 'm',
): string {
  const layout = agg.histogram;
  const series: ExpositionSeries[] = entries.map(([k, v]) => ({
    labelValues: labelValuesOf(kind, k),
    count: v.count,
    sum: v.sum,
    buckets: v.hist,
  }));
  const family: ExpositionFamily = {
    name,
    help: HELP,
    type: layout === undefined ? 'summary' : 'histogram',
    labelNames: kind === 'labels' ? LABELS : ['key'],
    series,
  };
  if (layout !== undefined) family.bounds = layout.bounds;
  const text = openMetrics ? renderOpenMetrics([family]) : renderPrometheus([family]);
  return eof || !openMetrics ? text : text.slice(0, -'# EOF\n'.length);
}

describe('toPrometheus (native) matches the JavaScript renderer', () => {
  for (const kind of ['labels', 'string', 'u64'] as const) {
    it(`renders every entry of ${kind} keys byte for byte`, () => {
      fc.assert(
        fc.property(
          histArb,
          fc.array(fc.tuple(keyArb(kind), valueArb), { maxLength: 30 }),
          fc.boolean(),
          (hist, events, openMetrics) => {
            using agg = makeAgg(kind, hist);
            for (const [k, v] of events) agg.record(k, v);
            const got = agg.toPrometheus({ name: 'm', help: HELP, openMetrics, allBuckets: true });
            expect(got).toBe(oracleText(agg, kind, [...agg.entries()], openMetrics, true));
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('by default leaves out only the le lines of buckets no series has used', () => {
    // The expected text: the full one without the le lines outside the used range, which is found
    // from the full text itself: a bucket is used where some series' cumulative count rises, the
    // overflow bucket where +Inf exceeds the last le line. One empty line stays below the range.
    const trimmed = (full: string): string => {
      const lines = full.split('\n');
      const les: string[] = [];
      const used = new Set<number>();
      const previous = new Map<string, number>();
      for (const line of lines) {
        const m = /^m_bucket\{(.*?)le="([^"]+)"\} (\S+)$/.exec(line);
        if (m === null) continue;
        if (m[2] !== '+Inf' && !les.includes(m[2])) les.push(m[2]);
        const count = Number(m[3]);
        if (count > (previous.get(m[1]) ?? 0)) used.add(m[2] === '+Inf' ? les.length : les.indexOf(m[2]));
        previous.set(m[1], count);
      }
      const lowest = Math.min(...used);
      const highest = Math.max(...used);
      const keep = new Set(used.size === 0 ? [] : les.slice(Math.max(0, lowest - 1), highest + 1));
      return lines
        .filter((line) => {
          const le = /^m_bucket\{.*le="([^"]+)"\}/.exec(line)?.[1];
          return le === undefined || le === '+Inf' || keep.has(le);
        })
        .join('\n');
    };
    fc.assert(
      fc.property(
        fc.constantFrom<HistSpec>({ log2: {} }, { log2: { k: 2 } }, { linear: { min: -10, max: 10, step: 5 } }),
        fc.array(fc.tuple(fc.nat(5), valueArb), { maxLength: 30 }),
        fc.boolean(),
        (hist, events, openMetrics) => {
          using agg = new Aggregator({ key: 'u64', hist });
          for (const [k, v] of events) agg.record(k, v);
          const full = agg.toPrometheus({ name: 'm', help: '', openMetrics, allBuckets: true });
          expect(agg.toPrometheus({ name: 'm', help: '', openMetrics })).toBe(trimmed(full));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes le exactly past 2^53, and keeps explicit buckets in full', () => {
    using agg = new Aggregator({ key: 'u64', hist: { log2: {} } });
    agg.record(1, 2 ** 61 + 2 ** 60);
    const text = agg.toPrometheus({ name: 'm', help: '' });
    // JavaScript alone would write 2^62 as 4611686018427388000.
    expect(text).toContain('m_bucket{key="1",le="2305843009213693952"} 0');
    expect(text).toContain('m_bucket{key="1",le="4611686018427387904"} 1');
    expect(text.match(/_bucket/g)).toHaveLength(3); // the empty bucket below, the used one, +Inf
    using explicit = new Aggregator({ key: 'u64', hist: { buckets: [1, 2, 3] } });
    explicit.record(1, 0.5);
    expect(explicit.toPrometheus({ name: 'm', help: '' }).match(/_bucket/g)).toHaveLength(4);
    expect(() => agg.toPrometheus({ name: 'm', help: '', allBuckets: 1 as never })).toThrow(/options\.allBuckets/);
  });

  it('spells single sums as String(n) does', () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        using agg = new Aggregator<number>({ key: 'u64' });
        agg.record(1, v);
        const text = agg.toPrometheus({ name: 'm', help: '' });
        expect(text).toContain(`m_sum{key="1"} ${Object.is(v, -0) ? '0' : String(v)}\n`);
      }),
      { numRuns: 2000 },
    );
  });

  it('renders handles in the order given, a key without an entry as zeros, across delete, clear and zero', () => {
    type Op =
      { op: 'record'; key: number; value: number } | { op: 'delete'; key: number } | { op: 'clear' | 'zero' | 'drain' };
    const keys = fc.tuple(labelValueArb, labelValueArb).chain((a) => fc.constant(a));
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 8, arbitrary: fc.record({ op: fc.constant('record' as const), key: fc.nat(5), value: valueArb }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key: fc.nat(5) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('clear' as const, 'zero' as const, 'drain' as const) }) },
    );
    fc.assert(
      fc.property(
        histArb,
        fc.uniqueArray(keys, { minLength: 6, maxLength: 6, selector: (k) => k.join('\0') }),
        fc.array(opArb, { maxLength: 40 }),
        fc.array(fc.nat(5), { maxLength: 8 }),
        fc.boolean(),
        (hist, keyList, ops, order, openMetrics) => {
          using agg = makeAgg('labels', hist) as Aggregator<LabelKey>;
          const handles: AggHandle[] = keyList.map((k) => agg.handle(k));
          for (const o of ops) {
            if (o.op === 'record') {
              // Half the events through the handle, half by key: a handle's
              // row may be re-created behind its back.
              if (o.value > 0) handles[o.key].record(o.value);
              else agg.record(keyList[o.key], o.value);
            } else if (o.op === 'delete') agg.delete(keyList[o.key]);
            else if (o.op === 'clear') agg.clear();
            else if (o.op === 'zero') agg.zero();
            else agg.lookupAndDeleteBatch();
          }
          const got = agg[RENDER_TEXT](
            { name: 'm', help: HELP, labelNames: LABELS, openMetrics, eof: false },
            order.map((i) => handles[i]),
          );
          const layout = agg.histogram;
          const entries = order.map((i): [AggKey, { count: number; sum: number; hist?: Float64Array }] => {
            const v = agg.get(keyList[i]);
            const zero = { count: 0, sum: 0, hist: layout && new Float64Array(layout.size) };
            return [{ route: keyList[i][0], code: keyList[i][1] }, v ?? zero];
          });
          expect(got).toBe(oracleText(agg as Aggregator<AggKey>, 'labels', entries, openMetrics, false));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses handle ids that are not live and label names the renderer refuses', () => {
    using agg = new Aggregator<LabelKey>({ key: { labels: ['le'] }, hist: { buckets: [1] } });
    expect(() => agg.toPrometheus({ name: 'm', help: '' })).toThrow(/families\[0\]\.labelNames\[0\]/);
    using ok = new Aggregator<LabelKey>({ key: { labels: ['a'] } });
    const family = { name: 'm', help: '', labelNames: ['a'], openMetrics: false, eof: false };
    const forged = { id: 12345, record() {} } as unknown as AggHandle;
    expect(() => ok[RENDER_TEXT](family, [forged])).toThrow(/handleIds\[0\]/);
  });

  it('counts the text it keeps for the next scrape in stats().bytes', () => {
    using agg = new Aggregator<number>({ key: 'u64' });
    agg.record(1, 1);
    const before = agg.stats().bytes;
    const text = agg.toPrometheus({ name: 'm', help: '' });
    expect(agg.stats().bytes).toBeGreaterThanOrEqual(before + text.length);
  });

  it('grows past 16 MiB of text and renders again from a fresh buffer', () => {
    using agg = new Aggregator<number>({ key: 'u64', hist: { linear: { min: 0, max: 1000, step: 1 } } });
    for (let k = 0; k < 300; k++) agg.record(k, k);
    const name = 'big_metric_name_for_a_long_text';
    const empty = agg.stats().bytes;
    const first = agg.toPrometheus({ name, help: HELP, allBuckets: true });
    expect(first.length).toBeGreaterThan(16 << 20);
    // Text this large is not kept for the next scrape (and so not counted as held).
    expect(agg.stats().bytes).toBeLessThan(empty + (1 << 20));
    agg.record(0, 1);
    const second = agg.toPrometheus({ name, help: HELP, allBuckets: true });
    expect(second).toBe(oracleText(agg as Aggregator<AggKey>, 'u64', [...agg.entries()], false, true, name));
  });
});
