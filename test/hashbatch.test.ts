// hashBatch over byte keys: { bytes, offsets } and { bytes, keySize } against
// hash() of each key on its own (the oracle), per hash kernel forced in turn,
// and every documented error leaving `out` exactly as it was.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { hash, hashBatch, kernels, type HashBatchOptions, type HashKernelName } from '../src/index';

const hashKernels = kernels()
  .filter((k) => k.kind === 'hash' && k.supported)
  .map((k) => k.name as HashKernelName);

const seedArb = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

/** Keys back to back after `pad` leading bytes, with offsets that start at `pad`. */
function pack(keys: Uint8Array[], pad = 0, slack = 0): { bytes: Uint8Array; offsets: Uint32Array } {
  const total = keys.reduce((n, k) => n + k.length, pad + slack);
  const bytes = new Uint8Array(total).fill(0xa5);
  const offsets = new Uint32Array(keys.length + 1);
  let pos = pad;
  offsets[0] = pos;
  keys.forEach((k, i) => {
    bytes.set(k, pos);
    offsets[i + 1] = pos += k.length;
  });
  return { bytes, offsets };
}

function perKey(keys: Uint8Array[], options: HashBatchOptions): bigint[] {
  return keys.map((k) => hash(k, options));
}

function detached<T extends ArrayBufferView>(view: T): T {
  structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
  return view;
}

