// Bucket boundaries of bpftrace's hist/lhist and of Prometheus `le` buckets,
// checked two ways: through HistLayout.index (the TS mirror) and through the
// native aggregator (one key, one event per value).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Aggregator, histogramLayout, type HistSpec } from '../src/index';

// bpftrace's log2(n, k) written out literally (codegen_llvm.cpp,
// createLog2Function) over BigInt int64 values, as the oracle.
function bpftraceLog2(n: bigint, k: number): number {
  if (n < 0n) return 0;
  const mask = (1n << BigInt(k)) - 1n;
  if (n <= mask) return Number(n + 1n);
  let l = 0n;
  let m = n;
  for (let i = 5; i >= 0; i--) {
    const threshold = 1n << (1n << BigInt(i));
    const shift = m >= threshold ? 1n << BigInt(i) : 0n;
    m >>= shift;
    l += shift;
  }
  l -= BigInt(k);
  const x = (n >> l) & mask;
  return Number(((l + 1n) << BigInt(k)) + x + 1n);
}

// bpftrace's lhist (createLinearFunction) over integers.
function bpftraceLinear(n: number, min: number, max: number, step: number): number {
  if (n < min) return 0;
  if (n > max) return Math.floor((max - min) / step) + 1;
  return Math.floor((n - min) / step) + 1;
}

const INT64_MAX = 2n ** 63n - 1n;

// The value's bpftrace bucket: floor it to an int64 first.
function oracleLog2(v: number, k: number): number {
  if (v >= 2 ** 63) return bpftraceLog2(INT64_MAX, k);
  return bpftraceLog2(BigInt(Math.floor(v)), k);
}

// Buckets hit by recording `values` natively under `hist` (one key).
function nativeBuckets(hist: HistSpec, values: number[]): number[] {
  const agg = new Aggregator<number>({ key: 'u64', hist });
  const out: number[] = [];
  try {
    for (const v of values) {
      agg.record(0, v);
      const h = agg.get(0)?.hist as Float64Array;
      const i = h.findIndex((c) => c > 0);
      out.push(i);
      agg.clear();
    }
  } finally {
    agg.close();
  }
  return out;
}

