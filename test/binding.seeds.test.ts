// Seeds across the binding: one reading of a seed argument, whose default
// differs by purpose. hash() and hashBatch() default to seed 0 (a stable,
// documented result); every map draws a fresh random seed.
import { describe, expect, it } from 'vitest';

import { hash, hashBatch } from '../src/index';
import { native } from '../src/runtime/native';

const data = new TextEncoder().encode('tophash');

function order(seed: bigint | undefined): string {
  const m = new native.U64Map(undefined, seed, undefined, undefined);
  const keys = Float64Array.from({ length: 2000 }, (_, i) => i);
  m.setBatch(keys, keys);
  const [scanned] = m.scan(0, 2 ** 32 - 1);
  m.close();
  return scanned.join(',');
}

describe('seeds', () => {
  it('hash() and hashBatch() without a seed use seed 0', () => {
    for (const family of ['aes', 'fold'] as const) {
      expect(hash(data, { family })).toBe(hash(data, { seed: 0n, family }));
      const keys = new BigUint64Array([1n, 2n]);
      expect(Array.from(hashBatch(keys, { family }))).toEqual(Array.from(hashBatch(keys, { seed: 0n, family })));
    }
  });

  it('a seed that is not a bigint in [0, 2^64) is a RangeError naming it, for hash and the maps alike', () => {
    expect(() => hash(data, { seed: 5 as never })).toThrow(
      /^Expected a bigint in \[0, 2\^64\) for seed but received 5$/,
    );
    expect(() => new native.U64Map(undefined, 5 as never, undefined, undefined)).toThrow(RangeError);
    expect(() => new native.StrMap(undefined, 2n ** 64n, undefined, undefined)).toThrow(
      /^Expected a bigint in \[0, 2\^64\) for options.seed/,
    );
  });

  it('maps without a seed draw a random one; equal seeds give equal layouts', () => {
    expect(order(7n)).toBe(order(7n));
    expect(order(undefined)).not.toBe(order(undefined));
  });
});
