// Aggregator behaviour: the maxEntries bound (drop and CLOCK-LRU), handles
// across eviction, drains, deletes and clear, eBPF batch readout, zero, bad
// input (kernel names included) and a closed aggregator.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Aggregator,
  CodedError,
  kernels,
  U64Map,
  type HashKernelName,
  type LabelKey,
  type MatchKernelName,
} from '../src/index';
import { supportedPairs } from './helpers';

function keysOf(agg: Aggregator<number>): number[] {
  return [...agg.entries()].map(([k]) => k);
}

describe('maxEntries', () => {
  it("'drop' keeps the first keys and counts every event of a new key beyond the bound", () => {
    using agg = new Aggregator<number>({ key: 'u64', maxEntries: 3, batchSize: 5 });
    const late = agg.handle(100);
    for (let k = 0; k < 10; k++) agg.record(k, k);
    agg.record(0, 1); // an existing key still records
    late.record(1);
    late.record(2);
    const s = agg.stats();
    expect(s.entries).toBe(3);
    expect(s.dropped).toBe(9);
    expect(s.evicted).toBe(0);
    expect(s.flushed).toBe(13);
    expect(keysOf(agg).sort()).toEqual([0, 1, 2]);
    expect(agg.get(0)?.count).toBe(2);
    agg.delete(1);
    late.record(3); // room again: the handle's key gets in
    expect(agg.get(100)?.count).toBe(1);
  });

  // CLOCK's guarantee (not exact LRU): a key referenced again before the hand comes back round
  // survives while keys seen once are evicted.
  it("'lru' never holds more than maxEntries and keeps a key used between inserts of new keys", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 16 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 999 }), { maxLength: 300 }),
        (max, cold) => {
          using agg = new Aggregator<number>({ key: 'u64', maxEntries: max, onFull: 'lru', batchSize: 7 });
          const hot = agg.handle(1000);
          let hotCount = 0;
          for (const k of cold) {
            agg.record(k, 1);
            hot.record(2);
            hotCount++;
            expect(agg.size).toBeLessThanOrEqual(max);
          }
          if (hotCount > 0) expect(agg.get(1000)?.count).toBe(hotCount);
          const s = agg.stats();
          expect(s.entries).toBe(agg.size);
          expect(s.dropped).toBe(0);
          // Every key that got in and is gone now was evicted.
          const distinct = new Set([...cold, ...(hotCount > 0 ? [1000] : [])]).size;
          expect(s.evicted).toBeGreaterThanOrEqual(distinct - max);
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('handles', () => {
  it('survive eviction, drains, deletes, clear and zero', () => {
    using agg = new Aggregator<string>({ key: 'string', maxEntries: 2, onFull: 'lru', batchSize: 3 });
    const h = agg.handle('h');
    h.record(1);
    agg.record('a', 1);
    agg.record('a', 1);
    agg.record('b', 1);
    agg.record('b', 1);
    agg.record('c', 1); // evicts h (seen once) before a, b
    expect(agg.get('h')).toBeUndefined();
    h.record(5);
    expect(agg.get('h')).toMatchObject({ count: 1, sum: 5 });
    const drained = agg.lookupAndDeleteBatch();
    // CLOCK evicted h (seen once), then a (its reference cleared on the first sweep), then b.
    expect(drained.keys.sort()).toEqual(['c', 'h']);
    expect(agg.stats().evicted).toBe(3);
    expect(agg.size).toBe(0);
    h.record(7);
    expect(agg.get('h')).toMatchObject({ count: 1, sum: 7 });
    agg.delete('h');
    h.record(8);
    expect(agg.get('h')).toMatchObject({ count: 1, sum: 8 });
    agg.clear();
    expect(agg.size).toBe(0);
    h.record(9);
    expect(agg.get('h')).toMatchObject({ count: 1, sum: 9, min: 9, max: 9 });
    agg.zero();
    expect(agg.get('h')).toMatchObject({ count: 0, sum: 0 });
    h.record(10);
    expect(agg.get('h')).toMatchObject({ count: 1, sum: 10, min: 10, max: 10, avg: 10 });
  });

  it('record through the same key as record(key) into one entry', () => {
    using agg = new Aggregator<LabelKey>({ key: { labels: ['a', 'b'] } });
    const h = agg.handle({ b: 2, a: 'x' });
    h.record(1);
    agg.record(['x', '2'], 2);
    agg.record({ a: 'x', b: 2 }, 3);
    expect([...agg.entries()]).toEqual([
      [
        { a: 'x', b: '2' },
        { count: 3, sum: 6, min: 1, max: 3, avg: 2 },
      ],
    ]);
  });
});

describe('the record() handle cache', () => {
  it('stays correct past its bound, for string and label keys, single and batched', () => {
    using s = new Aggregator<string>({ key: 'string', batchSize: 1000 });
    using l = new Aggregator<LabelKey>({ key: { labels: ['a', 'b'] }, batchSize: 333 });
    const n = 6000;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < n; i++) {
        s.record(`k${i}`, i);
        l.record({ a: `x${i % 3000}`, b: i }, 1);
      }
      s.recordBatch(
        Array.from({ length: 100 }, (_, i) => `k${i}`),
        new Float64Array(100).fill(1),
      );
      l.recordBatch(
        Array.from({ length: 100 }, (_, i) => [`x${i}`, i]),
        new Float64Array(100).fill(1),
      );
    }
    expect(s.size).toBe(n);
    expect(s.get('k5')).toMatchObject({ count: 4, sum: 12 });
    expect(s.get('k5999')).toMatchObject({ count: 2, sum: 2 * 5999 });
    expect(l.size).toBe(n);
    expect(l.get(['x5', 5])?.count).toBe(4);
    expect(l.get(['x5', 3005])?.count).toBe(2);
    expect(() =>
      l.recordBatch(
        [
          ['ok', 1],
          ['bad\0', 2],
        ],
        new Float64Array(2),
      ),
    ).toThrow(/keys\[1\]\.a/);
    expect(() => l.recordBatch([['ok', 1]], new Float64Array([NaN]))).toThrow(/values\[0\]/);
    expect(l.get(['ok', 1])).toBeUndefined();
  });
});

