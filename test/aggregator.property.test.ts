// Differential property tests: random events through record, handles and
// recordBatch (interleaved, with small batch sizes so flushes fall anywhere)
// against a plain JavaScript aggregation, for every key and histogram kind.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Aggregator,
  histogramLayout,
  type AggHandle,
  type AggKey,
  type AggregatorOptions,
  type HashKernelName,
  type HistSpec,
  type LabelKey,
  type MatchKernelName,
} from '../src/index';
import { supportedPairs } from './helpers';

interface OracleEntry {
  count: number;
  sum: number;
  min: number;
  max: number;
  hist: number[];
}

const value = fc.oneof(
  fc.integer({ min: -1000, max: 5000 }),
  fc.double({ min: -1e12, max: 1e12, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 0.5, 1, 2, 3.999, 4, 1023, 1024, 2 ** 53, 2 ** 63, -1),
);

const histSpec: fc.Arbitrary<HistSpec | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 0, max: 5 }).map((k) => ({ log2: { k } })),
  fc
    .tuple(fc.integer({ min: -100, max: 100 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 30 }))
    .map(([min, step, n]) => ({ linear: { min, max: min + step * n, step } })),
  fc
    .uniqueArray(fc.integer({ min: -50, max: 5000 }), { minLength: 1, maxLength: 40 })
    .map((b) => ({ buckets: b.sort((x, y) => x - y) })),
);

type Op = { kind: 'record' | 'handle' | 'batch'; key: number; value: number; batchEnd: boolean };
const ops = fc.array(
  fc.record({
    kind: fc.constantFrom<('record' | 'handle' | 'batch')[]>('record', 'handle', 'batch'),
    key: fc.integer({ min: 0, max: 11 }),
    value,
    batchEnd: fc.boolean(),
  }),
  { maxLength: 120 },
);

interface KeyKind<K extends AggKey> {
  name: string;
  spec: 'u64' | 'string' | { labels: string[] };
  // The i-th key in one of its accepted spellings (variant picks one).
  key(i: number, variant: number): K;
  // Canonical oracle key of the i-th key, and of a readout key.
  id(i: number): string;
  readoutId(k: unknown): string;
  batch(keys: K[]): Parameters<Aggregator<K>['recordBatch']>[0];
}

const strings = ['', 'a', '/api/users', 'ünïcödé', '\uD800', '\uFFFD', 'x'.repeat(40), 'é', '💡', 'key 9', 'A', 'a '];
const u64s = [0, 1, 5, 2 ** 32, 2 ** 53 - 1, 1000, 7, 42];
const u64Big = [2n ** 53n, 2n ** 64n - 1n, 2n ** 63n, 123456789012345678n];

const kinds: KeyKind<AggKey>[] = [
  {
    name: 'u64',
    spec: 'u64',
    key: (i, v) => (i < 8 ? (v % 2 === 0 ? u64s[i] : BigInt(u64s[i])) : u64Big[i - 8]),
    id: (i) => (i < 8 ? BigInt(u64s[i]) : u64Big[i - 8]).toString(),
    readoutId: (k) => BigInt(k as number | bigint).toString(),
    batch: (keys) => keys,
  },
  {
    name: 'string',
    spec: 'string',
    key: (i) => strings[i],
    id: (i) => strings[i],
    readoutId: (k) => k as string,
    batch: (keys) => keys,
  },
  {
    name: 'labels',
    spec: { labels: ['route', 'code'] },
    key: (i, v): AggKey => {
      const route = strings[i % 6];
      const code = (i >> 1) % 2 === 0 ? 200 : '500';
      if (v % 3 === 0) return [route, code];
      if (v % 3 === 1) return { route, code };
      const o: Record<string, string | number> = route === '' ? { code } : { code, route };
      return o satisfies LabelKey;
    },
    id: (i) => `${strings[i % 6]}\0${(i >> 1) % 2 === 0 ? '200' : '500'}`,
    readoutId: (k) => {
      const o = k as Record<string, string>;
      return `${o.route}\0${o.code}`;
    },
    batch: (keys) => keys,
  },
];

type Kernels = { match?: MatchKernelName; hash?: HashKernelName } & Partial<AggregatorOptions>;

