// Bad input for StrMap: every rejection is a TypeError/RangeError in the form
// "Expected X for Y but received Z", names the argument (and element index),
// and leaves the map exactly as it was.
import { describe, expect, it } from 'vitest';

import { MAX_KEY_BYTES, StrMap } from '../src/index';
import { loadHooks, native } from '../src/runtime/native';

const hooks = loadHooks();

function snapshot(m: StrMap): string {
  return JSON.stringify([...m].map(([k, v]) => [typeof k === 'string' ? k : Array.from(k), v]).sort());
}

function seeded(): StrMap {
  const m = new StrMap({ seed: 1n });
  m.setBatch(['a', 'b', 'a long key of more than fifteen bytes'], new Float64Array([10, 20, 30]));
  return m;
}

const tooLong = 'x'.repeat(MAX_KEY_BYTES + 1);
// Within MAX_KEY_BYTES code units, but 3 bytes each in UTF-8.
const tooLongUtf8 = '€'.repeat(MAX_KEY_BYTES / 2);
const packed = (bytes: number[], offsets: number[]) => ({
  bytes: new Uint8Array(bytes),
  offsets: new Uint32Array(offsets),
});

// [description, call, error class, message pattern]
const cases: Array<[string, (m: StrMap) => unknown, typeof TypeError | typeof RangeError, RegExp]> = [
  ['number key', (m) => m.set(1 as never, 1), TypeError, /Expected a string or Uint8Array for key but received 1$/],
  ['null key', (m) => m.get(null as never), TypeError, /for key but received null/],
  ['Uint16Array key', (m) => m.has(new Uint16Array(2) as never), TypeError, /for key but received Uint16Array\(2\)/],
  ['non-number value', (m) => m.set('c', '1' as never), TypeError, /Expected a number for value but received string/],
  ['over-long string key', (m) => m.set(tooLong, 1), RangeError, /Expected a key of at most 65536 bytes for key/],
  ['over-long UTF-8 key', (m) => m.set(tooLongUtf8, 1), RangeError, /at most 65536 bytes for key but received/],
  [
    'over-long byte key',
    (m) => m.delete(new Uint8Array(MAX_KEY_BYTES + 1)),
    RangeError,
    /at most 65536 bytes for key but received a key of 65537 bytes \(Uint8Array\(65537\)\)/,
  ],
  [
    'non-string in a string batch',
    (m) => m.setBatch(['c', 'd', 5 as never, 'e'], new Float64Array(4)),
    TypeError,
    /Expected a string or Uint8Array for keys\[2\] but received 5/,
  ],
  [
    'undefined in a delete batch',
    (m) => m.deleteBatch(['a', undefined as never]),
    TypeError,
    /for keys\[1\] but received undefined/,
  ],
  [
    'over-long key in a string batch',
    (m) => m.setBatch(['c', tooLong], new Float64Array(2)),
    RangeError,
    /at most 65536 bytes for keys\[1\]/,
  ],
  [
    'keys neither array nor packed',
    (m) => m.getBatch('abc' as never, new Float64Array(3)),
    TypeError,
    /Expected an array of keys or \{ bytes: Uint8Array, offsets: Uint32Array \} for keys but received string/,
  ],
  [
    'typed array as keys',
    (m) => m.deleteBatch(new Uint8Array(3) as never),
    TypeError,
    /for keys but received Uint8Array\(3\)/,
  ],
  [
    'packed bytes of the wrong kind',
    (m) => m.setBatch({ bytes: new Int8Array(2), offsets: new Uint32Array([0, 2]) } as never, new Float64Array(1)),
    TypeError,
    /Expected a Uint8Array for keys.bytes but received Int8Array\(2\)/,
  ],
  [
    'packed offsets of the wrong kind',
    (m) => m.setBatch({ bytes: new Uint8Array(2), offsets: [0, 2] } as never, new Float64Array(1)),
    TypeError,
    /Expected a Uint32Array for keys.offsets but received Array\(2\)/,
  ],
  [
    'empty offsets',
    (m) => m.deleteBatch(packed([], [])),
    RangeError,
    /count \+ 1 offsets .* for keys.offsets but received length 0/,
  ],
  [
    'decreasing offsets',
    (m) => m.setBatch(packed([99, 100, 101], [0, 1, 3, 2]), new Float64Array(3)),
    RangeError,
    /for keys\[2\] but received offsets 3..2/,
  ],
  [
    'offset past the bytes',
    (m) => m.deleteBatch(packed([97, 98], [0, 1, 5])),
    RangeError,
    /offsets in order within keys.bytes for keys\[1\] but received offsets 1..5 in 2 bytes/,
  ],
  ['first offset past the bytes', (m) => m.deleteBatch(packed([97], [4, 4])), RangeError, /for keys\[0\]/],
  [
    'over-long packed key',
    (m) =>
      m.setBatch(
        { bytes: new Uint8Array(MAX_KEY_BYTES + 2), offsets: new Uint32Array([0, 1, MAX_KEY_BYTES + 2]) },
        new Float64Array(2),
      ),
    RangeError,
    /at most 65536 bytes .* for keys\[1\] but received 65537 bytes/,
  ],
  [
    'short values',
    (m) => m.setBatch(['c', 'd', 'e'], new Float64Array(2)),
    RangeError,
    /of length 3 .* for values but received length 2/,
  ],
  [
    'long out',
    (m) => m.getBatch(packed([97, 98], [0, 1, 2]), new Float64Array(3)),
    RangeError,
    /for out but received length 3/,
  ],
  [
    'wrong found kind',
    (m) => m.getBatch(['a', 'b'], new Float64Array(2), new Uint16Array(2) as never),
    TypeError,
    /Expected a Uint8Array for found/,
  ],
  [
    'hasBatch out kind',
    (m) => m.hasBatch(['a'], new Float64Array(1) as never),
    TypeError,
    /Expected a Uint8Array for out/,
  ],
  [
    'Float32Array values',
    (m) => m.setBatch(['c'], new Float32Array(1) as never),
    TypeError,
    /Expected a Float64Array for values but received Float32Array\(1\)/,
  ],
];