describe('batch readout', () => {
  it('lookupBatch walks every key exactly once in whole groups', () => {
    using agg = new Aggregator<number>({ key: 'u64' });
    const n = 3000;
    agg.recordBatch(
      Float64Array.from({ length: n }, (_, i) => i),
      new Float64Array(n).fill(1),
    );
    const seen = new Set<number>();
    let cursor: unknown = undefined;
    let batches = 0;
    for (;;) {
      const b = agg.lookupBatch({ inBatch: cursor, count: 100 });
      expect(b.count).toBeLessThanOrEqual(100);
      expect(b.count).toBe(b.keys.length);
      for (const k of b.keys) {
        expect(seen.has(k)).toBe(false);
        seen.add(k);
      }
      batches++;
      if (b.done) break;
      cursor = b.outBatch;
    }
    expect(seen.size).toBe(n);
    expect(batches).toBeGreaterThan(30);
    expect(agg.size).toBe(n);
  });

  it('lookupAndDeleteBatch deletes exactly what it returned', () => {
    using agg = new Aggregator<number>({ key: 'u64' });
    for (let i = 0; i < 500; i++) agg.record(i, i);
    const b = agg.lookupAndDeleteBatch({ count: 64 });
    expect(b.done).toBe(false);
    expect(agg.size).toBe(500 - b.count);
    for (const k of b.keys) expect(agg.get(k)).toBeUndefined();
    const rest = agg.lookupBatch();
    expect(rest.done).toBe(true);
    expect(new Set([...rest.keys, ...b.keys]).size).toBe(500);
    for (let i = 0; i < b.count; i++) expect(b.values[i].sum).toBe(b.keys[i]);
  });

  it('throws ENOSPC with a count smaller than the first group, and rejects bad cursors', () => {
    using agg = new Aggregator<number>({ key: 'u64' });
    for (let i = 0; i < 8; i++) agg.record(i, 1); // 8 keys in one bucket of a tiny table
    let err: unknown;
    try {
      agg.lookupBatch({ count: 1 });
    } catch (e) {
      err = e;
    }
    // Either every group fits in 1 or the first did not: in the latter case ENOSPC.
    if (err !== undefined) expect((err as CodedError).code).toBe('ENOSPC');
    expect(() => agg.lookupBatch({ inBatch: -1 })).toThrow(RangeError);
    expect(() => agg.lookupBatch({ count: 0 })).toThrow(/options\.count/);
  });

  it('zero keeps keys and zeroes values; clear removes them', () => {
    using agg = new Aggregator<string>({ key: 'string', hist: { buckets: [1, 2] } });
    agg.record('a', 1);
    agg.record('b', 3);
    agg.zero();
    expect(agg.size).toBe(2);
    const a = agg.get('a')!;
    expect(a.count).toBe(0);
    expect(a.sum).toBe(0);
    expect(a.min).toBeNaN();
    expect(a.max).toBeNaN();
    expect(a.avg).toBeNaN();
    expect(Array.from(a.hist!)).toEqual([0, 0, 0]);
    agg.clear();
    expect(agg.size).toBe(0);
    expect(agg.get('a')).toBeUndefined();
  });

  it('stats reports staged events before flushing them', () => {
    using agg = new Aggregator<number>({ key: 'u64', batchSize: 100 });
    for (let i = 0; i < 10; i++) agg.record(1, i);
    const s = agg.stats();
    expect(s.staged).toBe(10);
    expect(s.flushed).toBe(10);
    expect(agg.stats().staged).toBe(0);
  });
});

