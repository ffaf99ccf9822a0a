// Differential round trips through U64Map.open: random operations on a
// U64Map and a JS Map, save, open read-only (with the next match kernel in
// turn and the same hash kernel), and every read the mapped map offers
// compared with the oracle: get/has on present and absent keys, getBatch and
// hasBatch over every key kind, size and iteration. Then a writable open,
// more random operations (the first one copies the snapshot into memory) and
// a second comparison. Once per supported (match, hash) kernel pair.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { U64Map, type MatchKernelName } from '../src/index';
import { normKey, supportedPairs } from './helpers';
import { snapshotDir } from './snapshot-dir';
import { applyOps as apply, keyArb, opArb as opArbOf } from './u64-ops';

const opArb = opArbOf(400);

// Every read a mapped map answers, against the oracle; `probes` adds keys
// that may be absent.
function expectSame(m: U64Map, oracle: Map<bigint, number>, probes: bigint[]): void {
  expect(m.size).toBe(oracle.size);
  const seen = new Map<bigint, number>();
  for (const [k, v] of m) {
    expect(seen.has(normKey(k))).toBe(false);
    seen.set(normKey(k), v);
  }
  expect(seen).toEqual(oracle);
  const keys = BigUint64Array.from([...oracle.keys(), ...probes]);
  for (const k of keys) {
    expect(m.get(k)).toBe(oracle.get(k));
    expect(m.has(k)).toBe(oracle.has(k));
  }
  const out = new Float64Array(keys.length);
  const found = new Uint8Array(keys.length);
  const hits = [...keys].filter((k) => oracle.has(k)).length;
  expect(m.getBatch(keys, out, found)).toBe(hits);
  keys.forEach((k, i) => {
    expect(found[i]).toBe(oracle.has(k) ? 1 : 0);
    expect(out[i]).toBe(oracle.get(k) ?? NaN);
  });
  const small = [...keys].filter((k) => k < 2n ** 32n);
  const present = new Uint8Array(small.length);
  expect(m.hasBatch(Uint32Array.from(small, Number), present)).toBe(small.filter((k) => oracle.has(k)).length);
  expect(m.hasBatch(Float64Array.from(small, Number), present)).toBe(small.filter((k) => oracle.has(k)).length);
}

const pairs = supportedPairs();
const matches = [...new Set(pairs.map((p) => p.match))];
const file = snapshotDir('open-prop');

describe.each(pairs)('U64Map.open round trip with match=$match hash=$hash', ({ match, hash }) => {
  const openMatch: MatchKernelName = matches[(matches.indexOf(match) + 1) % matches.length];
  it(`a read-only open (match=${openMatch}) equals a JS Map; a writable one after more writes`, () => {
    let run = 0;
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 60 }),
        fc.array(opArb, { minLength: 1, maxLength: 30 }),
        fc.array(keyArb, { maxLength: 40 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (before, after, absent, seed) => {
          const m = new U64Map({ match, hash, seed });
          const oracle = new Map<bigint, number>();
          apply(m, oracle, before);
          const target = file(`${match}-${hash}-${run++}.thm`);
          m.save(target);
          m.close();
          const probes = absent.map(normKey);
          const mapped = U64Map.open(target, { readonly: true, match: openMatch, hash });
          expect(mapped.stats()).toMatchObject({ match: openMatch, hash, mapped: true, size: oracle.size });
          expectSame(mapped, oracle, probes);
          mapped.close();

          const writable = U64Map.open(target, { match: openMatch, hash, verify: true });
          expectSame(writable, oracle, probes);
          apply(writable, oracle, after);
          expect(writable.stats().mapped).toBeUndefined();
          expectSame(writable, oracle, probes);
          writable.close();
        },
      ),
      { numRuns: 10 },
    );
  });
});
