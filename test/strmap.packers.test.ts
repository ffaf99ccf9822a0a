// Every way a string[] batch can be packed (src/runtime/strpack.ts: the JS encoder,
// per-string Node-API reads, one joined string read as UTF-16, UTF-8 or
// Latin-1) against the WTF-8 oracle of src/runtime/wtf8.ts: identical bytes and
// offsets for edge cases and random strings with lone surrogates, the same
// errors for bad keys, and StrMap batches forced onto each path against a JS
// Map.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import { StrMap } from '../src/index';
import { native } from '../src/runtime/native';
import { packKeys, setStringPacker, STRING_PACKERS, type StringPacker } from '../src/runtime/strpack';
import { encodeWtf8 } from '../src/runtime/wtf8';

const NATIVE_PACKERS = STRING_PACKERS.filter((p) => p !== 'js');

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

function packed(keys: readonly unknown[], packer: StringPacker): { bytes: number[]; offsets: number[] } {
  const [b, o] = packKeys(keys, packer);
  const offsets = [...o];
  return { bytes: [...b.subarray(0, offsets[offsets.length - 1])], offsets };
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
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

describe('string[] packers produce the WTF-8 oracle', () => {
  for (const [name, keys] of Object.entries(edgeBatches)) {
    it.each(STRING_PACKERS)(`${name}: %s`, (packer) => {
      expect(packed(keys, packer)).toEqual(oracle(keys));
    });
  }

  it.each(STRING_PACKERS)('random strings with lone surrogates: %s', (packer) => {
    const pieces = fc.constantFrom('\uD800', '\uDC00', '\uDFFF', '\uFFFD', '\0', 'é', '€', '😀', 'user:');
    const key = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.array(fc.oneof(pieces, fc.string({ maxLength: 5 })), { maxLength: 10 }).map((a) => a.join('')),
      fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(key, { maxLength: 50 }), (keys) => {
        expect(packed(keys, packer)).toEqual(oracle(keys));
      }),
      { numRuns: 300 },
    );
  });

  it.each(STRING_PACKERS)('a big batch that outgrows the reused buffers: %s', (packer) => {
    // 30k keys, a few of them long and non-ASCII, so the native packers stop
    // for room and resume more than once.
    const keys: (string | Uint8Array)[] = [];
    for (let i = 0; i < 30_000; i++) {
      keys.push(i % 5000 === 7 ? '€'.repeat(20_000) + i : i % 997 === 3 ? `usér:\uDC00${i}` : `user:${i}`);
    }
    keys[12_345] = new Uint8Array([1, 2, 3]);
    expect(packed(keys, packer)).toEqual(oracle(keys));
  });
});

describe('string[] packers reject bad keys as the JS packer does', () => {
  const bad: Record<string, unknown[]> = {
    'a number': ['a', 'b', 5],
    'a hole': ['a', , 'c'], // eslint-disable-line no-sparse-arrays
    'over 64 KiB in units': ['a', 'k'.repeat(KIB64 + 1)],
    'over 64 KiB in bytes only': ['a', 'é'.repeat(KIB64 / 2 + 1)],
    'over 64 KiB with lone surrogates': ['\uD800'.repeat(KIB64 / 3 + 1)],
  };
  for (const [name, keys] of Object.entries(bad)) {
    it.each(NATIVE_PACKERS)(`${name}: %s`, (packer) => {
      const expected = thrown(() => packKeys(keys, 'js')) as Error;
      const got = thrown(() => packKeys(keys, packer)) as Error;
      expect(got).toBeInstanceOf(expected.constructor);
      expect(got.message).toBe(expected.message);
      expect(got.message).toMatch(/^Expected .* for keys\[\d\] but received /);
    });
  }

  it.each(NATIVE_PACKERS)('an element getter that throws propagates its error: %s', (packer) => {
    const keys = ['a', 'b', 'c'];
    Object.defineProperty(keys, 1, {
      get() {
        throw new Error('boom');
      },
    });
    expect(() => packKeys(keys, packer)).toThrow('boom');
  });

  it('the native entry points check their own arguments', () => {
    const bytes = new Uint8Array(64);
    const offsets = new Uint32Array(4);
    const units = new Uint16Array(KIB64 + 2);
    expect(() => native.packStrings('ab' as never, 0, bytes, offsets, units, false)).toThrow(TypeError);
    expect(() => native.packStrings(['a'], 2, bytes, offsets, units, false)).toThrow(RangeError);
    expect(() => native.packStrings(['a'], 0, bytes, offsets, new Uint16Array(8), false)).toThrow(RangeError);
    expect(() => native.packStrings(['a', 'b', 'c', 'd'], 0, bytes, offsets, units, false)).toThrow(RangeError);
    const lengths = new Uint32Array([1, 1]);
    expect(() => native.packJoined('abc', lengths, bytes, offsets, units, 0)).toThrow(
      'Expected lengths that add up to joined.length (3) for lengths but received a sum of 2',
    );
    expect(() => native.packJoined('ab', lengths, new Uint8Array(6), offsets, units, 0)).toThrow(RangeError);
    expect(() => native.packJoined('ab', lengths, bytes, offsets, new Uint16Array(2), 0)).toThrow(RangeError);
    expect(() => native.packJoined(5 as never, lengths, bytes, offsets, units, 0)).toThrow(TypeError);
    // Resumable: a stop at a non-string returns its index with the offsets so far.
    const five = new Uint32Array(5);
    expect(native.packStrings(['ab', 'c', 7, 'd'], 0, bytes, five, units, true)).toBe(2);
    expect([...five.subarray(0, 3)]).toEqual([0, 2, 3]);
  });
});

describe('StrMap batches on every packer', () => {
  let previous: StringPacker | undefined;
  afterEach(() => {
    if (previous !== undefined) setStringPacker(previous);
    previous = undefined;
  });

  it('rejects an unknown packer name', () => {
    expect(() => setStringPacker('fast' as StringPacker)).toThrow(TypeError);
  });

  it.each(STRING_PACKERS)('agree with a JS Map and with every other packer: %s', (packer) => {
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
        previous = setStringPacker(packer);
        const added = m.setBatch(keys, new Float64Array(pairs.map((p) => p[1])));
        setStringPacker(previous);
        expect(added).toBe(oracleMap.size);
        for (const other of STRING_PACKERS) {
          setStringPacker(other);
          const out = new Float64Array(keys.length + 2);
          const probe = [...keys, '\uFFFD\uFFFD', 'absent\uD800'];
          const hits = m.getBatch(probe, out);
          expect(hits).toBe(probe.filter((k) => oracleMap.has(k)).length);
          probe.forEach((k, i) => expect(Object.is(out[i], oracleMap.get(k) ?? NaN)).toBe(true));
        }
        setStringPacker(previous);
        previous = undefined;
        expect(new Map(m)).toEqual(oracleMap);
      }),
      { numRuns: 60 },
    );
  });

  it.each(NATIVE_PACKERS)('a bad key leaves the map unchanged: %s', (packer) => {
    using m = new StrMap();
    m.set('a', 1);
    previous = setStringPacker(packer);
    expect(() => m.setBatch(['b', 'é'.repeat(KIB64)], new Float64Array([2, 3]))).toThrow(RangeError);
    expect(() => m.setBatch(['b', 3 as never], new Float64Array([2, 3]))).toThrow(TypeError);
    expect(m.size).toBe(1);
  });
});