describe('bad input', () => {
  const values: [unknown, ErrorConstructor][] = [
    [NaN, RangeError],
    [Infinity, RangeError],
    [-Infinity, RangeError],
    ['1', TypeError],
    [1n, TypeError],
    [undefined, TypeError],
  ];
  it.each(values)('rejects value %s with %o naming value, recording nothing', (v, type) => {
    using agg = new Aggregator<number>({ key: 'u64' });
    const h = agg.handle(1);
    expect(() => agg.record(1, v as number)).toThrow(type);
    expect(() => agg.record(1, v as number)).toThrow(/for value but received/);
    expect(() => h.record(v as number)).toThrow(type);
    expect(agg.size).toBe(0);
  });

  it('rejects bad keys naming key or its index, leaving the aggregator unchanged', () => {
    using u = new Aggregator<number | bigint>({ key: 'u64' });
    expect(() => u.record(-1, 1)).toThrow(RangeError);
    expect(() => u.record(1.5, 1)).toThrow(/for key but received 1.5/);
    expect(() => u.record(2n ** 64n, 1)).toThrow(RangeError);
    expect(() => u.record('1' as unknown as number, 1)).toThrow(TypeError);
    expect(() => u.recordBatch(new Float64Array([1, 2.5]), new Float64Array(2))).toThrow(/keys\[1\]/);
    expect(() => u.recordBatch([1, -2], new Float64Array(2))).toThrow(/keys\[1\]/);
    expect(() => u.recordBatch(new Float64Array([1, 2]), new Float64Array([1, NaN]))).toThrow(/values\[1\]/);
    expect(() => u.recordBatch(new Float64Array([1, 2]), new Float64Array(3))).toThrow(RangeError);
    expect(u.size).toBe(0);
    using s = new Aggregator<string>({ key: 'string' });
    expect(() => s.record('x'.repeat(70000), 1)).toThrow(/at most 65536 bytes/);
    expect(() => s.recordBatch(['a', 5] as unknown as string[], new Float64Array(2))).toThrow(/keys\[1\]/);
    expect(s.size).toBe(0);
    using l = new Aggregator<LabelKey>({ key: { labels: ['route'] } });
    expect(() => l.record({ route: 'a\0b' }, 1)).toThrow(/NUL.*key\.route/);
    expect(() => l.record({ route: true as unknown as string }, 1)).toThrow(/key\.route/);
    expect(() => l.record(['a', 'b'], 1)).toThrow(RangeError);
    expect(() => l.handle({ route: 'a\0' })).toThrow(RangeError);
    expect(l.size).toBe(0);
  });

  it('rejects bad options', () => {
    expect(() => new Aggregator({ key: 'x' as 'u64' })).toThrow(/options\.key/);
    expect(() => new Aggregator({ key: { labels: [] } })).toThrow(/options\.key\.labels/);
    expect(() => new Aggregator({ key: { labels: ['a', 'a'] } })).toThrow(/distinct/);
    expect(() => new Aggregator({ key: 'u64', maxEntries: 0 })).toThrow(/options\.maxEntries/);
    expect(() => new Aggregator({ key: 'u64', onFull: 'evict' as 'lru' })).toThrow(/options\.onFull/);
    expect(() => new Aggregator({ key: 'u64', batchSize: 0 })).toThrow(/options\.batchSize/);
    expect(() => new Aggregator(null as never)).toThrow(TypeError);
  });

  it('takes match and hash kernel names as the other maps do, and reports them in stats()', () => {
    expect(() => new Aggregator({ key: 'u64', match: 'sse9' as never })).toThrow(RangeError);
    expect(() => new Aggregator({ key: 'u64', match: 'sse9' as never })).toThrow(/sse9/);
    expect(() => new Aggregator({ key: 'string', hash: 'md5' as never })).toThrow(/md5/);
    expect(() => new Aggregator({ key: 'u64', match: 5 as never })).toThrow(/options\.match/);
    expect(() => new Aggregator({ key: 'u64', hash: {} as never })).toThrow(TypeError);
    for (const k of kernels().filter((k) => !k.supported)) {
      const opts = k.kind === 'match' ? { match: k.name as MatchKernelName } : { hash: k.name as HashKernelName };
      expect(() => new Aggregator({ key: 'u64', ...opts }), k.name).toThrow(RangeError);
    }
    using byDefault = new Aggregator({ key: 'u64' });
    using map = new U64Map();
    expect(byDefault.stats()).toMatchObject({ match: map.stats().match, hash: map.stats().hash });
    const [pair] = supportedPairs();
    using forced = new Aggregator({ key: { labels: ['a'] }, ...pair });
    expect(forced.stats()).toMatchObject(pair);
  });

  it('a closed aggregator throws ERR_CLOSED, its handles too', () => {
    const agg = new Aggregator<number>({ key: 'u64' });
    const h = agg.handle(1);
    h.record(1);
    agg.close();
    agg.close();
    for (const f of [
      () => agg.record(1, 1),
      () => h.record(1),
      () => agg.get(1),
      () => agg.size,
      () => agg.flush(),
      () => agg.stats(),
      () => agg.print(),
      () => [...agg.entries()],
      () => agg.handle(2),
    ]) {
      expect(f).toThrow(CodedError);
      expect(f).toThrow(/closed/);
    }
  });
});
