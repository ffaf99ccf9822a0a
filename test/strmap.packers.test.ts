// The JS packer that turns a string[] batch into packed WTF-8 (src/runtime/strpack.ts)
// against the WTF-8 oracle of src/runtime/wtf8.ts: identical bytes and offsets for
// edge cases and random strings with lone surrogates, errors naming the bad
// key, and StrMap batches against a JS Map.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { StrMap } from '../src/index';
import { packKeys } from '../src/runtime/strpack';
import { encodeWtf8 } from '../src/runtime/wtf8';

/** The oracle: each key's WTF-8 bytes, back to back, and the offsets. */
function oracle(keys: readonly (string | Uint8Array)[]): { bytes: number[]; offsets: number[] } {
  const bytes: number[] = [];
  const offsets = [0];
  for (const k of keys) {
    bytes.push(...(typeof k === 'string' ? encodeWtf8(k) : k));
    offsets.push(bytes.length);
  }
  return { bytes, offsets };
}

function packed(keys: readonly unknown[]): { bytes: number[]; offsets: number[] } {
  const [b, o] = packKeys(keys);
  const offsets = [...o];
  return { bytes: [...b.subarray(0, offsets[offsets.length - 1])], offsets };
}

const KIB64 = 64 * 1024;
const edgeBatches: Record<string, (string | Uint8Array)[]> = {
  empty: [],
  'empty strings': ['', '', ''],
  NUL: ['\0', 'a\0b', '\0\0\0\0\0'],
  'lone surrogates': ['\uD800', '\uDC00', '\uDBFF', '\uDFFF', 'a\uD800', '\uDC00b', '\uDC00\uD800', 'abc\uD83D'],
  'U+FFFD beside a lone surrogate': ['\uFFFD', '\uD800\uFFFD', 'x\uFFFDy\uDFFF'],
  astral: ['😀', 'a😀b', '\u{10FFFF}', '\u{10000}'],
  'Latin-1 and BMP': ['é', 'ÿ', 'ユーザ:1', '€', '\u0080\u07FF\u0800'],
  'long keys': ['x'.repeat(64), 'y'.repeat(65), 'é'.repeat(100), 'a\uD800'.repeat(300)],
  'exactly 64 KiB': ['k'.repeat(KIB64), 'é'.repeat(KIB64 / 2), '€'.repeat((KIB64 - 1) / 3) + 'a'],
  'byte keys mixed in': ['a', new Uint8Array([0xff, 0, 0xed, 0xa0, 0x80]), '\uD800', new Uint8Array(0), 'z'],
};

describe('the string[] packer produces the WTF-8 oracle', () => {
  it.each(Object.entries(edgeBatches))('%s', (_name, keys) => {
    expect(packed(keys)).toEqual(oracle(keys));
  });

  it('random strings with lone surrogates', () => {
    const pieces = fc.constantFrom('\uD800', '\uDC00', '\uDFFF', '\uFFFD', '\0', 'é', '€', '😀', 'user:');
    const key = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.array(fc.oneof(pieces, fc.string({ maxLength: 5 })), { maxLength: 10 }).map((a) => a.join('')),
      fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(key, { maxLength: 50 }), (keys) => {
        expect(packed(keys)).toEqual(oracle(keys));
      }),
      { numRuns: 300 },
    );
  });

  it('a big batch that outgrows the reused buffers', () => {
    // 30k keys, a few of them long and non-ASCII, so the buffers grow more than once.
    const keys: (string | Uint8Array)[] = [];
    for (let i = 0; i < 30_000; i++) {
      keys.push(i % 5000 === 7 ? '€'.repeat(20_000) + i : i % 997 === 3 ? `usér:\uDC00${i}` : `user:${i}`);
    }
    keys[12_345] = new Uint8Array([1, 2, 3]);
    expect(packed(keys)).toEqual(oracle(keys));
  });
});

describe('the string[] packer rejects bad keys', () => {
  const bad: Record<string, unknown[]> = {
    'a number': ['a', 'b', 5],
    'a hole': ['a', , 'c'], // eslint-disable-line no-sparse-arrays
    'over 64 KiB in units': ['a', 'k'.repeat(KIB64 + 1)],
    'over 64 KiB in bytes only': ['a', 'é'.repeat(KIB64 / 2 + 1)],
    'over 64 KiB with lone surrogates': ['\uD800'.repeat(KIB64 / 3 + 1)],
  };
  it.each(Object.entries(bad))('%s', (_name, keys) => {
    expect(() => packKeys(keys)).toThrow(/^Expected .* for keys\[\d\] but received /);
  });

  it('an element getter that throws propagates its error', () => {
    const keys = ['a', 'b', 'c'];
    Object.defineProperty(keys, 1, {
      get() {
        throw new Error('boom');
      },
    });
    expect(() => packKeys(keys)).toThrow('boom');
  });

  // The packer reads the lengths of string keys some places ahead (for
  // scattered strings' cache misses): a bad key far into a long batch is still
  // named at its own index, and no getter of a non-string key runs.
  it.each([20, 40, 41, 99])('a bad key at index %i of 100 is named there, its getters untouched', (at) => {
    const keys: unknown[] = Array.from({ length: 100 }, (_, i) => `key:${i}`);
    let getterRan = false;
    keys[at] = {
      get length() {
        getterRan = true;
        return 3;
      },
    };
    expect(() => packKeys(keys)).toThrow(
      new RegExp(`^Expected a string or Uint8Array for keys\\[${at}\\] but received`),
    );
    expect(getterRan).toBe(false);
  });

  it('long batches of mixed strings and bytes pack as the oracle does', () => {
    const keys = Array.from({ length: 257 }, (_, i) =>
      i % 3 === 0 ? new TextEncoder().encode(`b${i}`) : `s${i}\u00e9\uD800`,
    );
    const [bytes, offsets] = packKeys(keys);
    const want = oracle(keys);
    expect(Array.from(offsets)).toEqual(want.offsets);
    expect(Array.from(bytes.subarray(0, offsets[keys.length]))).toEqual(want.bytes);
  });
});

describe('StrMap string[] batches', () => {
  it('agree with a JS Map', () => {
    const key = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 24 }),
      fc.constantFrom('', '\0', '\uD800', '\uDC00', '\uFFFD', '😀', 'é', 'a'.repeat(16)),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.double({ noNaN: true })), { maxLength: 40 }), (pairs) => {
        const keys = pairs.map((p) => p[0]);
        const oracleMap = new Map<string, number>();
        pairs.forEach(([k, v]) => oracleMap.set(k, v));
        using m = new StrMap();
        expect(m.setBatch(keys, new Float64Array(pairs.map((p) => p[1])))).toBe(oracleMap.size);
        const out = new Float64Array(keys.length + 2);
        const probe = [...keys, '\uFFFD\uFFFD', 'absent\uD800'];
        expect(m.getBatch(probe, out)).toBe(probe.filter((k) => oracleMap.has(k)).length);
        probe.forEach((k, i) => expect(Object.is(out[i], oracleMap.get(k) ?? NaN)).toBe(true));
        expect(new Map(m)).toEqual(oracleMap);
      }),
      { numRuns: 60 },
    );
  });

  it('a bad key leaves the map unchanged', () => {
    using m = new StrMap();
    m.set('a', 1);
    expect(() => m.setBatch(['b', 'é'.repeat(KIB64)], new Float64Array([2, 3]))).toThrow(RangeError);
    expect(() => m.setBatch(['b', 3 as never], new Float64Array([2, 3]))).toThrow(TypeError);
    expect(m.size).toBe(1);
  });
});