describe.each(hashKernels)('hashBatch of byte keys with kernel %s', (kernel) => {
  it('{ bytes, offsets } equals hash() of each key, lengths 0..300', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }),
        seedArb,
        fc.nat(20),
        fc.nat(20),
        (keys, seed, pad, slack) => {
          const options = { seed, kernel };
          const got = hashBatch(pack(keys, pad, slack), options);
          expect(got).toBeInstanceOf(BigUint64Array);
          expect(Array.from(got)).toEqual(perKey(keys, options));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('{ bytes, keySize } equals hash() of each key and the same keys packed with offsets', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(16), fc.constant(8), fc.integer({ min: 1, max: 300 })),
        fc.nat(40),
        seedArb,
        fc.nat(20),
        (keySize, count, seed, pad) => {
          const bytes = Uint8Array.from({ length: keySize * count }, (_, i) => Number((BigInt(i) * seed + 7n) & 0xffn));
          const keys = Array.from({ length: count }, (_, i) => bytes.subarray(i * keySize, (i + 1) * keySize));
          const options = { seed, kernel };
          const fixed = hashBatch({ bytes, keySize }, options);
          expect(Array.from(fixed)).toEqual(perKey(keys, options));
          // Offsets of one key length are hashed as fixed-width keys: the same results.
          expect(Array.from(hashBatch(pack(keys, pad, pad), options))).toEqual(Array.from(fixed));
          if (count > 1) {
            const mixed = [...keys.slice(0, -1), keys[count - 1].subarray(1)];
            expect(Array.from(hashBatch(pack(mixed, pad), options))).toEqual(perKey(mixed, options));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('16-byte keys: every batch size around the 8- and 16-key groups', () => {
    const seed = 0x0123456789abcdefn;
    for (let count = 0; count <= 70; count++) {
      const bytes = Uint8Array.from({ length: 16 * count }, (_, i) => (i * 151 + count) & 0xff);
      const keys = Array.from({ length: count }, (_, i) => bytes.subarray(16 * i, 16 * i + 16));
      const fixed = hashBatch({ bytes, keySize: 16 }, { seed, kernel });
      expect(Array.from(fixed), `count ${count}`).toEqual(perKey(keys, { seed, kernel }));
    }
  });

  it("a key's hash does not depend on the batch it came in", () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    const want = hash(key, { kernel });
    for (let count = 1; count <= 40; count++) {
      const bytes = new Uint8Array(16 * count).map((_, i) => (i * 29 + count) & 0xff);
      const at = (count * 7) % count;
      bytes.set(key, 16 * at);
      expect(hashBatch({ bytes, keySize: 16 }, { kernel })[at], `at ${at} of ${count}`).toBe(want);
    }
  });
});

describe('hashBatch of byte keys: options', () => {
  const keys = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(40).fill(9)];

  it('without options matches hash() without options; family picks the same kernel as hash()', () => {
    expect(Array.from(hashBatch(pack(keys)))).toEqual(perKey(keys, {}));
    for (const family of ['aes', 'fold'] as const) {
      expect(Array.from(hashBatch(pack(keys), { family, seed: 3n }))).toEqual(perKey(keys, { family, seed: 3n }));
    }
    const bytes = new Uint8Array(64).map((_, i) => i);
    expect(Array.from(hashBatch({ bytes, keySize: 16 }, { family: 'fold' }))).toEqual(
      [0, 1, 2, 3].map((i) => hash(bytes.subarray(16 * i, 16 * i + 16), { family: 'fold' })),
    );
  });

  it('fills and returns out, also a view into a larger buffer', () => {
    const backing = new BigUint64Array(8).fill(1n);
    const out = backing.subarray(2, 5);
    expect(hashBatch(pack(keys), { out, seed: 5n })).toBe(out);
    expect(Array.from(out)).toEqual(perKey(keys, { seed: 5n }));
    expect([backing[0], backing[1], backing[5], backing[6], backing[7]]).toEqual([1n, 1n, 1n, 1n, 1n]);
    const fixedOut = new BigUint64Array(2);
    expect(hashBatch({ bytes: new Uint8Array(32), keySize: 16 }, { out: fixedOut })).toBe(fixedOut);
  });

  it('an empty batch is an empty array', () => {
    expect(hashBatch({ bytes: new Uint8Array(0), offsets: new Uint32Array([0]) })).toEqual(new BigUint64Array(0));
    expect(hashBatch({ bytes: new Uint8Array(0), keySize: 16 })).toEqual(new BigUint64Array(0));
    expect(hashBatch({ bytes: new Uint8Array(9), offsets: new Uint32Array([9]) })).toEqual(new BigUint64Array(0));
  });

  it('the u64 shape still works and agrees with 8-byte fixed-width keys', () => {
    const u64 = BigUint64Array.from([0n, 1n, 2n ** 64n - 1n, 0x0123456789abcdefn]);
    const bytes = new Uint8Array(u64.buffer.slice(0));
    for (const kernel of hashKernels) {
      expect(Array.from(hashBatch({ bytes, keySize: 8 }, { kernel }))).toEqual(Array.from(hashBatch(u64, { kernel })));
    }
  });

  it('u64 keys may be hashed in place, per kernel', () => {
    for (const kernel of hashKernels) {
      const keys = BigUint64Array.from({ length: 37 }, (_, i) => (BigInt(i) * 0x9e3779b97f4a7c15n) & (2n ** 64n - 1n));
      const want = Array.from(hashBatch(keys, { kernel, seed: 9n }));
      expect(hashBatch(keys, { kernel, seed: 9n, out: keys })).toBe(keys);
      expect(Array.from(keys), kernel).toEqual(want);
    }
  });

  it('a detached bytes buffer reads as empty', () => {
    expect(hashBatch({ bytes: detached(new Uint8Array(32)), keySize: 16 })).toEqual(new BigUint64Array(0));
  });
});

