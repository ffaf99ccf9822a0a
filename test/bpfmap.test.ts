// BpfMap: one test per eBPF rule (flags, E2BIG, ENOENT, get-next-key walks,
// whole-bucket batches with ENOSPC, lookup-and-delete, partial batch writes,
// lru_hash recency), then the bad-input table.
import { describe, expect, it } from 'vitest';

import {
  BPF_ANY,
  BPF_EXIST,
  BPF_NOEXIST,
  BpfBatchError,
  BpfMap,
  CodedError,
  type BpfBatchResult,
  type BpfMapOptions,
} from '../src/index';
import { loadHooks } from '../src/runtime/native';

const hooks = loadHooks();

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// Key i of `size` bytes: i big-endian in the last 4 bytes (or fewer), so keys
// differ only near the end, behind a constant prefix.
function key(i: number, size = 4): Uint8Array {
  const k = new Uint8Array(size).fill(0xab);
  for (let b = 0; b < Math.min(4, size); b++) k[size - 1 - b] = (i >>> (8 * b)) & 0xff;
  return k;
}

function value(i: number, size = 8): Uint8Array {
  const v = new Uint8Array(size);
  for (let b = 0; b < size; b++) v[b] = (i * 31 + b) & 0xff;
  return v;
}

function pack(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

function make(options: Partial<BpfMapOptions> = {}): BpfMap {
  return new BpfMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1000, seed: 1n, ...options });
}

// Every entry as hex key -> hex value, through lookupBatch (not counted as use).
function dump(m: BpfMap): Map<string, string> {
  const out = new Map<string, string>();
  let r: BpfBatchResult | undefined;
  do {
    r = m.lookupBatch({ inBatch: r?.outBatch, count: 1 << 16 });
    for (let i = 0; i < r.count; i++) {
      const k = hex(r.keys.subarray(i * m.keySize, (i + 1) * m.keySize));
      expect(out.has(k)).toBe(false);
      out.set(k, hex(r.values.subarray(i * m.valueSize, (i + 1) * m.valueSize)));
    }
  } while (!r.done);
  return out;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(CodedError);
    return (err as CodedError).code;
  }
  return undefined;
}

describe('BpfMap update flags', () => {
  it('BPF_ANY creates a key and overwrites a present one', () => {
    using m = make();
    m.update(key(1), value(1));
    expect(m.lookup(key(1))).toEqual(value(1));
    m.update(key(1), value(2), BPF_ANY);
    expect(m.lookup(key(1))).toEqual(value(2));
    expect(m.size).toBe(1);
  });

  it('BPF_NOEXIST creates an absent key and throws EEXIST for a present one, value unchanged', () => {
    using m = make();
    m.update(key(1), value(1), BPF_NOEXIST);
    expect(codeOf(() => m.update(key(1), value(2), BPF_NOEXIST))).toBe('EEXIST');
    expect(m.lookup(key(1))).toEqual(value(1));
    expect(m.size).toBe(1);
  });

  it('BPF_EXIST overwrites a present key and throws ENOENT for an absent one, map unchanged', () => {
    using m = make();
    expect(codeOf(() => m.update(key(1), value(1), BPF_EXIST))).toBe('ENOENT');
    expect(m.size).toBe(0);
    m.update(key(1), value(1));
    m.update(key(1), value(3), BPF_EXIST);
    expect(m.lookup(key(1))).toEqual(value(3));
  });

  it('a full hash map throws E2BIG for a new key but still updates present keys', () => {
    using m = make({ maxEntries: 50 });
    for (let i = 0; i < 50; i++) m.update(key(i), value(i));
    const before = dump(m);
    expect(codeOf(() => m.update(key(50), value(50)))).toBe('E2BIG');
    expect(codeOf(() => m.update(key(50), value(50), BPF_NOEXIST))).toBe('E2BIG');
    expect(dump(m)).toEqual(before);
    m.update(key(7), value(700));
    m.update(key(8), value(800), BPF_EXIST);
    expect(m.lookup(key(7))).toEqual(value(700));
    expect(m.lookup(key(8))).toEqual(value(800));
    m.delete(key(0));
    m.update(key(50), value(50), BPF_NOEXIST);
    expect(m.size).toBe(50);
  });
});

