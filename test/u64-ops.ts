// Random U64Map operations and their effect on a JS Map oracle, shared by the
// snapshot round-trip property tests (load and open).
import fc from 'fast-check';
import { expect } from 'vitest';

import type { U64Map } from '../src/index';
import { normKey } from './helpers';

export type Key = number | bigint;
export type Op = { op: 'set'; key: Key; value: number } | { op: 'delete'; key: Key } | { op: 'setBatch'; keys: Key[] };

/** Small numbers and bigints (so keys repeat), and keys past 2^53. */
export const keyArb: fc.Arbitrary<Key> = fc.oneof(
  fc.integer({ min: 0, max: 500 }),
  fc.integer({ min: 0, max: 500 }).map((n) => BigInt(n)),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
);

/** Sets, deletes and setBatch calls of up to maxBatch keys. */
export function opArb(maxBatch: number): fc.Arbitrary<Op> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), key: keyArb, value: fc.double() }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), key: keyArb }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('setBatch' as const), keys: fc.array(keyArb, { maxLength: maxBatch }) }),
    },
  );
}

/** Applies ops to the map and the oracle alike; a delete's answer is checked on the way. */
export function applyOps(m: U64Map, oracle: Map<bigint, number>, ops: Op[]): void {
  for (const o of ops) {
    if (o.op === 'set') {
      m.set(o.key, o.value);
      oracle.set(normKey(o.key), o.value);
    } else if (o.op === 'delete') {
      expect(m.delete(o.key)).toBe(oracle.delete(normKey(o.key)));
    } else {
      const keys = BigUint64Array.from(o.keys.map(normKey));
      const values = Float64Array.from(keys, (_, i) => i + 0.25);
      m.setBatch(keys, values);
      keys.forEach((k, i) => oracle.set(k, values[i]));
    }
  }
}
