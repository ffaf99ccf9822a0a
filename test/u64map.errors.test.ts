// Bad input: every rejection is a TypeError/RangeError in the form
// "Expected X for Y but received Z", names the argument (and element index),
// and leaves the map exactly as it was.
import { describe, expect, it } from 'vitest';

import { U64Map } from '../src/index';
import { loadHooks } from '../src/runtime/native';

const hooks = loadHooks();

function snapshot(m: U64Map): string {
  return JSON.stringify([...m].map(([k, v]) => [String(k), v]).sort());
}

function seeded(): U64Map {
  const m = new U64Map({ seed: 1n });
  m.setBatch(new Float64Array([1, 2, 3]), new Float64Array([10, 20, 30]));
  return m;
}

// [description, call, error class, message pattern]
const cases: Array<[string, (m: U64Map) => unknown, typeof TypeError | typeof RangeError, RegExp]> = [
  [
    'fractional key',
    (m) => m.set(1.5, 1),
    RangeError,
    /Expected an integer in \[0, 2\^53\).* for key but received 1\.5/,
  ],
  ['negative key', (m) => m.get(-1), RangeError, /for key but received -1$/],
  ['NaN key', (m) => m.has(NaN), RangeError, /for key but received NaN/],
  ['Infinity key', (m) => m.delete(Infinity), RangeError, /for key but received Infinity/],
  ['2^53 as a number', (m) => m.set(2 ** 53, 1), RangeError, /for key but received 9007199254740992/],
  ['negative bigint', (m) => m.set(-1n, 1), RangeError, /for key but received -1n/],
  ['bigint >= 2^64', (m) => m.set(2n ** 64n, 1), RangeError, /for key but received a bigint outside/],
  [
    'string key',
    (m) => m.set('1' as never, 1),
    TypeError,
    /Expected a number or bigint for key but received string '1'/,
  ],
  ['non-number value', (m) => m.set(4, '1' as never), TypeError, /Expected a number for value but received string/],
  [
    'Int32Array keys',
    (m) => m.setBatch(new Int32Array(2) as never, new Float64Array(2)),
    TypeError,
    /Expected a BigUint64Array, Float64Array or Uint32Array for keys but received Int32Array\(2\)/,
  ],
  [
    'plain array keys',
    (m) => m.getBatch([1, 2] as never, new Float64Array(2)),
    TypeError,
    /for keys but received Array\(2\)/,
  ],
  [
    'Float32Array values',
    (m) => m.setBatch(new Float64Array(2), new Float32Array(2) as never),
    TypeError,
    /Expected a Float64Array for values but received Float32Array\(2\)/,
  ],
  [
    'short values',
    (m) => m.setBatch(new Float64Array([7, 8, 9]), new Float64Array(2)),
    RangeError,
    /of length 3 .* for values but received length 2/,
  ],
  [
    'long out',
    (m) => m.getBatch(new Float64Array(2), new Float64Array(3)),
    RangeError,
    /for out but received length 3/,
  ],
  [
    'wrong found kind',
    (m) => m.getBatch(new Float64Array(2), new Float64Array(2), new Uint16Array(2) as never),
    TypeError,
    /Expected a Uint8Array for found/,
  ],
  [
    'hasBatch out kind',
    (m) => m.hasBatch(new Uint32Array(2), new Float64Array(2) as never),
    TypeError,
    /Expected a Uint8Array for out/,
  ],
  [
    'fractional key in a batch',
    (m) => m.setBatch(new Float64Array([4, 5, 6.25, 7]), new Float64Array(4)),
    RangeError,
    /Expected an integer in \[0, 2\^53\) for keys\[2\] but received 6\.25/,
  ],
  [
    'NaN key in a delete batch',
    (m) => m.deleteBatch(new Float64Array([1, 2, NaN])),
    RangeError,
    /for keys\[2\] but received NaN/,
  ],
  [
    'negative key in a get batch',
    (m) => m.getBatch(new Float64Array([-3]), new Float64Array(1)),
    RangeError,
    /for keys\[0\] but received -3/,
  ],
  [
    '2^53 in a batch',
    (m) => m.setBatch(new Float64Array([1, 2 ** 53]), new Float64Array(2)),
    RangeError,
    /for keys\[1\]/,
  ],
];