describe('BpfMap lookup and delete', () => {
  it('delete removes a present key and throws ENOENT for an absent one', () => {
    using m = make();
    m.update(key(1), value(1));
    m.delete(key(1));
    expect(m.lookup(key(1))).toBeUndefined();
    expect(codeOf(() => m.delete(key(1)))).toBe('ENOENT');
    expect(m.size).toBe(0);
  });

  it('returns copies and copies what it is given', () => {
    using m = make();
    const k = key(1);
    const v = value(1);
    m.update(k, v);
    v.fill(0);
    k.fill(0);
    const got = m.lookup(key(1))!;
    expect(got).toEqual(value(1));
    got.fill(9);
    expect(m.lookup(key(1))).toEqual(value(1));
    expect(m.lookup(k)).toBeUndefined();
  });

  it('accepts Buffers and views at an offset', () => {
    using m = make();
    const backing = new Uint8Array(32);
    backing.set(key(5), 3);
    const view = backing.subarray(3, 7);
    m.update(Buffer.from(key(5)), Buffer.from(value(5)));
    expect(m.lookup(view)).toEqual(value(5));
  });

  it('reports its off-heap memory to V8 and gives it back on close', () => {
    const n = 100_000;
    const keys = pack(Array.from({ length: n }, (_, i) => key(i)));
    const values = pack(Array.from({ length: n }, (_, i) => value(i, 64)));
    // V8's total also counts ArrayBuffer backing stores (the map's own lookup
    // scratch array among them): allocate those first.
    const m = make({ maxEntries: 200_000, valueSize: 64 });
    const before = hooks.externalMemory() - m.stats().bytes;
    expect(m.updateBatch(keys, values)).toBe(n);
    const { bytes, recordBytes } = m.stats();
    expect(hooks.externalMemory() - before).toBe(bytes);
    expect(recordBytes).toBeGreaterThanOrEqual(n * 64);
    // Chunks of at most 2 MiB as entries arrive, not maxEntries records up front.
    expect(recordBytes).toBeLessThanOrEqual(n * 64 + 2 ** 21);
    m.close();
    expect(hooks.externalMemory() - before).toBe(0);
  });
});

describe('BpfMap getNextKey', () => {
  it('walks every key exactly once, then returns undefined', () => {
    for (const n of [0, 1, 9, 2000]) {
      using m = make({ keySize: 13, maxEntries: 4000 });
      for (let i = 0; i < n; i++) m.update(key(i * 2654435761, 13), value(i));
      const seen = new Set<string>();
      for (let k = m.getNextKey(); k !== undefined; k = m.getNextKey(k)) {
        expect(seen.has(hex(k))).toBe(false);
        expect(m.lookup(k)).toBeDefined();
        seen.add(hex(k));
        expect(seen.size).toBeLessThanOrEqual(n);
      }
      expect(seen).toEqual(new Set(dump(m).keys()));
      expect(seen.size).toBe(n);
    }
  });

  it('returns the first key for a missing key', () => {
    using m = make();
    expect(m.getNextKey(key(99))).toBeUndefined();
    for (let i = 0; i < 100; i++) m.update(key(i), value(i));
    expect(m.getNextKey(key(12345))).toEqual(m.getNextKey());
    expect(m.getNextKey(undefined)).toEqual(m.getNextKey());
  });
});

