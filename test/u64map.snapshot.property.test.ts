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
import { applyOps as apply, opArb as opArbOf } from './u64-ops';

const opArb = opArbOf(300);

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