describe('bad input', () => {
  it.each(cases)('%s is rejected and the map is unchanged', (_name, call, ErrorClass, pattern) => {
    using m = seeded();
    const before = snapshot(m);
    let thrown: unknown;
    try {
      call(m);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ErrorClass);
    expect((thrown as Error).message).toMatch(pattern);
    expect(snapshot(m)).toBe(before);
    expect(m.size).toBe(3);
  });

  it('rejects bad options', () => {
    expect(() => new U64Map(null as never)).toThrow(TypeError);
    expect(() => new U64Map({ capacity: -1 })).toThrow(
      /Expected a non-negative integer for options.capacity but received -1/,
    );
    expect(() => new U64Map({ capacity: 'big' as never })).toThrow(TypeError);
    expect(() => new U64Map({ seed: -1 })).toThrow(RangeError);
    expect(() => new U64Map({ seed: 2n ** 64n })).toThrow(/for options.seed/);
    expect(() => new U64Map({ match: 'sse9' as never })).toThrow(
      "Expected one of scalar, swar, sse2, avx2, avx512 for match but received 'sse9'",
    );
    expect(() => new U64Map({ hash: 'md5' as never })).toThrow(/Expected one of .*aes.* for hash but received 'md5'/);
    expect(() => new U64Map({ match: 3 as never })).toThrow(TypeError);
    expect(() => new U64Map({ hugePages: 'yes' as never })).toThrow(
      "Expected a boolean for options.hugePages but received string 'yes'",
    );
  });

  it('throws on every method once closed, and close is idempotent', () => {
    const m = seeded();
    m.close();
    m.close();
    const calls: Array<() => unknown> = [
      () => m.get(1),
      () => m.set(1, 1),
      () => m.has(1),
      () => m.delete(1),
      () => m.clear(),
      () => m.size,
      () => m.stats(),
      () => m.setBatch(new Float64Array(1), new Float64Array(1)),
      () => m.getBatch(new Float64Array(1), new Float64Array(1)),
      () => m.hasBatch(new Float64Array(1), new Uint8Array(1)),
      () => m.deleteBatch(new Float64Array(1)),
      () => [...m],
    ];
    for (const call of calls) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_CLOSED', message: 'This U64Map is closed' }));
    }
  });

  it('Symbol.dispose closes the map', () => {
    let outer: U64Map;
    {
      using m = seeded();
      outer = m;
    }
    expect(() => outer.size).toThrow(/closed/);
  });

  it('refuses methods borrowed onto a foreign receiver', () => {
    const get = U64Map.prototype.get;
    expect(() => get.call({}, 1)).toThrow(
      Object.assign(new TypeError('Expected a U64Map for this but received an object'), { code: 'ERR_INVALID_THIS' }),
    );
    expect(() => U64Map.prototype.setBatch.call(new Map() as never, new Float64Array(1), new Float64Array(1))).toThrow(
      /Expected a U64Map for this but received an instance of Map/,
    );
    const sizeGetter = Object.getOwnPropertyDescriptor(U64Map.prototype, 'size')!.get!;
    expect(() => sizeGetter.call(42)).toThrow(/received 42/);
  });

  it('accepts -0 as key 0 and treats 5 and 5n as one key', () => {
    using m = new U64Map();
    m.set(-0, 1);
    expect(m.get(0)).toBe(1);
    m.set(5, 2);
    m.set(5n, 3);
    expect(m.size).toBe(2);
    expect(m.get(5)).toBe(3);
  });

  it('reads keys in place from views with an offset and from SharedArrayBuffer', () => {
    using m = new U64Map();
    const buf = new Float64Array([100, 1, 2, 3, 100]);
    expect(m.setBatch(buf.subarray(1, 4), new Float64Array([10, 20, 30]))).toBe(3);
    const shared = new BigUint64Array(new SharedArrayBuffer(16));
    shared[0] = 2n;
    shared[1] = 99n;
    const out = new Float64Array(2);
    expect(m.getBatch(shared, out)).toBe(1);
    expect(out[0]).toBe(20);
  });

  it('accepts empty batches', () => {
    using m = seeded();
    expect(m.setBatch(new Float64Array(0), new Float64Array(0))).toBe(0);
    expect(m.getBatch(new Uint32Array(0), new Float64Array(0))).toBe(0);
    expect(m.deleteBatch(new BigUint64Array(0))).toBe(0);
    expect(m.size).toBe(3);
  });
});

describe('memory accounting', () => {
  it('reports the off-heap bytes to V8 as the map grows and releases them on close', () => {
    const n = 200_000;
    const keys = Float64Array.from({ length: n }, (_, i) => i);
    const values = new Float64Array(n);
    // V8's total also counts ArrayBuffer backing stores: allocate those first.
    const before = hooks.externalMemory();
    const m = new U64Map();
    m.setBatch(keys, values);
    const { bytes } = m.stats();
    expect(bytes / n).toBeLessThan(40);
    const grown = hooks.externalMemory() - before;
    expect(grown).toBe(bytes);
    m.close();
    expect(hooks.externalMemory() - before).toBe(0);
  });
});