describe('log2 (bpftrace hist)', () => {
  const k0 = histogramLayout({ log2: {} });
  const edges: [number, number][] = [
    [-1e300, 0],
    [-5, 0],
    [-1, 0],
    [-0.5, 0],
    [-0, 1],
    [0, 1],
    [0.5, 1],
    [1, 2],
    [1.9, 2],
    [2, 3],
    [3, 3],
    [3.999, 3],
    [4, 4],
    [7, 4],
    [8, 5],
    [1023, 11],
    [1024, 12],
    [1025, 12],
    [2 ** 53, 55],
    [2 ** 62, 64],
    [2 ** 63, 64],
    [1e300, 64],
  ];

  it('puts edge values where bpftrace does (k = 0), in TS and natively', () => {
    expect(k0.size).toBe(65);
    for (const [v, i] of edges) expect(k0.index(v), `index(${v})`).toBe(i);
    expect(
      nativeBuckets(
        { log2: {} },
        edges.map(([v]) => v),
      ),
    ).toEqual(edges.map(([, i]) => i));
  });

  it('splits each power of two into 2^k buckets (k = 2)', () => {
    const k2 = histogramLayout({ log2: { k: 2 } });
    expect(k2.size).toBe(62 * 4 + 1);
    const cases: [number, number][] = [
      [-1, 0],
      [0, 1],
      [3, 4],
      [4, 5],
      [7, 8],
      [8, 9],
      [9, 9],
      [10, 10],
      [11, 10],
      [12, 11],
      [15, 12],
      [16, 13],
      [19, 13],
      [20, 14],
    ];
    for (const [v, i] of cases) expect(k2.index(v), `index(${v})`).toBe(i);
    expect(
      nativeBuckets(
        { log2: { k: 2 } },
        cases.map(([v]) => v),
      ),
    ).toEqual(cases.map(([, i]) => i));
  });

  it('matches the bpftrace algorithm for every k on random and boundary values', () => {
    const value = fc.oneof(
      fc.integer({ min: -1000, max: 5000 }),
      fc.double({ min: -1e6, max: 1e20, noNaN: true, noDefaultInfinity: true }),
      fc
        .integer({ min: 0, max: 62 })
        .chain((p) => fc.constantFrom(2 ** p - 1, 2 ** p, 2 ** p + 1, 2 ** p - 0.5, 3 * 2 ** p)),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.array(value, { minLength: 1, maxLength: 20 }), (k, vs) => {
        const layout = histogramLayout({ log2: { k } });
        const want = vs.map((v) => oracleLog2(v, k));
        expect(vs.map((v) => layout.index(v))).toEqual(want);
        expect(nativeBuckets({ log2: { k } }, vs)).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });

  it('labels buckets as bpftrace prints them', () => {
    expect(k0.label(0)).toBe('(..., 0)');
    expect(k0.label(1)).toBe('[0]');
    expect(k0.label(2)).toBe('[1]');
    expect(k0.label(3)).toBe('[2, 4)');
    expect(k0.label(11)).toBe('[512, 1K)');
    expect(k0.label(12)).toBe('[1K, 2K)');
    expect(k0.label(22)).toBe('[1M, 2M)');
    expect(k0.label(64)).toBe('[4E, 8E)');
    const k2 = histogramLayout({ log2: { k: 2 } });
    expect(k2.label(5)).toBe('[4]');
    expect(k2.label(8)).toBe('[7]');
    expect(k2.label(9)).toBe('[8, 10)');
    expect(k2.label(12)).toBe('[14, 16)');
    expect(k2.label(13)).toBe('[16, 20)');
  });

  it('gives upper edges as Prometheus bounds', () => {
    expect(Array.from(k0.bounds.subarray(0, 6))).toEqual([0, 1, 2, 4, 8, 16]);
    expect(k0.bounds.length).toBe(64);
    expect(k0.bounds[63]).toBe(2 ** 62);
  });
});

describe('linear (bpftrace lhist)', () => {
  const l = histogramLayout({ linear: { min: 0, max: 100, step: 10 } });
  const edges: [number, number][] = [
    [-1e9, 0],
    [-1, 0],
    [-0.5, 0],
    [0, 1],
    [9, 1],
    [9.99, 1],
    [10, 2],
    [99, 10],
    [99.9, 10],
    [100, 11],
    [100.5, 11],
    [110, 11],
    [1e300, 11],
  ];

  it('puts min, max - 1, max, max + step and below-min where bpftrace does', () => {
    expect(l.size).toBe(12);
    for (const [v, i] of edges) expect(l.index(v), `index(${v})`).toBe(i);
    expect(
      nativeBuckets(
        { linear: { min: 0, max: 100, step: 10 } },
        edges.map(([v]) => v),
      ),
    ).toEqual(edges.map(([, i]) => i));
  });

  it('matches the bpftrace algorithm on random specs and integer values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -500, max: 500 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: -2000, max: 3000 }), { minLength: 1, maxLength: 15 }),
        (min, step, buckets, vs) => {
          const max = min + step * buckets + (buckets % 3 === 0 ? step - 1 : 0);
          const spec = { linear: { min, max, step } };
          const layout = histogramLayout(spec);
          const want = vs.map((v) => bpftraceLinear(v, min, max, step));
          expect(vs.map((v) => layout.index(v))).toEqual(want);
          expect(nativeBuckets(spec, vs)).toEqual(want);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('labels buckets as bpftrace prints them', () => {
    expect(l.label(0)).toBe('(..., 0)');
    expect(l.label(1)).toBe('[0, 10)');
    expect(l.label(10)).toBe('[90, 100)');
    expect(l.label(11)).toBe('[100, ...)');
    const ones = histogramLayout({ linear: { min: 5, max: 8, step: 1 } });
    expect([0, 1, 2, 3, 4].map((i) => ones.label(i))).toEqual(['(..., 5)', '[5]', '[6]', '[7]', '[8, ...)']);
    const k = histogramLayout({ linear: { min: 0, max: 2 * 1048576, step: 1048576 / 2 } });
    expect(k.label(1)).toBe('[0, 512K)');
    expect(k.label(2)).toBe('[512K, 1M)');
    expect(k.label(5)).toBe('[2M, ...)');
    // A step that does not divide max - min: the overflow bucket starts at min + buckets * step.
    const odd = histogramLayout({ linear: { min: 0, max: 10, step: 3 } });
    expect(odd.index(9)).toBe(4);
    expect(odd.label(4)).toBe('[9, ...)');
    expect(Array.from(odd.bounds)).toEqual([0, 3, 6, 9]);
  });
});

describe('Prometheus buckets', () => {
  const b = histogramLayout({ buckets: [1, 5, 10] });
  const edges: [number, number][] = [
    [-1, 0],
    [1, 0],
    [1.0000001, 1],
    [5, 1],
    [5.5, 2],
    [10, 2],
    [10.5, 3],
    [1e308, 3],
  ];

  it('is upper-inclusive with a final +Inf bucket', () => {
    expect(b.size).toBe(4);
    for (const [v, i] of edges) expect(b.index(v), `index(${v})`).toBe(i);
    expect(
      nativeBuckets(
        { buckets: [1, 5, 10] },
        edges.map(([v]) => v),
      ),
    ).toEqual(edges.map(([, i]) => i));
    expect(b.label(0)).toBe('(..., 1]');
    expect(b.label(1)).toBe('(1, 5]');
    expect(b.label(3)).toBe('(10, ...)');
  });

  it('agrees with the native search beyond the short-list threshold', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 80 }),
        fc.array(fc.double({ min: -1200, max: 1200, noNaN: true }), { minLength: 1, maxLength: 10 }),
        (raw, vs) => {
          const bounds = raw.sort((x, y) => x - y).map((x) => x / 4);
          const layout = histogramLayout({ buckets: bounds });
          const want = vs.map((v) => bounds.filter((x) => x < v).length);
          expect(vs.map((v) => layout.index(v))).toEqual(want);
          expect(nativeBuckets({ buckets: bounds }, vs)).toEqual(want);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('spec validation', () => {
  const bad: [unknown, ErrorConstructor, RegExp][] = [
    [{ log2: { k: 6 } }, RangeError, /options\.hist\.log2\.k/],
    [{ log2: { k: 1.5 } }, RangeError, /options\.hist\.log2\.k/],
    [{ log2: { k: '1' } }, TypeError, /options\.hist\.log2\.k/],
    [{ linear: { min: 0, max: 100, step: 0 } }, RangeError, /options\.hist\.linear\.step/],
    [{ linear: { min: 0, max: 100, step: 0.5 } }, RangeError, /options\.hist\.linear\.step/],
    [{ linear: { min: 0, max: 5, step: 10 } }, RangeError, /options\.hist\.linear\.max/],
    [{ linear: { min: 0, max: 100000, step: 1 } }, RangeError, /at most 1000 buckets.*options\.hist\.linear\.step/],
    [{ linear: { min: 0, step: 1 } }, TypeError, /options\.hist\.linear\.max/],
    [{ buckets: [] }, RangeError, /options\.hist\.buckets/],
    [{ buckets: [1, 1] }, RangeError, /options\.hist\.buckets\[1\]/],
    [{ buckets: [1, NaN] }, RangeError, /options\.hist\.buckets\[1\]/],
    [{ buckets: [1, Infinity] }, RangeError, /options\.hist\.buckets\[1\]/],
    [{ buckets: [1, '2'] }, TypeError, /options\.hist\.buckets\[1\]/],
    [{ log2: {}, buckets: [1] }, TypeError, /exactly one/],
    [42, TypeError, /options\.hist/],
  ];
  it.each(bad)('rejects %j', (hist, type, message) => {
    expect(() => new Aggregator({ key: 'u64', hist: hist as HistSpec })).toThrow(type);
    expect(() => new Aggregator({ key: 'u64', hist: hist as HistSpec })).toThrow(message);
  });
});
