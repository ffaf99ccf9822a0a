// Differential tests: random sequences of single and batch operations on a
// U64Map and on a plain JS Map, once per supported (match, hash) kernel pair.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { U64Map } from '../src/index';
import { normKey, outKey, supportedPairs } from './helpers';

type Key = number | bigint;

// Small ints collide on purpose (updates, deletes of present keys, slot
// reuse); big bigints exercise keys >= 2^53; a number and its bigint twin
// must be the same key.
const keyArb: fc.Arbitrary<Key> = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: 0, max: 300 }).map((n) => BigInt(n)),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
  fc.constantFrom(0, 2 ** 53 - 1, 2n ** 64n - 1n, 2n ** 53n),
);
const valueArb = fc.double({ noNaN: true });

type Op =
  | { op: 'set'; key: Key; value: number }
  | { op: 'get' | 'has' | 'delete'; key: Key }
  | { op: 'setBatch'; keys: Key[]; values: number[] }
  | { op: 'getBatch' | 'hasBatch' | 'deleteBatch'; keys: Key[] }
  | { op: 'clear' | 'iterate' | 'size' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), key: keyArb, value: valueArb }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constantFrom('get' as const, 'has' as const, 'delete' as const), key: keyArb }),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.tuple(keyArb, valueArb), { maxLength: 200 })
      .map((pairs) => ({ op: 'setBatch' as const, keys: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]) })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constantFrom('getBatch' as const, 'hasBatch' as const, 'deleteBatch' as const),
      keys: fc.array(keyArb, { maxLength: 200 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('clear' as const, 'iterate' as const, 'size' as const) }) },
);

// The three key array kinds a batch may use, chosen by what the keys allow.
function keyArray(keys: Key[], flavour: number): BigUint64Array | Float64Array | Uint32Array {
  const big = keys.map(normKey);
  if (flavour === 1 && big.every((k) => k < 2n ** 53n)) return Float64Array.from(big, Number);
  if (flavour === 2 && big.every((k) => k < 2n ** 32n)) return Uint32Array.from(big, Number);
  return BigUint64Array.from(big);
}

function entriesOf(m: U64Map): Map<bigint, number> {
  const seen = new Map<bigint, number>();
  for (const [k, v] of m) {
    expect(typeof k === 'bigint' ? k >= 2n ** 53n : Number.isSafeInteger(k)).toBe(true);
    expect(seen.has(normKey(k))).toBe(false);
    seen.set(normKey(k), v);
  }
  return seen;
}

function run(m: U64Map, oracle: Map<bigint, number>, op: Op, flavour: number): void {
  switch (op.op) {
    case 'set':
      m.set(op.key, op.value);
      oracle.set(normKey(op.key), op.value);
      break;
    case 'get':
      expect(m.get(op.key)).toBe(oracle.get(normKey(op.key)));
      break;
    case 'has':
      expect(m.has(op.key)).toBe(oracle.has(normKey(op.key)));
      break;
    case 'delete':
      expect(m.delete(op.key)).toBe(oracle.delete(normKey(op.key)));
      break;
    case 'setBatch': {
      let added = 0;
      op.keys.forEach((k, i) => {
        if (!oracle.has(normKey(k))) added++;
        oracle.set(normKey(k), op.values[i]);
      });
      expect(m.setBatch(keyArray(op.keys, flavour), Float64Array.from(op.values))).toBe(added);
      break;
    }
    case 'getBatch': {
      const out = new Float64Array(op.keys.length).fill(123);
      const found = new Uint8Array(op.keys.length).fill(7);
      const hits = m.getBatch(keyArray(op.keys, flavour), out, found);
      const want = op.keys.map((k) => oracle.get(normKey(k)));
      expect(hits).toBe(want.filter((v) => v !== undefined).length);
      want.forEach((v, i) => {
        expect(found[i]).toBe(v === undefined ? 0 : 1);
        expect(out[i]).toBe(v === undefined ? NaN : v);
      });
      break;
    }
    case 'hasBatch': {
      const out = new Uint8Array(op.keys.length).fill(9);
      const hits = m.hasBatch(keyArray(op.keys, flavour), out);
      const want = op.keys.map((k) => (oracle.has(normKey(k)) ? 1 : 0));
      expect(Array.from(out)).toEqual(want);
      expect(hits).toBe(want.reduce<number>((a, b) => a + b, 0));
      break;
    }
    case 'deleteBatch': {
      let deleted = 0;
      for (const k of op.keys) if (oracle.delete(normKey(k))) deleted++;
      expect(m.deleteBatch(keyArray(op.keys, flavour))).toBe(deleted);
      break;
    }
    case 'clear':
      m.clear();
      oracle.clear();
      break;
    case 'iterate':
      expect(entriesOf(m)).toEqual(oracle);
      break;
    case 'size':
      expect(m.size).toBe(oracle.size);
      break;
  }
}

