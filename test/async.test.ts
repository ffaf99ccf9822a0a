// Async batches on the libuv pool, for U64Map and StrMap: results equal the
// synchronous ones, the map is EBUSY while one runs, close() waits for it,
// errors reject with a stack that points at the caller.
import { describe, expect, it } from 'vitest';

import { StrMap, U64Map } from '../src/index';

const n = 200_000;
const values = Float64Array.from({ length: n }, (_, i) => i / 2);

// The two maps behind one shape: key i of the batch, and a batch of keys.
interface Subject<K, B> {
  name: string;
  make: () => U64Map | StrMap;
  key: (i: number) => K;
  batch: (xs: ArrayLike<number>) => B;
  badBatch: B;
  badMessage: RegExp;
}

const u64: Subject<number, Float64Array> = {
  name: 'U64Map',
  make: () => new U64Map(),
  key: (i) => i * 3,
  batch: (xs) => Float64Array.from(xs, (i) => i * 3),
  badBatch: new Float64Array([1, 2.5]),
  badMessage: /Expected an integer in \[0, 2\^53\) for keys\[1\] but received 2.5/,
};
const str: Subject<string, string[]> = {
  name: 'StrMap',
  make: () => new StrMap(),
  key: (i) => `key:${i * 3}${i % 5 ? '' : '/a key long enough for the arena'}`,
  batch: (xs) => Array.from(xs, (i) => str.key(i)),
  badBatch: ['ok', 5 as never],
  badMessage: /Expected a string or Uint8Array for keys\[1\] but received 5/,
};

const indices = Uint32Array.from({ length: n }, (_, i) => i);

// The map as the untyped surface both classes share.
type AnyMap = {
  setBatchAsync(k: unknown, v: Float64Array): Promise<number>;
  getBatchAsync(k: unknown, out: Float64Array, found?: Uint8Array): Promise<number>;
  setBatch(k: unknown, v: Float64Array): number;
  getBatch(k: unknown, out: Float64Array, found?: Uint8Array): number;
  get(k: unknown): number | undefined;
  set(k: unknown, v: number): unknown;
  readonly size: number;
  stats(): unknown;
  close(): void;
  [Symbol.iterator](): Iterator<unknown>;
};

describe.each([u64, str] as Subject<unknown, unknown>[])('$name getBatchAsync / setBatchAsync', (s) => {
  const keys = s.batch(indices);
  const open = () => s.make() as unknown as AnyMap;

  it('give the same results as the synchronous batches', async () => {
    const m = open();
    expect(await m.setBatchAsync(keys, values)).toBe(n);
    expect(m.size).toBe(n);
    // Half hits, half misses.
    const probe = s.batch(Uint32Array.from({ length: n }, (_, i) => (i % 2 ? i : i + n)));
    const out = new Float64Array(n);
    const found = new Uint8Array(n);
    const hits = await m.getBatchAsync(probe, out, found);
    const outSync = new Float64Array(n);
    const foundSync = new Uint8Array(n);
    expect(hits).toBe(m.getBatch(probe, outSync, foundSync));
    expect(hits).toBe(n / 2);
    expect(out).toEqual(outSync);
    expect(found).toEqual(foundSync);
    m.close();
  });

  it('makes every other use of the map throw EBUSY until it settles', async () => {
    const m = open();
    const pending = m.setBatchAsync(keys, values);
    for (const call of [
      () => m.get(s.key(1)),
      () => m.set(s.key(1), 1),
      () => m.size,
      () => m.setBatch(keys, values),
      () => m.stats(),
      () => [...(m as unknown as Iterable<unknown>)],
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    }
    await expect(m.getBatchAsync(keys, new Float64Array(n))).rejects.toMatchObject({ code: 'EBUSY' });
    expect(await pending).toBe(n);
    expect(m.get(s.key(1))).toBe(0.5);
    m.close();
  });

  it('close() during a batch frees the map after it settles', async () => {
    const m = open();
    m.setBatch(keys, values);
    const out = new Float64Array(n);
    const pending = m.getBatchAsync(keys, out);
    m.close();
    expect(() => m.size).toThrow(/closed/);
    expect(await pending).toBe(n);
    expect(out[1]).toBe(0.5);
  });

  it('rejects bad arguments without starting, leaving the map usable', async () => {
    const m = open();
    await expect(m.setBatchAsync(s.badBatch, new Float64Array(2))).rejects.toThrow(s.badMessage);
    await expect(m.getBatchAsync(keys, new Float64Array(1))).rejects.toBeInstanceOf(RangeError);
    expect(m.size).toBe(0);
    m.set(s.key(1), 1);
    expect(m.get(s.key(1))).toBe(1);
    m.close();
  });

  it('keeps working when the caller drops its arrays before the batch settles', async () => {
    const m = open();
    const pending = m.setBatchAsync(s.batch(indices), Float64Array.from(values));
    globalThis.gc?.();
    expect(await pending).toBe(n);
    expect(m.get(s.key(n - 1))).toBe(values[n - 1]);
    m.close();
  });

  it('rejects with code EINVAL and the caller in the stack when out is detached meanwhile', async () => {
    const m = open();
    m.setBatch(keys, values);
    const out = new Float64Array(n);
    async function callerOfTheBatch(): Promise<number> {
      const pending = m.getBatchAsync(keys, out);
      structuredClone(out.buffer, { transfer: [out.buffer] });
      return pending;
    }
    const err = (await callerOfTheBatch().catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('EINVAL');
    expect(err.message).toMatch(/detached or resized/);
    expect(err.stack).toMatch(/callerOfTheBatch/);
    expect(m.size).toBe(n); // and the map is usable again
    m.close();
  });
});
