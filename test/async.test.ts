// Async batches on the libuv pool: results equal the synchronous ones, the
// map is EBUSY while one runs, close() waits for it, errors reject.
import { describe, expect, it } from 'vitest';

import { U64Map } from '../src/index';

const n = 200_000;
const keys = Float64Array.from({ length: n }, (_, i) => i * 3);
const values = Float64Array.from({ length: n }, (_, i) => i / 2);

describe('getBatchAsync / setBatchAsync', () => {
  it('give the same results as the synchronous batches', async () => {
    using m = new U64Map();
    expect(await m.setBatchAsync(keys, values)).toBe(n);
    expect(m.size).toBe(n);
    const probe = Float64Array.from({ length: n }, (_, i) => i * 2);
    const out = new Float64Array(n);
    const found = new Uint8Array(n);
    const hits = await m.getBatchAsync(probe, out, found);
    const outSync = new Float64Array(n);
    const foundSync = new Uint8Array(n);
    expect(hits).toBe(m.getBatch(probe, outSync, foundSync));
    expect(out).toEqual(outSync);
    expect(found).toEqual(foundSync);
  });

  it('makes every other use of the map throw EBUSY until it settles', async () => {
    using m = new U64Map();
    const pending = m.setBatchAsync(keys, values);
    for (const call of [() => m.get(1), () => m.size, () => m.setBatch(keys, values), () => m.stats(), () => [...m]]) {
      expect(call).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    }
    await expect(m.getBatchAsync(keys, new Float64Array(n))).rejects.toMatchObject({ code: 'EBUSY' });
    expect(await pending).toBe(n);
    expect(m.get(3)).toBe(0.5);
  });

  it('close() during a batch frees the map after it settles', async () => {
    const m = new U64Map();
    m.setBatch(keys, values);
    const out = new Float64Array(n);
    const pending = m.getBatchAsync(keys, out);
    m.close();
    expect(() => m.size).toThrow(/closed/);
    expect(await pending).toBe(n);
    expect(out[1]).toBe(0.5);
  });

  it('rejects bad arguments without starting, leaving the map usable', async () => {
    using m = new U64Map();
    await expect(m.setBatchAsync(new Float64Array([1, 2.5]), new Float64Array(2))).rejects.toThrow(
      /Expected an integer in \[0, 2\^53\) for keys\[1\] but received 2.5/,
    );
    await expect(m.getBatchAsync(keys, new Float64Array(1))).rejects.toBeInstanceOf(RangeError);
    expect(m.size).toBe(0);
    m.set(1, 1);
    expect(m.get(1)).toBe(1);
  });

  it('keeps working when the caller drops its arrays before the batch settles', async () => {
    using m = new U64Map();
    const pending = m.setBatchAsync(Float64Array.from(keys), Float64Array.from(values));
    globalThis.gc?.();
    expect(await pending).toBe(n);
    expect(m.get(keys[n - 1])).toBe(values[n - 1]);
  });
});