describe('StrMap bad input', () => {
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
    expect(() => new StrMap(null as never)).toThrow(TypeError);
    expect(() => new StrMap({ capacity: -1 })).toThrow(
      /Expected a non-negative integer for options.capacity but received -1/,
    );
    expect(() => new StrMap({ seed: -1 })).toThrow(RangeError);
    expect(() => new StrMap({ match: 'sse9' as never })).toThrow(/for match but received 'sse9'/);
    expect(() => new StrMap({ hash: 'md5' as never })).toThrow(/for hash but received 'md5'/);
  });

  it('throws on every method once closed, and close is idempotent', () => {
    const m = seeded();
    m.close();
    m.close();
    const calls: Array<() => unknown> = [
      () => m.get('a'),
      () => m.set('a', 1),
      () => m.has('a'),
      () => m.delete('a'),
      () => m.clear(),
      () => m.size,
      () => m.stats(),
      () => m.setBatch(['a'], new Float64Array(1)),
      () => m.getBatch(['a'], new Float64Array(1)),
      () => m.hasBatch(['a'], new Uint8Array(1)),
      () => m.deleteBatch(['a']),
      () => [...m],
    ];
    for (const call of calls) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_CLOSED', message: 'This StrMap is closed' }));
    }
  });

  it('Symbol.dispose closes the map', () => {
    let outer: StrMap;
    {
      using m = seeded();
      outer = m;
    }
    expect(() => outer.size).toThrow(/closed/);
  });

  it('refuses methods borrowed onto a foreign receiver', () => {
    expect(() => StrMap.prototype.get.call({}, 'a')).toThrow(
      Object.assign(new TypeError('Expected a StrMap for this but received an object'), { code: 'ERR_INVALID_THIS' }),
    );
    expect(() => StrMap.prototype.setBatch.call(new Map() as never, ['a'], new Float64Array(1))).toThrow(
      /Expected a StrMap for this but received an instance of Map/,
    );
  });

  it('native single ops check the handle, buffer and length', () => {
    expect(() => native.strGet({} as never, new Uint8Array(1), 1)).toThrow(TypeError);
    expect(() => native.strGet(null as never, new Uint8Array(1), 1)).toThrow(/for handle/);
    using m = seeded();
    const handle = (m as unknown as { handle?: unknown }).handle;
    expect(handle).toBeUndefined(); // the native object stays private
    const n = new native.StrMap(undefined, 1n, undefined, undefined);
    expect(() => native.strSet(n.handle, new Uint8Array(2), 3, 1)).toThrow(/for length but received 3/);
    expect(() => native.strSet(n.handle, new Uint8Array(2), -1, 1)).toThrow(RangeError);
    expect(() => native.strSet(n.handle, [1, 2] as never, 2, 1)).toThrow(TypeError);
    expect(native.strSet(n.handle, new Uint8Array([97, 98, 99]), 2, 1)).toBe(true);
    expect(native.strGet(n.handle, new Uint8Array([97, 98]), 2)).toBe(1);
    n.close();
    expect(() => native.strGet(n.handle, new Uint8Array(1), 1)).toThrow(/closed/);
  });

  it('reads packed keys from views with an offset and from SharedArrayBuffer, and accepts empty batches', () => {
    using m = seeded();
    const bytes = new Uint8Array([0, 97, 98, 0]).subarray(1, 3);
    const out = new Float64Array(2);
    expect(m.getBatch({ bytes, offsets: new Uint32Array([0, 1, 2]) }, out)).toBe(2);
    expect(Array.from(out)).toEqual([10, 20]);
    const shared = new Uint8Array(new SharedArrayBuffer(2));
    shared.set([97, 99]);
    expect(m.hasBatch({ bytes: shared, offsets: new Uint32Array([0, 1, 2]) }, new Uint8Array(2))).toBe(1);
    expect(m.setBatch([], new Float64Array(0))).toBe(0);
    expect(m.getBatch(packed([], [0]), new Float64Array(0))).toBe(0);
    expect(m.deleteBatch(packed([1, 2], [2]))).toBe(0);
    expect(m.size).toBe(3);
  });
});

describe('StrMap memory accounting', () => {
  it('reports the off-heap bytes to V8 and releases them on close', () => {
    const n = 100_000;
    const keys = Array.from({ length: n }, (_, i) => (i % 2 ? `user:${i}` : `a longer key for the arena #${i}`));
    const values = new Float64Array(n);
    // Packing a string[] grows reused buffers (counted by V8 too): warm them first.
    new StrMap().setBatch(keys, values);
    const m = new StrMap();
    const before = hooks.externalMemory() - m.stats().bytes;
    m.setBatch(keys, values);
    const { bytes } = m.stats();
    expect(hooks.externalMemory() - before).toBe(bytes);
    m.close();
    expect(hooks.externalMemory() - before).toBe(0);
  });
});
