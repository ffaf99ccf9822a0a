// Differential round trips: random operations on a U64Map and a JS Map,
// save, load (with the next match kernel in turn, since any must work), the
// loaded map compared with the oracle, then more random operations on the
// loaded map and the oracle and a second comparison. Once per supported
// (match, hash) kernel pair.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { U64Map, type MatchKernelName } from '../src/index';
import { normKey, supportedPairs } from './helpers';
import { snapshotDir } from './snapshot-dir';

type Key = number | bigint;
type Op = { op: 'set'; key: Key; value: number } | { op: 'delete'; key: Key } | { op: 'setBatch'; keys: Key[] };

const keyArb: fc.Arbitrary<Key> = fc.oneof(
  fc.integer({ min: 0, max: 500 }),
  fc.integer({ min: 0, max: 500 }).map((n) => BigInt(n)),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), key: keyArb, value: fc.double() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), key: keyArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('setBatch' as const), keys: fc.array(keyArb, { maxLength: 300 }) }),
  },
);

function apply(m: U64Map, oracle: Map<bigint, number>, ops: Op[]): void {
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

function expectSame(m: U64Map, oracle: Map<bigint, number>): void {
  expect(m.size).toBe(oracle.size);
  const seen = new Map<bigint, number>();
  for (const [k, v] of m) seen.set(normKey(k), v);
  expect(seen).toEqual(oracle);
}

const pairs = supportedPairs();
const matches = [...new Set(pairs.map((p) => p.match))];
const file = snapshotDir('snapshot-prop');

describe.each(pairs)('U64Map snapshot round trip with match=$match hash=$hash', ({ match, hash }) => {
  const loadMatch: MatchKernelName = matches[(matches.indexOf(match) + 1) % matches.length];
  it(`equals a JS Map after load (read with match=${loadMatch}) and after more writes`, () => {
    let run = 0;
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 60 }),
        fc.array(opArb, { maxLength: 60 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (before, after, seed) => {
          const m = new U64Map({ match, hash, seed });
          const oracle = new Map<bigint, number>();
          apply(m, oracle, before);
          const target = file(`${match}-${hash}-${run++}.thm`);
          m.save(target);
          m.close();
          const loaded = U64Map.load(target, { match: loadMatch, hash });
          expect(loaded.stats()).toMatchObject({ match: loadMatch, hash });
          expectSame(loaded, oracle);
          apply(loaded, oracle, after);
          expectSame(loaded, oracle);
          loaded.close();
        },
      ),
      { numRuns: 12 },
    );
  });
});
