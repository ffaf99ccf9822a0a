// Differential tests: random sequences of single and batch operations on a
// StrMap and on a plain JS Map with the same string keys, once per supported
// (match, hash) kernel pair; plus the WTF-8 encoding and byte-key identities
// and a churn bound on memory.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { StrMap, type PackedKeys, type StrKey } from '../src/index';
import { decodeWtf8, encodeWtf8 } from '../src/runtime/wtf8';
import { supportedPairs } from './helpers';

// Lone surrogates, U+FFFD, NUL and the BOM next to arbitrary code points:
// '\uD800', '\uDC00' and '\uFFFD' must stay three keys, and a lead surrogate
// followed by a trail one is a pair (one code point).
const pieces = fc.constantFrom('\uD800', '\uDC00', '\uDBFF', '\uDFFF', '\uFFFD', '\0', '\uFEFF', 'a', 'é', '€', '😀');
const shortKey = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.array(fc.oneof(pieces, fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 8 }).map((a) => a.join('')),
  fc.constantFrom('', '\0', '\uD800', '\uDC00', '\uFFFD', 'user:1', 'a'.repeat(15), 'a'.repeat(16)),
);
const longKey = fc.oneof(
  fc.string({ unit: 'binary', minLength: 14, maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 1024 }),
  fc
    .array(fc.oneof(pieces, fc.string({ unit: 'binary', maxLength: 30 })), { minLength: 5, maxLength: 60 })
    .map((a) => a.join('')),
);
const keyArb: fc.Arbitrary<string> = fc.oneof({ weight: 4, arbitrary: shortKey }, { weight: 1, arbitrary: longKey });
const valueArb = fc.double({ noNaN: true });

type Op =
  | { op: 'set'; key: string; value: number }
  | { op: 'get' | 'has' | 'delete'; key: string }
  | { op: 'setBatch'; keys: string[]; values: number[] }
  | { op: 'getBatch' | 'hasBatch' | 'deleteBatch'; keys: string[] }
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
      .array(fc.tuple(keyArb, valueArb), { maxLength: 60 })
      .map((pairs) => ({ op: 'setBatch' as const, keys: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]) })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constantFrom('getBatch' as const, 'hasBatch' as const, 'deleteBatch' as const),
      keys: fc.array(keyArb, { maxLength: 60 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('clear' as const, 'iterate' as const, 'size' as const) }) },
);

/** Packs keys as WTF-8 bytes + offsets. */
function pack(keys: readonly string[]): PackedKeys {
  const parts = keys.map(encodeWtf8);
  const offsets = new Uint32Array(keys.length + 1);
  parts.forEach((p, i) => (offsets[i + 1] = offsets[i] + p.length));
  const bytes = new Uint8Array(offsets[keys.length]);
  parts.forEach((p, i) => bytes.set(p, offsets[i]));
  return { bytes, offsets };
}

// flavour 0: string[]; 1: packed; 2: an array of Uint8Array keys.
function batch(keys: string[], flavour: number): string[] | PackedKeys | Uint8Array[] {
  if (flavour === 1) return pack(keys);
  if (flavour === 2) return keys.map(encodeWtf8);
  return keys;
}

function single(key: string, flavour: number): StrKey {
  return flavour === 2 ? encodeWtf8(key) : key;
}

function entriesOf(m: StrMap): Map<string, number> {
  const seen = new Map<string, number>();
  for (const [k, v] of m) {
    expect(typeof k).toBe('string');
    expect(seen.has(k as string)).toBe(false);
    seen.set(k as string, v);
  }
  return seen;
}