describe('hashBatch of byte keys: bad input', () => {
  const b = (n: number) => new Uint8Array(n);
  const off = (...o: number[]) => Uint32Array.from(o);
  const shared = new ArrayBuffer(64);

  type Call = (out: BigUint64Array) => unknown;
  const cases: [string, Call, typeof TypeError | typeof RangeError, RegExp][] = [
    [
      'keys a number',
      () => hashBatch(5 as never),
      TypeError,
      /^Expected a BigUint64Array, \{ bytes, offsets \} or \{ bytes, keySize \} for keys but received 5$/,
    ],
    ['keys null', () => hashBatch(null as never), TypeError, /for keys but received null$/],
    [
      'keys without offsets or keySize',
      () => hashBatch({ bytes: b(4) } as never),
      TypeError,
      /for keys but received an object$/,
    ],
    [
      'both offsets and keySize',
      (out) => hashBatch({ bytes: b(4), offsets: off(0, 2, 4), keySize: 2 }, { out }),
      TypeError,
      /received an object with both offsets and keySize$/,
    ],
    [
      'keys a Float64Array',
      () => hashBatch(new Float64Array(2) as never),
      TypeError,
      /^Expected a BigUint64Array for keys but received Float64Array\(2\)$/,
    ],
    [
      'bytes a Uint16Array',
      (out) => hashBatch({ bytes: new Uint16Array(4) as never, keySize: 2 }, { out }),
      TypeError,
      /^Expected a Uint8Array for keys.bytes but received Uint16Array\(4\)$/,
    ],
    [
      'bytes a Uint8ClampedArray',
      (out) => hashBatch({ bytes: new Uint8ClampedArray(4) as never, offsets: off(0, 2, 4) }, { out }),
      TypeError,
      /for keys.bytes but received Uint8ClampedArray\(4\)$/,
    ],
    [
      'bytes a plain array',
      (out) => hashBatch({ bytes: [1, 2, 3, 4] as never, keySize: 2 }, { out }),
      TypeError,
      /for keys.bytes but received Array\(4\)$/,
    ],
    [
      'bytes missing',
      (out) => hashBatch({ offsets: off(0, 2, 4) } as never, { out }),
      TypeError,
      /for keys.bytes but received undefined$/,
    ],
    [
      'offsets an Int32Array',
      (out) => hashBatch({ bytes: b(4), offsets: new Int32Array([0, 2, 4]) as never }, { out }),
      TypeError,
      /^Expected a Uint32Array for keys.offsets but received Int32Array\(3\)$/,
    ],
    [
      'offsets a plain array',
      (out) => hashBatch({ bytes: b(4), offsets: [0, 2, 4] as never }, { out }),
      TypeError,
      /for keys.offsets but received Array\(3\)$/,
    ],
    [
      'offsets of length 0',
      (out) => hashBatch({ bytes: b(4), offsets: off() }, { out }),
      RangeError,
      /^Expected a Uint32Array of count \+ 1 offsets \(at least 1\) for keys.offsets but received length 0$/,
    ],
    [
      'offsets decreasing',
      (out) => hashBatch({ bytes: b(4), offsets: off(0, 3, 2) }, { out }),
      RangeError,
      /^Expected an offset at least keys.offsets\[1\] \(3\) and at most keys.bytes.length \(4\) for keys.offsets\[2\] but received 2$/,
    ],
    [
      'offsets past the end',
      (out) => hashBatch({ bytes: b(4), offsets: off(0, 2, 5) }, { out }),
      RangeError,
      /^Expected an offset at most keys.bytes.length \(4\) for keys.offsets\[2\] but received 5$/,
    ],
    [
      'the first offset past the end',
      (out) => hashBatch({ bytes: b(4), offsets: off(7, 7, 7) }, { out }),
      RangeError,
      /for keys.offsets\[0\] but received 7$/,
    ],
    [
      'offsets one too many for out',
      (out) => hashBatch({ bytes: b(6), offsets: off(0, 2, 4, 6) }, { out }),
      RangeError,
      /^Expected a BigUint64Array of length 3 for out but received length 2$/,
    ],
    [
      'keySize 0',
      (out) => hashBatch({ bytes: b(4), keySize: 0 }, { out }),
      RangeError,
      /^Expected a positive integer for keys.keySize but received 0$/,
    ],
    [
      'keySize negative',
      (out) => hashBatch({ bytes: b(4), keySize: -2 }, { out }),
      RangeError,
      /for keys.keySize but received -2$/,
    ],
    [
      'keySize not an integer',
      (out) => hashBatch({ bytes: b(4), keySize: 1.5 }, { out }),
      RangeError,
      /for keys.keySize but received 1.5$/,
    ],
    [
      'keySize NaN',
      (out) => hashBatch({ bytes: b(4), keySize: NaN }, { out }),
      RangeError,
      /for keys.keySize but received NaN$/,
    ],
    [
      'keySize Infinity',
      (out) => hashBatch({ bytes: b(4), keySize: Infinity }, { out }),
      RangeError,
      /for keys.keySize but received Infinity$/,
    ],
    [
      'keySize a string',
      (out) => hashBatch({ bytes: b(4), keySize: '2' as never }, { out }),
      TypeError,
      /^Expected a positive integer for keys.keySize but received string '2'$/,
    ],
    [
      'keySize a bigint',
      (out) => hashBatch({ bytes: b(4), keySize: 2n as never }, { out }),
      TypeError,
      /for keys.keySize but received 2n$/,
    ],
    [
      'keySize not dividing bytes.length',
      (out) => hashBatch({ bytes: b(5), keySize: 2 }, { out }),
      RangeError,
      /^Expected a multiple of keys.keySize \(2\) bytes for keys.bytes but received 5 bytes$/,
    ],
    [
      'out too short',
      (out) => hashBatch({ bytes: b(48), keySize: 16 }, { out }),
      RangeError,
      /^Expected a BigUint64Array of length 3 for out but received length 2$/,
    ],
    [
      'out too long',
      (out) => hashBatch({ bytes: b(16), keySize: 16 }, { out }),
      RangeError,
      /of length 1 for out but received length 2$/,
    ],
    [
      'out a Float64Array',
      () => hashBatch({ bytes: b(32), keySize: 16 }, { out: new Float64Array(2) as never }),
      TypeError,
      /^Expected a BigUint64Array for out but received Float64Array\(2\)$/,
    ],
    [
      'out sharing memory with bytes',
      () =>
        hashBatch({ bytes: new Uint8Array(shared, 0, 32), keySize: 16 }, { out: new BigUint64Array(shared, 24, 2) }),
      RangeError,
      /^Expected a BigUint64Array sharing no memory with keys.bytes for out/,
    ],
    [
      'out sharing memory with offsets',
      () =>
        hashBatch(
          { bytes: b(4), offsets: new Uint32Array(shared, 32, 3).fill(0) },
          { out: new BigUint64Array(shared, 40, 2) },
        ),
      RangeError,
      /sharing no memory with keys.offsets for out/,
    ],
    [
      'a negative seed',
      (out) => hashBatch({ bytes: b(32), keySize: 16 }, { out, seed: -1n }),
      RangeError,
      /^Expected a bigint in \[0, 2\^64\) for seed but received -1n$/,
    ],
    [
      'an unknown kernel',
      (out) => hashBatch({ bytes: b(4), offsets: off(0, 2, 4) }, { out, kernel: 'md5' as never }),
      RangeError,
      /md5/,
    ],
    [
      'an unknown family',
      (out) => hashBatch({ bytes: b(32), keySize: 16 }, { out, family: 'md5' as never }),
      TypeError,
      /^Expected 'aes' or 'fold' for options.family but received string 'md5'$/,
    ],
    [
      'detached bytes under live offsets',
      (out) => hashBatch({ bytes: detached(b(4)), offsets: off(0, 2, 4) }, { out }),
      RangeError,
      /keys.bytes.length \(0\) for keys.offsets\[1\] but received 2$/,
    ],
    [
      'detached offsets',
      (out) => hashBatch({ bytes: b(4), offsets: detached(off(0, 2, 4)) }, { out }),
      RangeError,
      /for keys.offsets but received length 0$/,
    ],
    [
      'detached out',
      () => hashBatch({ bytes: b(32), keySize: 16 }, { out: detached(new BigUint64Array(2)) }),
      RangeError,
      /of length 2 for out but received length 0$/,
    ],
  ];

  it.each(cases)('%s throws the documented error and writes nothing', (_name, call, kind, message) => {
    const out = new BigUint64Array(2).fill(0xdeadn);
    let thrown: unknown;
    try {
      call(out);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(kind);
    expect((thrown as Error).message).toMatch(message);
    expect(Array.from(out)).toEqual([0xdeadn, 0xdeadn]);
  });

  it('a failed batch leaves a shared buffer it would have written untouched', () => {
    const buf = new ArrayBuffer(64);
    const bytes = new Uint8Array(buf, 0, 32).fill(3);
    expect(() => hashBatch({ bytes, keySize: 16 }, { out: new BigUint64Array(buf, 16, 2) })).toThrow(RangeError);
    expect(Array.from(new Uint8Array(buf))).toEqual([
      ...new Array<number>(32).fill(3),
      ...new Array<number>(32).fill(0),
    ]);
  });
});
