// Aggregator.flushAsync: the staged batch is aggregated on the libuv pool;
// meanwhile every use throws EBUSY and records nothing, close() waits for
// it, and the result equals a synchronous flush.
import { describe, expect, it } from 'vitest';

import { Aggregator } from '../src/index';

const BATCH = 100_000;

function fill(agg: Aggregator<number>, n: number): void {
  for (let i = 0; i < n; i++) agg.record(i % 1000, i % 37);
}

describe('flushAsync', () => {
  it('aggregates the staged events exactly as flush() does', async () => {
    using a = new Aggregator<number>({ key: 'u64', hist: { log2: {} }, batchSize: BATCH });
    using b = new Aggregator<number>({ key: 'u64', hist: { log2: {} }, batchSize: BATCH });
    fill(a, BATCH - 1);
    fill(b, BATCH - 1);
    await a.flushAsync();
    b.flush();
    expect([...a.entries()].sort((x, y) => x[0] - y[0])).toEqual([...b.entries()].sort((x, y) => x[0] - y[0]));
    expect(a.get(7)?.count).toBe(100);
  });

  it('makes every use throw EBUSY, recording nothing, until it settles', async () => {
    using agg = new Aggregator<string>({ key: 'string', batchSize: BATCH });
    const h = agg.handle('hot');
    for (let i = 0; i < 1000; i++) agg.record(`k${i}`, 1);
    h.record(5);
    const pending = agg.flushAsync();
    for (const call of [
      () => agg.record('x', 1),
      () => h.record(1),
      () => agg.get('k1'),
      () => agg.size,
      () => agg.flush(),
      () => agg.stats(),
      () => agg.recordBatch(['a'], new Float64Array([1])),
      () => agg.handle('y'),
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    }
    await expect(agg.flushAsync()).rejects.toMatchObject({ code: 'EBUSY' });
    await pending;
    // Exactly what was staged before: none of the refused calls left a trace.
    expect(agg.size).toBe(1001);
    expect(agg.get('hot')).toMatchObject({ count: 1, sum: 5 });
    expect(agg.get('x')).toBeUndefined();
    expect(agg.stats().flushed).toBe(1001);
    // And it works normally again, handles included.
    h.record(2);
    agg.record('x', 3);
    expect(agg.get('hot')).toMatchObject({ count: 2, sum: 7 });
    expect(agg.get('x')?.count).toBe(1);
  });

  it('close() during a flushAsync frees the aggregator once it settles', async () => {
    const agg = new Aggregator<number>({ key: 'u64', batchSize: BATCH });
    fill(agg, 50_000);
    const pending = agg.flushAsync();
    agg.close();
    expect(() => agg.size).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
    await pending;
    expect(() => agg.record(1, 1)).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
  });

  it('resolves at once with nothing staged, and label keys go through too', async () => {
    using agg = new Aggregator({ key: { labels: ['route', 'code'] }, hist: { buckets: [0.1, 1] } });
    await agg.flushAsync();
    agg.record({ route: '/a', code: '200' }, 0.5);
    agg.record(['/b', 500], 2);
    await agg.flushAsync();
    expect(agg.get({ route: '/a', code: '200' })?.hist).toEqual(new Float64Array([0, 1, 0]));
    expect(agg.get(['/b', '500'])?.hist).toEqual(new Float64Array([0, 0, 1]));
  });
});