function run(m: StrMap, oracle: Map<string, number>, op: Op, flavour: number): void {
  switch (op.op) {
    case 'set':
      m.set(single(op.key, flavour), op.value);
      oracle.set(op.key, op.value);
      break;
    case 'get':
      expect(m.get(single(op.key, flavour))).toBe(oracle.get(op.key));
      break;
    case 'has':
      expect(m.has(single(op.key, flavour))).toBe(oracle.has(op.key));
      break;
    case 'delete':
      expect(m.delete(single(op.key, flavour))).toBe(oracle.delete(op.key));
      break;
    case 'setBatch': {
      let added = 0;
      op.keys.forEach((k, i) => {
        if (!oracle.has(k)) added++;
        oracle.set(k, op.values[i]);
      });
      expect(m.setBatch(batch(op.keys, flavour), Float64Array.from(op.values))).toBe(added);
      break;
    }
    case 'getBatch': {
      const out = new Float64Array(op.keys.length).fill(123);
      const found = new Uint8Array(op.keys.length).fill(7);
      const hits = m.getBatch(batch(op.keys, flavour), out, found);
      const want = op.keys.map((k) => oracle.get(k));
      expect(hits).toBe(want.filter((v) => v !== undefined).length);
      want.forEach((v, i) => {
        expect(found[i]).toBe(v === undefined ? 0 : 1);
        expect(out[i]).toBe(v === undefined ? NaN : v);
      });
      break;
    }
    case 'hasBatch': {
      const out = new Uint8Array(op.keys.length).fill(9);
      const hits = m.hasBatch(batch(op.keys, flavour), out);
      const want = op.keys.map((k) => (oracle.has(k) ? 1 : 0));
      expect(Array.from(out)).toEqual(want);
      expect(hits).toBe(want.reduce<number>((a, b) => a + b, 0));
      break;
    }
    case 'deleteBatch': {
      let deleted = 0;
      for (const k of op.keys) if (oracle.delete(k)) deleted++;
      expect(m.deleteBatch(batch(op.keys, flavour))).toBe(deleted);
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

describe.each(supportedPairs())('StrMap matches a JS Map with match=$match hash=$hash', (pair) => {
  it('on random single and batch operations over unicode keys', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(opArb, fc.integer({ min: 0, max: 2 })), { maxLength: 60 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (ops, seed) => {
          using m = new StrMap({ ...pair, seed });
          const oracle = new Map<string, number>();
          for (const [op, flavour] of ops) run(m, oracle, op, flavour);
          expect(m.size).toBe(oracle.size);
          expect(entriesOf(m)).toEqual(oracle);
          expect(m.stats()).toMatchObject({ match: pair.match, hash: pair.hash, size: oracle.size });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('StrMap keys', () => {
  it('keeps lone surrogates, U+FFFD, NUL, the BOM and the empty string apart', () => {
    using m = new StrMap();
    const keys = ['\uD800', '\uDC00', '\uFFFD', '\uD800\uDC00', '\uDC00\uD800', '', '\0', '\0\0', '\uFEFF', '\uFEFFa'];
    keys.forEach((k, i) => m.set(k, i));
    expect(m.size).toBe(keys.length);
    keys.forEach((k, i) => expect(m.get(k)).toBe(i));
    expect(new Map(m)).toEqual(new Map(keys.map((k, i) => [k, i])));
  });

  it('a well-formed string is the same key as the Uint8Array of its UTF-8 bytes', () => {
    const te = new TextEncoder();
    fc.assert(
      fc.property(
        fc.array(
          keyArb.filter((s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()),
          { maxLength: 30 },
        ),
        (keys) => {
          using m = new StrMap();
          keys.forEach((k, i) => m.set(k, i));
          for (const k of keys) {
            const bytes = te.encode(k);
            expect(encodeWtf8(k)).toEqual(bytes);
            expect(m.get(bytes)).toBe(m.get(k));
            expect(m.has(bytes)).toBe(true);
          }
          const out = new Float64Array(keys.length);
          m.getBatch(
            keys.map((k) => te.encode(k)),
            out,
          );
          keys.forEach((k, i) => expect(out[i]).toBe(m.get(k)));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('WTF-8 round-trips every string and rejects encoded surrogate pairs', () => {
    fc.assert(
      fc.property(keyArb, (s) => {
        expect(decodeWtf8(encodeWtf8(s))).toBe(s);
      }),
      { numRuns: 500 },
    );
    // ED A0 80 ED B0 80 is '\uD800\uDC00' as two halves: not WTF-8 (the pair has a 4-byte form).
    expect(decodeWtf8(new Uint8Array([0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80]))).toBeNull();
    expect(decodeWtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toBe('\uD800');
    expect(decodeWtf8(new Uint8Array([0xff]))).toBeNull();
    expect(decodeWtf8(new Uint8Array([0xc0, 0x80]))).toBeNull(); // overlong NUL
  });

  it('iteration yields byte keys that are not WTF-8 as Uint8Arrays', () => {
    using m = new StrMap();
    m.set(new Uint8Array([0xff, 0x00]), 1);
    m.set(new Uint8Array([0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80]), 2);
    m.set(new Uint8Array([0x61, 0x62]), 3);
    m.set(new Uint8Array([0xed, 0xa0, 0x80]), 4);
    const got = [...m].sort((a, b) => a[1] - b[1]);
    expect(got).toEqual([
      [new Uint8Array([0xff, 0x00]), 1],
      [new Uint8Array([0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80]), 2],
      ['ab', 3],
      ['\uD800', 4],
    ]);
    for (const [k, v] of got) expect(m.get(k)).toBe(v);
  });

  it('keys of exactly MAX_KEY_BYTES are accepted', () => {
    using m = new StrMap();
    const k = 'x'.repeat(64 * 1024);
    m.set(k, 1);
    m.setBatch([k + ''], new Float64Array([2]));
    expect(m.get(k)).toBe(2);
    expect([...m.keys()]).toEqual([k]);
  });
});

describe('StrMap iteration while the map changes', () => {
  it('produces every survivor exactly once and no key deleted before it was reached', () => {
    using m = new StrMap({ seed: 7n });
    const initial = Array.from({ length: 3000 }, (_, i) =>
      i % 3 === 0 ? `long key number ${i} with padding` : `k${i}`,
    );
    m.setBatch(initial, new Float64Array(initial.length).fill(1));
    const seen = new Map<string, number>();
    const deleted = new Set<string>();
    let step = 0;
    for (const [k, v] of m) {
      const key = k as string;
      expect(seen.has(key)).toBe(false);
      expect(deleted.has(key)).toBe(false);
      seen.set(key, v);
      step++;
      // Delete a not-yet-seen key now and then, update another, add new ones (growth).
      const victim = initial[(step * 7919) % initial.length];
      if (!seen.has(victim) && m.delete(victim)) deleted.add(victim);
      const updated = initial[(step * 104729) % initial.length];
      if (!deleted.has(updated)) m.set(updated, 2);
      m.set(`new${step}`, 3);
    }
    for (const k of initial) if (!deleted.has(k)) expect(seen.has(k)).toBe(true);
  });
});

describe('StrMap memory under churn', () => {
  it('stats().bytes stays within a small factor of one round', () => {
    using m = new StrMap({ seed: 3n });
    const n = 100_000;
    const values = new Float64Array(n).fill(1);
    let oneRound = 0;
    let peak = 0;
    for (let round = 0; round < 8; round++) {
      // Long keys (arena) and short ones (inline), all new each round.
      const keys = Array.from({ length: n }, (_, i) =>
        i % 2 === 0 ? `round ${round} long key with some padding #${i}` : `r${round}:${i}`,
      );
      expect(m.setBatch(keys, values)).toBe(n);
      const bytes = m.stats().bytes;
      if (round === 0) oneRound = bytes;
      peak = Math.max(peak, bytes);
      expect(m.deleteBatch(keys)).toBe(n);
      expect(m.size).toBe(0);
    }
    expect(peak).toBeLessThan(4 * oneRound);
  });
});