function run(
  kind: KeyKind<AggKey>,
  hist: HistSpec | undefined,
  batchSize: number,
  events: Op[],
  kernels: Kernels = {},
): void {
  const layout = hist === undefined ? undefined : histogramLayout(hist);
  const oracle = new Map<string, OracleEntry>();
  const agg = new Aggregator<AggKey>({ key: kind.spec, hist, batchSize, ...kernels });
  if (kernels.match !== undefined) expect(agg.stats()).toMatchObject({ match: kernels.match, hash: kernels.hash });
  const handles = new Map<number, AggHandle>();
  const pendingKeys: AggKey[] = [];
  const pendingValues: number[] = [];
  const flushBatch = (): void => {
    if (pendingKeys.length === 0) return;
    agg.recordBatch(kind.batch(pendingKeys), Float64Array.from(pendingValues));
    pendingKeys.length = 0;
    pendingValues.length = 0;
  };
  try {
    let variant = 0;
    for (const op of events) {
      const id = kind.id(op.key);
      let e = oracle.get(id);
      if (e === undefined) {
        e = { count: 0, sum: 0, min: Infinity, max: -Infinity, hist: new Array<number>(layout?.size ?? 0).fill(0) };
        oracle.set(id, e);
      }
      e.count += 1;
      e.sum += op.value;
      e.min = op.value < e.min ? op.value : e.min;
      e.max = op.value > e.max ? op.value : e.max;
      if (layout) e.hist[layout.index(op.value)] += 1;
      const key = kind.key(op.key, variant++);
      if (op.kind === 'batch') {
        pendingKeys.push(key);
        pendingValues.push(op.value);
        if (op.batchEnd) flushBatch();
        continue;
      }
      flushBatch();
      if (op.kind === 'record') {
        agg.record(key, op.value);
      } else {
        let h = handles.get(op.key);
        if (h === undefined) {
          h = agg.handle(key);
          handles.set(op.key, h);
        }
        h.record(op.value);
      }
    }
    flushBatch();
    expect(agg.size).toBe(oracle.size);
    const seen = new Set<string>();
    for (const [k, v] of agg.entries()) {
      const id = kind.readoutId(k);
      expect(seen.has(id)).toBe(false);
      seen.add(id);
      const e = oracle.get(id);
      expect(e, `unexpected key ${JSON.stringify(id)}`).toBeDefined();
      expect(v.count).toBe(e!.count);
      expect(v.sum).toBe(e!.sum);
      expect(v.min).toBe(e!.min);
      expect(v.max).toBe(e!.max);
      expect(v.avg).toBe(e!.sum / e!.count);
      if (layout) expect(Array.from(v.hist!)).toEqual(e!.hist);
      else expect(v.hist).toBeUndefined();
    }
    expect(seen.size).toBe(oracle.size);
    for (let i = 0; i < 12; i++) {
      const got = agg.get(kind.key(i, i));
      const e = oracle.get(kind.id(i));
      if (e === undefined) expect(got).toBeUndefined();
      else expect(got?.count).toBe(e.count);
    }
  } finally {
    agg.close();
  }
}

describe('Aggregator against a JS oracle', () => {
  for (const kind of kinds) {
    it(`aggregates ${kind.name} keys through record, handles and recordBatch, every histogram kind`, () => {
      fc.assert(
        fc.property(histSpec, fc.integer({ min: 1, max: 64 }), ops, (hist, batchSize, events) =>
          run(kind, hist, batchSize, events),
        ),
        { numRuns: 120 },
      );
    });
  }

  // Every supported (match, hash) pair forced in turn: the key table behaves the same under each.
  describe.each(supportedPairs())('kernels $match + $hash', (kernels) => {
    it('every key kind through record, handles and recordBatch, every histogram kind', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...kinds),
          histSpec,
          fc.integer({ min: 1, max: 64 }),
          ops,
          (kind, hist, batchSize, events) => run(kind, hist, batchSize, events, kernels),
        ),
        { numRuns: 40 },
      );
    });
  });

  // Offloaded: events go through a ring drained by the offload thread, and a tiny ring fills
  // often, so 'flush' (aggregating here) and the offload thread's drains interleave anywhere.
  // One ring per thread is drained in order, so even float sums agree exactly.
  describe.each([
    { ringSize: 16, onRingFull: 'flush' as const },
    { ringSize: 1024, onRingFull: 'flush' as const },
  ])('offloaded, ringSize $ringSize', (ring) => {
    it('every key kind through record, handles and recordBatch, every histogram kind', () => {
      fc.assert(
        fc.property(fc.constantFrom(...kinds), histSpec, ops, (kind, hist, events) =>
          run(kind, hist, 64, events, { offload: true, ...ring }),
        ),
        { numRuns: 150 },
      );
    });
    it.each(supportedPairs())('kernels $match + $hash', (kernels) => {
      fc.assert(
        fc.property(fc.constantFrom(...kinds), histSpec, ops, (kind, hist, events) =>
          run(kind, hist, 64, events, { offload: true, ...ring, ...kernels }),
        ),
        { numRuns: 15 },
      );
    });
  });
});