describe('BpfMap lookupBatch', () => {
  function walk(m: BpfMap, count: number): { seen: Map<string, string>; enospc: number } {
    const seen = new Map<string, string>();
    let cursor: number | null = null;
    let enospc = 0;
    for (;;) {
      let r: BpfBatchResult;
      try {
        r = m.lookupBatch({ inBatch: cursor, count });
      } catch (err) {
        expect(err).toBeInstanceOf(BpfBatchError);
        const e = err as BpfBatchError;
        expect(e.code).toBe('ENOSPC');
        expect(e.count).toBe(0);
        expect(e.needed).toBeGreaterThan(count);
        enospc++;
        // The same cursor, retried with room for the group.
        r = m.lookupBatch({ inBatch: cursor, count: e.needed });
        expect(r.count).toBe(e.needed);
      }
      const asked = Math.max(count, r.count);
      expect(r.keys.length).toBe(r.count * m.keySize);
      expect(r.values.length).toBe(r.count * m.valueSize);
      for (let i = 0; i < r.count; i++) {
        const k = hex(r.keys.subarray(i * m.keySize, (i + 1) * m.keySize));
        expect(seen.has(k)).toBe(false);
        seen.set(k, hex(r.values.subarray(i * m.valueSize, (i + 1) * m.valueSize)));
      }
      if (r.done) {
        expect(r.outBatch).toBeNull();
        return { seen, enospc };
      }
      expect(r.count).toBeGreaterThan(0);
      expect(r.count).toBeLessThanOrEqual(asked);
      cursor = r.outBatch;
    }
  }

  it('returns every key exactly once across batch sizes, with ENOSPC for a batch smaller than a bucket', () => {
    using m = make({ maxEntries: 5000, valueSize: 3 });
    const expected = new Map<string, string>();
    for (let i = 0; i < 3000; i++) {
      m.update(key(i * 7919), value(i, 3));
      expected.set(hex(key(i * 7919)), hex(value(i, 3)));
    }
    for (const count of [1, 2, 5, 8, 13, 100, 1000, 5000]) {
      const { seen, enospc } = walk(m, count);
      expect(seen).toEqual(expected);
      // Bucket groups average 6.5 entries at the load the table grows at.
      if (count <= 2) expect(enospc).toBeGreaterThan(0);
    }
  });

  it('an empty map is one empty batch with done', () => {
    using m = make();
    expect(m.lookupBatch({ count: 10 })).toMatchObject({ count: 0, done: true, outBatch: null });
    expect(m.lookupAndDeleteBatch({ inBatch: null, count: 10 })).toMatchObject({ count: 0, done: true });
  });

  it('any integer cursor is safe: it names some bucket group and the walk still ends', () => {
    using m = make();
    for (let i = 0; i < 300; i++) m.update(key(i), value(i));
    for (const inBatch of [2 ** 53 - 1, 123_456_789, 7]) {
      let r = m.lookupBatch({ inBatch, count: 300 });
      let guard = 0;
      while (!r.done && guard++ < 1000) r = m.lookupBatch({ inBatch: r.outBatch, count: 300 });
      expect(r.done).toBe(true);
    }
    expect(m.size).toBe(300);
  });

  it('reports done together with the last entries', () => {
    using m = make();
    for (let i = 0; i < 5; i++) m.update(key(i), value(i));
    const r = m.lookupBatch({ count: 5 });
    expect(r.count).toBe(5);
    expect(r.done).toBe(true);
  });

  it('keeps its cursor while the map grows: survivors come back exactly once', () => {
    using m = make({ maxEntries: 100_000 });
    const initial: string[] = [];
    for (let i = 0; i < 2000; i++) {
      m.update(key(i), value(i));
      initial.push(hex(key(i)));
    }
    const seen = new Map<string, number>();
    let cursor: number | null = null;
    let next = 1_000_000;
    for (;;) {
      const r = m.lookupBatch({ inBatch: cursor, count: 64 });
      for (let i = 0; i < r.count; i++) {
        const k = hex(r.keys.subarray(i * 4, i * 4 + 4));
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
      for (let j = 0; j < 40; j++) m.update(key(next++), value(0)); // forces doublings mid-walk
      if (r.done) break;
      cursor = r.outBatch;
    }
    expect(m.stats().B).toBeGreaterThan(8);
    for (const k of initial) expect(seen.get(k)).toBe(1);
    for (const n of seen.values()) expect(n).toBe(1);
  });

  it('lookupAndDeleteBatch deletes exactly what it returned', () => {
    for (const type of ['hash', 'lru_hash'] as const) {
      using m = make({ type, maxEntries: 3000, valueSize: 5 });
      const left = new Map<string, string>();
      for (let i = 0; i < 2500; i++) {
        m.update(key(i * 40503), value(i, 5));
        left.set(hex(key(i * 40503)), hex(value(i, 5)));
      }
      let cursor: number | null = null;
      for (;;) {
        const r = m.lookupAndDeleteBatch({ inBatch: cursor, count: 50 });
        for (let i = 0; i < r.count; i++) {
          const k = r.keys.subarray(i * 4, i * 4 + 4);
          expect(left.get(hex(k))).toBe(hex(r.values.subarray(i * 5, i * 5 + 5)));
          left.delete(hex(k));
          expect(m.lookup(k)).toBeUndefined();
        }
        expect(m.size).toBe(left.size);
        if (r.done) break;
        cursor = r.outBatch;
      }
      expect(left.size).toBe(0);
    }
  });

  it('lookupAndDeleteBatch with ENOSPC deletes nothing', () => {
    // Needs a first bucket of two or more entries, which depends on the hash: try seeds.
    for (let seed = 1n; seed < 100n; seed++) {
      using m = make({ seed });
      for (let i = 0; i < 500; i++) m.update(key(i), value(i));
      let firstBucket = 1;
      while (codeOf(() => m.lookupBatch({ count: firstBucket })) === 'ENOSPC') firstBucket++;
      if (firstBucket < 2) continue;
      expect(codeOf(() => m.lookupAndDeleteBatch({ count: firstBucket - 1 }))).toBe('ENOSPC');
      expect(m.size).toBe(500);
      return;
    }
    expect.unreachable('no seed in 1..99 gave a first bucket of two entries');
  });
});

describe('BpfMap batch writes', () => {
  it('updateBatch applies in order and stops at the first failure with err.count', () => {
    using m = make({ maxEntries: 10 });
    const keys = pack([0, 1, 2, 3, 4, 5, 2, 7].map((i) => key(i)));
    const values = pack([0, 1, 2, 3, 4, 5, 9, 7].map((i) => value(i)));
    let err: unknown;
    try {
      m.updateBatch(keys, values, { flags: BPF_NOEXIST });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfBatchError);
    expect(err).toMatchObject({ code: 'EEXIST', count: 6 });
    expect(dump(m)).toEqual(new Map([0, 1, 2, 3, 4, 5].map((i) => [hex(key(i)), hex(value(i))])));

    expect(() => m.updateBatch(keys, values, { flags: BPF_EXIST })).toThrow(
      expect.objectContaining({ code: 'ENOENT', count: 7 }),
    );
    expect(m.lookup(key(2))).toEqual(value(9));
    expect(m.lookup(key(7))).toBeUndefined();

    const more = pack([20, 21, 22, 23, 24, 25].map((i) => key(i)));
    expect(() => m.updateBatch(more, pack([20, 21, 22, 23, 24, 25].map((i) => value(i))))).toThrow(
      expect.objectContaining({ code: 'E2BIG', count: 4 }),
    );
    expect(m.size).toBe(10);
    expect(m.lookup(key(23))).toEqual(value(23));
    expect(m.lookup(key(24))).toBeUndefined();
    expect(m.updateBatch(pack([key(0), key(1)]), pack([value(5), value(6)]))).toBe(2);
  });

  it('deleteBatch stops at the first missing key with err.count', () => {
    using m = make();
    for (let i = 0; i < 6; i++) m.update(key(i), value(i));
    expect(() => m.deleteBatch(pack([key(0), key(1), key(99), key(2)]))).toThrow(
      expect.objectContaining({ code: 'ENOENT', count: 2 }),
    );
    expect([...dump(m).keys()].sort()).toEqual([2, 3, 4, 5].map((i) => hex(key(i))).sort());
    expect(m.deleteBatch(pack([key(2), key(3)]))).toBe(2);
    expect(m.deleteBatch(new Uint8Array(0))).toBe(0);
  });
});

describe('BpfMap lru_hash', () => {
  it('keeps recently used keys: fill, touch a subset, insert more, the subset survives', () => {
    for (const keySize of [4, 37]) {
      using m = make({ type: 'lru_hash', keySize, maxEntries: 256 });
      for (let i = 0; i < 256; i++) m.update(key(i, keySize), value(i));
      for (let i = 0; i < 256; i += 4) expect(m.lookup(key(i, keySize))).toBeDefined();
      for (let i = 0; i < 32; i += 1) m.update(key(i * 4 + 1, keySize), value(1000 + i)); // update counts too
      for (let i = 1000; i < 1128; i++) {
        m.update(key(i, keySize), value(i));
        expect(m.size).toBe(256);
      }
      for (let i = 0; i < 256; i += 4) expect(m.lookup(key(i, keySize))).toEqual(value(i));
      for (let i = 0; i < 32; i++) expect(m.lookup(key(i * 4 + 1, keySize))).toEqual(value(1000 + i));
      for (let i = 1000; i < 1128; i++) expect(m.lookup(key(i, keySize))).toEqual(value(i));
      expect(m.stats().evictions).toBe(128);
    }
  });

  it('never holds more than maxEntries, and evicts instead of E2BIG', () => {
    using m = make({ type: 'lru_hash', maxEntries: 100 });
    for (let i = 0; i < 5000; i++) {
      m.update(key(i), value(i), BPF_NOEXIST);
      if (i % 3 === 0) m.lookup(key(i - 50));
      expect(m.size).toBeLessThanOrEqual(100);
    }
    const present = dump(m);
    expect(present.size).toBe(100);
    for (const [k, v] of present) expect(v).toBe(hex(value(Buffer.from(k, 'hex').readUInt32BE(0))));
  });
});

describe('BpfMap iteration and lifetime', () => {
  it('entries() yields [key, value] copies of every entry', () => {
    using m = make({ keySize: 8, valueSize: 2 });
    for (let i = 0; i < 700; i++) m.update(key(i, 8), value(i, 2));
    const seen = new Map<string, string>();
    for (const [k, v] of m) {
      expect(k.length).toBe(8);
      seen.set(hex(k), hex(v));
      k.fill(0);
    }
    expect(seen).toEqual(dump(m));
    expect(seen.size).toBe(700);
    expect([...m.keys()].length).toBe(700);
  });

  it('close() is idempotent, later calls throw ERR_CLOSED, Symbol.dispose closes', () => {
    const m = make();
    m.update(key(1), value(1));
    m.close();
    m.close();
    expect(codeOf(() => m.lookup(key(1)))).toBe('ERR_CLOSED');
    expect(codeOf(() => m.size)).toBe('ERR_CLOSED');
    expect(codeOf(() => m.lookupBatch({ count: 1 }))).toBe('ERR_CLOSED');
    let outer: BpfMap;
    {
      using inner = make();
      outer = inner;
    }
    expect(codeOf(() => outer.getNextKey())).toBe('ERR_CLOSED');
    expect(Object.prototype.toString.call(make())).toBe('[object BpfMap]');
  });

  it('stats() describes the map', () => {
    using m = make({ type: 'lru_hash', keySize: 13, valueSize: 24, maxEntries: 77 });
    m.update(key(1, 13), value(1, 24));
    expect(m.stats()).toMatchObject({ type: 'lru_hash', keySize: 13, valueSize: 24, maxEntries: 77, size: 1 });
    expect(m.type).toBe('lru_hash');
    expect(m.maxEntries).toBe(77);
  });
});

// [description, call, error class, message pattern]
type Case = [string, (m: BpfMap) => unknown, typeof TypeError | typeof RangeError, RegExp];
const cases: Case[] = [
  [
    'short key',
    (m) => m.lookup(new Uint8Array(3)),
    RangeError,
    /^Expected a Uint8Array of 4 bytes for key but received Uint8Array\(3\)$/,
  ],
  ['long key', (m) => m.update(new Uint8Array(5), value(1)), RangeError, /for key but received Uint8Array\(5\)/],
  [
    'Uint16Array key',
    (m) => m.delete(new Uint16Array(2) as never),
    TypeError,
    /Expected a Uint8Array of 4 bytes for key but received Uint16Array\(2\)/,
  ],
  ['number key', (m) => m.lookup(7 as never), TypeError, /for key but received 7$/],
  ['plain array key', (m) => m.getNextKey([1, 2, 3, 4] as never), TypeError, /for key but received Array\(4\)/],
  [
    'short value',
    (m) => m.update(key(1), new Uint8Array(7)),
    RangeError,
    /Expected a Uint8Array of 8 bytes for value but received Uint8Array\(7\)/,
  ],
  [
    'DataView value',
    (m) => m.update(key(1), new DataView(new ArrayBuffer(8)) as never),
    TypeError,
    /for value but received DataView/,
  ],
  [
    'flags 3',
    (m) => m.update(key(1), value(1), 3 as never),
    RangeError,
    /Expected BPF_ANY \(0\), BPF_NOEXIST \(1\) or BPF_EXIST \(2\) for flags but received 3/,
  ],
  ['flags -0.5', (m) => m.update(key(1), value(1), -0.5 as never), RangeError, /for flags but received -0\.5/],
  ['flags string', (m) => m.update(key(1), value(1), '1' as never), TypeError, /for flags but received string '1'/],
  [
    'batch flags',
    (m) => m.updateBatch(key(1), value(1), { flags: 4 as never }),
    RangeError,
    /for options\.flags but received 4/,
  ],
  [
    'ragged keys',
    (m) => m.updateBatch(new Uint8Array(6), new Uint8Array(8)),
    RangeError,
    /Expected a Uint8Array of count \* 4 bytes for keys but received Uint8Array\(6\)/,
  ],
  [
    'values for another count',
    (m) => m.updateBatch(new Uint8Array(8), new Uint8Array(8)),
    RangeError,
    /Expected a Uint8Array of 16 bytes for values but received Uint8Array\(8\)/,
  ],
  [
    'Float64Array keys',
    (m) => m.deleteBatch(new Float64Array(1) as never),
    TypeError,
    /for keys but received Float64Array\(1\)/,
  ],
  [
    'count 0',
    (m) => m.lookupBatch({ count: 0 }),
    RangeError,
    /Expected an integer in \[1, 4294967295\] for options\.count but received 0/,
  ],
  ['count missing', (m) => m.lookupBatch({} as never), TypeError, /for options\.count but received undefined/],
  ['count 1.5', (m) => m.lookupAndDeleteBatch({ count: 1.5 }), RangeError, /for options\.count but received 1\.5/],
  ['inBatch -1', (m) => m.lookupBatch({ inBatch: -1, count: 5 }), RangeError, /for options\.inBatch but received -1/],
  [
    'inBatch string',
    (m) => m.lookupAndDeleteBatch({ inBatch: 'x' as never, count: 5 }),
    TypeError,
    /for options\.inBatch but received string 'x'/,
  ],
  [
    'no options',
    (m) => m.lookupBatch(undefined as never),
    TypeError,
    /Expected an options object for options but received undefined/,
  ],
];

describe('BpfMap bad input', () => {
  it.each(cases)('%s', (_name, call, kind, pattern) => {
    using m = make();
    for (let i = 0; i < 20; i++) m.update(key(i), value(i));
    const before = dump(m);
    let err: unknown;
    try {
      call(m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(kind);
    expect((err as Error).message).toMatch(pattern);
    expect(dump(m)).toEqual(before);
  });

  const options: Array<[string, Record<string, unknown>, typeof TypeError | typeof RangeError, RegExp]> = [
    [
      'unknown type',
      { type: 'array' },
      RangeError,
      /Expected 'hash' or 'lru_hash' for options\.type but received string 'array'/,
    ],
    ['missing type', { type: undefined }, TypeError, /for options\.type but received undefined/],
    ['keySize 0', { keySize: 0 }, RangeError, /Expected an integer in \[1, 256\] for options\.keySize but received 0/],
    ['keySize 257', { keySize: 257 }, RangeError, /for options\.keySize but received 257/],
    ['keySize string', { keySize: '4' }, TypeError, /for options\.keySize but received string '4'/],
    ['valueSize 65537', { valueSize: 65537 }, RangeError, /Expected an integer in \[1, 65536\] for options\.valueSize/],
    ['valueSize NaN', { valueSize: NaN }, RangeError, /for options\.valueSize but received NaN/],
    [
      'maxEntries 0',
      { maxEntries: 0 },
      RangeError,
      /Expected an integer in \[1, 2147483648\] for options\.maxEntries but received 0/,
    ],
    ['maxEntries 2^31 + 1', { maxEntries: 2 ** 31 + 1 }, RangeError, /for options\.maxEntries/],
    ['maxEntries bigint', { maxEntries: 10n }, TypeError, /for options\.maxEntries but received 10n/],
    ['negative seed', { seed: -1 }, RangeError, /for options\.seed/],
    ['unknown match kernel', { match: 'sse9' }, RangeError, /sse9/],
  ];
  it.each(options)('constructor: %s', (_name, patch, kind, pattern) => {
    expect(() => new BpfMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 10, ...patch } as never)).toThrow(
      kind,
    );
    expect(() => new BpfMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 10, ...patch } as never)).toThrow(
      pattern,
    );
  });

  it('constructor: options must be an object', () => {
    expect(() => new BpfMap(undefined as never)).toThrow(
      /Expected an options object for options but received undefined/,
    );
  });

  it('a method called on another object throws TypeError', () => {
    using m = make();
    expect(() => BpfMap.prototype.lookup.call({} as never, key(1))).toThrow(
      /Expected a BpfMap for this but received an object/,
    );
    expect(m.size).toBe(0);
  });

  it('the largest declared sizes are accepted and cost memory only as entries arrive', () => {
    using m = new BpfMap({ type: 'lru_hash', keySize: 256, valueSize: 65536, maxEntries: 2 ** 31 });
    expect(m.stats().bytes).toBeLessThan(1 << 20);
    const k = new Uint8Array(256).fill(1);
    const v = new Uint8Array(65536).fill(2);
    m.update(k, v);
    expect(m.lookup(k)).toEqual(v);
  });
});