describe.each(supportedPairs())('U64Map matches a JS Map with match=$match hash=$hash', (pair) => {
  it('on random single and batch operations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(opArb, fc.integer({ min: 0, max: 2 })), { maxLength: 120 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (ops, seed) => {
          using m = new U64Map({ ...pair, seed });
          const oracle = new Map<bigint, number>();
          for (const [op, flavour] of ops) run(m, oracle, op, flavour);
          expect(m.size).toBe(oracle.size);
          expect(entriesOf(m)).toEqual(oracle);
          expect(m.stats()).toMatchObject({ match: pair.match, hash: pair.hash, size: oracle.size });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('through growth and delete-heavy churn (same-size growth)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 2000, max: 20000 }), (seed, n) => {
        using m = new U64Map({ ...pair });
        const oracle = new Map<bigint, number>();
        let rng = seed;
        const next = () => (rng = (Math.imul(rng, 1103515245) + 12345) >>> 0);
        for (let round = 0; round < 6; round++) {
          const keys = new BigUint64Array(n);
          const values = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            keys[i] = (BigInt(next()) << 32n) | BigInt(next());
            values[i] = next();
            oracle.set(keys[i], values[i]);
          }
          m.setBatch(keys, values);
          // Delete ~80% of everything present: churn leaves overflow chains behind.
          const victims = [...oracle.keys()].filter(() => next() % 5 !== 0);
          for (const k of victims) oracle.delete(k);
          expect(m.deleteBatch(BigUint64Array.from(victims))).toBe(victims.length);
          expect(m.size).toBe(oracle.size);
        }
        expect(entriesOf(m)).toEqual(oracle);
        const probe = BigUint64Array.from(oracle.keys());
        const out = new Float64Array(probe.length);
        expect(m.getBatch(probe, out)).toBe(probe.length);
        probe.forEach((k, i) => expect(out[i]).toBe(oracle.get(k)));
        expect(m.stats().B).toBeGreaterThanOrEqual(8);
      }),
      { numRuns: 3 },
    );
  });
});

// Huge pages change where bucket arrays come from, not how kernels match or
// hash: one run with the default kernels covers them.
describe('U64Map with hugePages', () => {
  it('matches a JS Map across bucket arrays of 2 MiB and more', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
        using m = new U64Map({ hugePages: true });
        const oracle = new Map<bigint, number>();
        let rng = seed;
        const next = () => (rng = (Math.imul(rng, 1103515245) + 12345) >>> 0);
        // Sized for 2^14 buckets of 144 bytes (2.25 MiB): on huge pages where the system has them.
        const n = 60_000;
        const keys = new BigUint64Array(n);
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          keys[i] = (BigInt(next()) << 32n) | BigInt(next());
          values[i] = i;
          oracle.set(keys[i], i);
        }
        m.setBatch(keys.subarray(0, 1000), values.subarray(0, 1000));
        m.setBatch(keys, values);
        for (let i = 0; i < 2000; i++) {
          const k = keys[next() % n];
          m.delete(k);
          oracle.delete(k);
        }
        expect(m.stats().B).toBeGreaterThanOrEqual(14);
        expect(entriesOf(m)).toEqual(oracle);
        const out = new Float64Array(n);
        expect(m.getBatch(keys, out)).toBe(oracle.size);
        const want = Float64Array.from(keys, (k) => oracle.get(k) ?? NaN);
        expect(out).toEqual(want);
      }),
      { numRuns: 2 },
    );
  });
});

describe('iteration while the map changes', () => {
  it.each(supportedPairs().filter((p) => p.hash === 'fold' || p.match === 'scalar'))(
    'produces every survivor exactly once and no key deleted before it was reached ($match/$hash)',
    (pair) => {
      using m = new U64Map({ ...pair, seed: 7n });
      const initial: bigint[] = [];
      for (let i = 0n; i < 3000n; i++) initial.push((i * 0x9e3779b97f4a7c15n) % 2n ** 64n);
      m.setBatch(BigUint64Array.from(initial), new Float64Array(initial.length).fill(1));
      const startB = m.stats().B;
      const seen = new Map<bigint, number>();
      const deleted = new Set<bigint>();
      const updated = new Set<bigint>();
      const fresh = new Set<bigint>();
      let added = 0n;
      let step = 0;
      for (const [k, v] of m) {
        const key = normKey(k);
        seen.set(key, (seen.get(key) ?? 0) + 1);
        expect(deleted.has(key)).toBe(false);
        if (++step % 10 === 0) {
          // Grow the map (fewer keys than produced, or the walk never ends) ...
          const batch = new BigUint64Array(6);
          for (let j = 0; j < 6; j++) fresh.add((batch[j] = 2n ** 64n - 1n - added++));
          m.setBatch(batch, new Float64Array(6).fill(2));
          // ... and delete a key that has not been produced yet.
          const victim = initial[(step * 7919) % initial.length];
          if (!seen.has(victim) && !deleted.has(victim)) {
            m.delete(victim);
            deleted.add(victim);
          }
          // Update one not produced yet: the iterator must show the new value.
          const updatedKey = initial[(step * 104729) % initial.length];
          if (!seen.has(updatedKey) && !deleted.has(updatedKey)) {
            m.set(updatedKey, 5);
            updated.add(updatedKey);
          }
        }
        expect(v).toBe(updated.has(key) ? 5 : fresh.has(key) ? 2 : 1);
      }
      for (const k of initial) expect(seen.get(k) ?? 0).toBe(deleted.has(k) ? 0 : 1);
      for (const [, count] of seen) expect(count).toBe(1);
      expect(m.stats().B).toBeGreaterThan(startB);
    },
  );

  it('stops cleanly when the map is closed mid-iteration', () => {
    const m = new U64Map();
    m.setBatch(
      new Float64Array(5000).map((_, i) => i),
      new Float64Array(5000),
    );
    const it = m.entries();
    it.next();
    m.close();
    expect(() => {
      for (let i = 0; i < 5000; i++) it.next();
    }).toThrow(/closed/);
  });

  it('yields numbers below 2^53 and bigints from there on', () => {
    using m = new U64Map();
    m.set(2 ** 53 - 1, 1)
      .set(2n ** 53n, 2)
      .set(5n, 3);
    const keys = [...m.keys()];
    expect(keys).toContain(2 ** 53 - 1);
    expect(keys).toContain(2n ** 53n);
    expect(keys).toContain(5);
    expect([...m.values()].sort()).toEqual([1, 2, 3]);
    expect(outKey(5n)).toBe(5);
  });
});
