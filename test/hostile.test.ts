// Hostile input across the public API: every exported class and
// method is called with values built to break a binding — detached and
// shared buffers, DataViews, proxies whose traps throw, borrowed methods,
// numbers at the edges of their domains, huge sparse batches — and each call
// must either give the documented error or behave as documented, and leave
// the map exactly as it was (compared through a snapshot of its entries).
import { describe, expect, it } from 'vitest';

import { Aggregator, BpfMap, StrMap, U64Map, hash, hashBatch, type LabelKey } from '../src/index';

type Outcome = { throws: typeof TypeError | typeof RangeError | typeof Error; message?: RegExp } | { returns: unknown };

interface Case<M> {
  name: string;
  call: (m: M) => unknown;
  outcome: Outcome;
}

/** A typed array whose buffer has been transferred away (length 0 now). */
function detached<T extends ArrayBufferView>(view: T): T {
  structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
  return view;
}

function throwingProxy<T extends object>(target: T): T {
  return new Proxy(target, {
    get() {
      throw new Error('trap: get');
    },
    has() {
      throw new Error('trap: has');
    },
    ownKeys() {
      throw new Error('trap: ownKeys');
    },
    getOwnPropertyDescriptor() {
      throw new Error('trap: getOwnPropertyDescriptor');
    },
  });
}

// Argument errors carry Node's codes: a number outside its domain is ERR_OUT_OF_RANGE, any other
// unacceptable value ERR_INVALID_ARG_VALUE, a wrong type ERR_INVALID_ARG_TYPE, a foreign receiver
// ERR_INVALID_THIS.
function expectNodeStyleCode(thrown: unknown): void {
  if (!(thrown instanceof TypeError || thrown instanceof RangeError)) return;
  const code = (thrown as { code?: unknown }).code;
  const allowed =
    thrown instanceof TypeError
      ? ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_THIS']
      : ['ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_VALUE'];
  expect(allowed, `err.code of "${thrown.message}"`).toContain(code);
  if (thrown instanceof RangeError && /but received (-?[\d.e+]+n?|NaN|-?Infinity)$/.test(thrown.message)) {
    expect(code, thrown.message).toBe('ERR_OUT_OF_RANGE');
  }
}

function check<M>(make: () => M, snapshot: (m: M) => string, close: (m: M) => void, c: Case<M>): void {
  const m = make();
  try {
    const before = snapshot(m);
    if ('throws' in c.outcome) {
      let thrown: unknown;
      try {
        c.call(m);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, 'the call must throw').toBeInstanceOf(c.outcome.throws);
      if (c.outcome.message) expect((thrown as Error).message).toMatch(c.outcome.message);
      expectNodeStyleCode(thrown);
    } else {
      expect(c.call(m)).toEqual(c.outcome.returns);
    }
    expect(snapshot(m)).toBe(before);
  } finally {
    close(m);
  }
}

const KEY_ARRAY = /for keys but received/;

describe('U64Map under hostile input', () => {
  const make = () => {
    const m = new U64Map({ seed: 7n });
    m.setBatch(new Float64Array([1, 2, 3, 2 ** 52]), new Float64Array([10, 20, 30, 40]));
    m.set(2n ** 64n - 1n, 50);
    return m;
  };
  const snapshot = (m: U64Map) => JSON.stringify([...m].map(([k, v]) => [String(k), v]).sort());
  const f64 = (...xs: number[]) => new Float64Array(xs);

  const cases: Case<U64Map>[] = [
    {
      name: 'key NaN',
      call: (m) => m.set(NaN, 1),
      outcome: { throws: RangeError, message: /for key but received NaN/ },
    },
    { name: 'key +Infinity', call: (m) => m.get(Infinity), outcome: { throws: RangeError, message: /for key/ } },
    { name: 'key -Infinity', call: (m) => m.delete(-Infinity), outcome: { throws: RangeError, message: /for key/ } },
    { name: 'key 2^53', call: (m) => m.set(2 ** 53, 1), outcome: { throws: RangeError, message: /for key/ } },
    { name: 'key 2^64 as bigint', call: (m) => m.set(2n ** 64n, 1), outcome: { throws: RangeError } },
    { name: 'key -1n', call: (m) => m.has(-1n), outcome: { throws: RangeError, message: /received -1n/ } },
    { name: 'key -0 reads key 0 (absent)', call: (m) => m.get(-0), outcome: { returns: undefined } },
    { name: 'key 2^64-1 as bigint', call: (m) => m.get(2n ** 64n - 1n), outcome: { returns: 50 } },
    { name: 'key as a numeric string', call: (m) => m.get('1' as never), outcome: { throws: TypeError } },
    { name: 'key as a boxed Number', call: (m) => m.get(new Number(1) as never), outcome: { throws: TypeError } },
    {
      name: 'key as an object with valueOf',
      call: (m) => m.set({ valueOf: () => 1 } as never, 2),
      outcome: { throws: TypeError, message: /for key/ },
    },
    { name: 'value as a string', call: (m) => m.set(9, '9' as never), outcome: { throws: TypeError } },
    { name: 'value as a bigint', call: (m) => m.set(9, 9n as never), outcome: { throws: TypeError } },
    {
      name: 'keys as a DataView',
      call: (m) => m.deleteBatch(new DataView(new ArrayBuffer(16)) as never),
      outcome: { throws: TypeError, message: KEY_ARRAY },
    },
    {
      name: 'keys as a Float64Array proxy',
      call: (m) => m.deleteBatch(new Proxy(f64(1), {})),
      outcome: { throws: TypeError, message: KEY_ARRAY },
    },
    {
      name: 'keys as a throwing proxy',
      call: (m) => m.deleteBatch(throwingProxy(f64(1))),
      outcome: { throws: TypeError },
    },
    {
      name: 'keys as an ArrayBuffer',
      call: (m) => m.deleteBatch(new ArrayBuffer(8) as never),
      outcome: { throws: TypeError, message: KEY_ARRAY },
    },
    {
      name: 'keys as Int32Array',
      call: (m) => m.deleteBatch(new Int32Array(2) as never),
      outcome: { throws: TypeError },
    },
    {
      name: 'keys as BigInt64Array',
      call: (m) => m.deleteBatch(new BigInt64Array(2) as never),
      outcome: { throws: TypeError },
    },
    { name: 'keys as a plain array', call: (m) => m.deleteBatch([1, 2] as never), outcome: { throws: TypeError } },
    {
      name: 'detached keys with live values',
      call: (m) => m.setBatch(detached(f64(5, 6)), f64(1, 2)),
      outcome: { throws: RangeError, message: /for values/ },
    },
    {
      name: 'detached keys and values: an empty batch',
      call: (m) => m.setBatch(detached(f64(5, 6)), detached(f64(1, 2))),
      outcome: { returns: 0 },
    },
    {
      name: 'detached out',
      call: (m) => m.getBatch(f64(1, 2), detached(f64(0, 0))),
      outcome: { throws: RangeError, message: /for out/ },
    },
    {
      name: 'values as a DataView',
      call: (m) => m.setBatch(f64(5), new DataView(new ArrayBuffer(8)) as never),
      outcome: { throws: TypeError, message: /for values/ },
    },
    {
      name: 'values on a SharedArrayBuffer of the wrong length',
      call: (m) => m.setBatch(f64(5, 6), new Float64Array(new SharedArrayBuffer(8))),
      outcome: { throws: RangeError, message: /for values/ },
    },
    {
      name: 'a NaN key at the end of a 1e6-key batch',
      call: (m) => {
        const keys = new Float64Array(1e6).map((_, i) => i + 100);
        keys[keys.length - 1] = NaN;
        return m.setBatch(keys, new Float64Array(keys.length));
      },
      outcome: { throws: RangeError, message: /for keys\[999999\]/ },
    },
    {
      name: 'BigUint64Array keys are read as u64, 2^64-1 included',
      call: (m) => m.hasBatch(new BigUint64Array([2n ** 64n - 1n, 4n]), new Uint8Array(2)),
      outcome: { returns: 1 },
    },
    {
      name: 'options as a throwing proxy',
      call: () => new U64Map(throwingProxy({})),
      outcome: { throws: Error, message: /trap/ },
    },
    {
      name: 'seed NaN',
      call: () => new U64Map({ seed: NaN }),
      outcome: { throws: RangeError, message: /options.seed/ },
    },
    { name: 'capacity Infinity', call: () => new U64Map({ capacity: Infinity }), outcome: { throws: RangeError } },
    { name: 'capacity 2^64', call: () => new U64Map({ capacity: 2 ** 64 }), outcome: { throws: RangeError } },
    {
      name: 'forEach callback that throws stops iteration',
      call: (m) =>
        m.forEach(() => {
          throw Object.assign(new RangeError('from the callback'), { code: 'ERR_OUT_OF_RANGE' });
        }),
      // The callback's own error passes through untouched (its code too).
      outcome: { throws: RangeError, message: /from the callback/ },
    },
    {
      name: 'iteration that mutates the map from the callback',
      call: (m) => {
        let seen = 0;
        for (const [k] of m) {
          m.set(k, m.get(k)!); // same value: the snapshot must still match
          seen++;
        }
        return seen;
      },
      outcome: { returns: 5 },
    },
  ];

  it.each(cases)('$name', (c) => check(make, snapshot, (m) => m.close(), c));

  it.each([
    'get',
    'set',
    'has',
    'delete',
    'clear',
    'setBatch',
    'getBatch',
    'hasBatch',
    'deleteBatch',
    'stats',
    'close',
  ] as const)('%s borrowed onto foreign receivers is a TypeError', (method) => {
    const fn = U64Map.prototype[method] as (...a: unknown[]) => unknown;
    for (const receiver of [{}, null, undefined, 1, new StrMap(), Object.create(U64Map.prototype)]) {
      expect(() => fn.call(receiver, 1, 1), String(receiver)).toThrow(TypeError);
    }
  });

  it('async batches reject hostile input with the same errors', async () => {
    const m = make();
    const before = snapshot(m);
    await expect(m.getBatchAsync(new DataView(new ArrayBuffer(8)) as never, f64(0))).rejects.toThrow(TypeError);
    await expect(m.setBatchAsync(f64(1, NaN), f64(1, 2))).rejects.toThrow(/for keys\[1\]/);
    expect(snapshot(m)).toBe(before);
    m.close();
  });
});

describe('StrMap under hostile input', () => {
  const make = () => {
    const m = new StrMap({ seed: 7n });
    m.setBatch(['a', '\uD800', '\uFFFD', '', 'x'.repeat(40)], new Float64Array([1, 2, 3, 4, 5]));
    return m;
  };
  const snapshot = (m: StrMap) =>
    JSON.stringify(
      [...m].map(([k, v]) => [typeof k === 'string' ? [...k].map((c) => c.charCodeAt(0)) : [...k], v]).sort(),
    );

  const sparse = new Array<string>(2 ** 32 - 1);
  const cases: Case<StrMap>[] = [
    { name: 'lone low surrogate is its own key', call: (m) => m.get('\uDC00'), outcome: { returns: undefined } },
    { name: 'lone high surrogate found', call: (m) => m.get('\uD800'), outcome: { returns: 2 } },
    { name: 'key as a boxed String', call: (m) => m.get(new String('a') as never), outcome: { throws: TypeError } },
    { name: 'key as a symbol', call: (m) => m.get(Symbol('a') as never), outcome: { throws: TypeError } },
    {
      name: 'key as a DataView',
      call: (m) => m.get(new DataView(new ArrayBuffer(1)) as never),
      outcome: { throws: TypeError },
    },
    { name: 'key as a Buffer works (a Uint8Array)', call: (m) => m.get(Buffer.from('a')), outcome: { returns: 1 } },
    {
      name: 'key as a detached Uint8Array is the empty key',
      call: (m) => m.get(detached(new Uint8Array([97]))),
      outcome: { returns: 4 },
    },
    {
      name: 'a huge sparse string[] batch',
      call: (m) => m.deleteBatch(sparse),
      outcome: { throws: TypeError, message: /for keys\[0\] but received undefined/ },
    },
    {
      name: 'a string[] behind a throwing proxy',
      call: (m) => m.setBatch(throwingProxy(['q', 'r']), new Float64Array(2)),
      outcome: { throws: Error, message: /trap/ },
    },
    {
      name: 'an element getter that throws',
      call: (m) => {
        const keys = ['q', 'r'];
        Object.defineProperty(keys, 1, {
          get() {
            throw new Error('trap: element');
          },
        });
        return m.setBatch(keys, new Float64Array(2));
      },
      outcome: { throws: Error, message: /trap: element/ },
    },
    {
      name: 'packed keys whose getters throw',
      call: (m) =>
        m.setBatch(throwingProxy({ bytes: new Uint8Array(1), offsets: new Uint32Array([0, 1]) }), new Float64Array(1)),
      outcome: { throws: Error, message: /trap/ },
    },
    {
      name: 'packed offsets as a DataView',
      call: (m) => m.deleteBatch({ bytes: new Uint8Array(1), offsets: new DataView(new ArrayBuffer(8)) as never }),
      outcome: { throws: TypeError, message: /offsets/ },
    },
    {
      name: 'packed bytes detached under live offsets',
      call: (m) => m.deleteBatch({ bytes: detached(new Uint8Array([97])), offsets: new Uint32Array([0, 1]) }),
      outcome: { throws: RangeError, message: /offsets/ },
    },
    {
      name: 'packed offsets past the bytes',
      call: (m) => m.setBatch({ bytes: new Uint8Array(2), offsets: new Uint32Array([0, 1, 3]) }, new Float64Array(2)),
      outcome: { throws: RangeError, message: /for keys\[1\] but received offsets 1\.\.3 in 2 bytes/ },
    },
    {
      name: 'values on a SharedArrayBuffer',
      call: (m) => m.getBatch(['a', 'zz'], new Float64Array(new SharedArrayBuffer(16))),
      outcome: { returns: 1 },
    },
  ];

  it.each(cases)('$name', (c) => check(make, snapshot, (m) => m.close(), c));

  it.each([
    'get',
    'set',
    'has',
    'delete',
    'clear',
    'setBatch',
    'getBatch',
    'hasBatch',
    'deleteBatch',
    'stats',
    'close',
  ] as const)('%s borrowed onto foreign receivers is a TypeError', (method) => {
    const fn = StrMap.prototype[method] as (...a: unknown[]) => unknown;
    for (const receiver of [{}, null, 1, new U64Map(), Object.create(StrMap.prototype)]) {
      expect(() => fn.call(receiver, 'a', 1), String(receiver)).toThrow(TypeError);
    }
  });
});

describe('hash functions under hostile input', () => {
  it.each([
    ['a DataView', () => hash(new DataView(new ArrayBuffer(4)) as never)],
    ['a number', () => hash(5 as never)],
    ['a negative seed', () => hash('x', { seed: -1n })],
    ['a seed above 2^64', () => hash('x', { seed: 2n ** 64n })],
    ['an unknown family', () => hash('x', { family: 'md5' as never })],
    ['options as a throwing proxy', () => hash('x', throwingProxy({}))],
    ['hashBatch of a DataView', () => hashBatch(new DataView(new ArrayBuffer(8)) as never)],
  ])('%s throws', (_name, call) => {
    expect(call).toThrow();
  });

  it('hashes a detached view as the empty input', () => {
    expect(hash(detached(new Uint8Array([1, 2, 3])))).toBe(hash(new Uint8Array(0)));
  });
});

describe('BpfMap under hostile input', () => {
  const make = () => {
    const m = new BpfMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 });
    for (let i = 0; i < 5; i++) m.update(new Uint8Array([i, 0, 0, 1]), new Uint8Array(8).fill(i));
    return m;
  };
  const snapshot = (m: BpfMap) => JSON.stringify([...m].map(([k, v]) => [[...k], [...v]]).sort());
  const key = (i: number) => new Uint8Array([i, 0, 0, 1]);

  const cases: Case<BpfMap>[] = [
    {
      name: 'key as a DataView',
      call: (m) => m.lookup(new DataView(new ArrayBuffer(4)) as never),
      outcome: { throws: TypeError, message: /for key/ },
    },
    {
      name: 'key as Uint16Array',
      call: (m) => m.delete(new Uint16Array(2) as never),
      outcome: { throws: TypeError, message: /for key/ },
    },
    { name: 'key as a plain array', call: (m) => m.lookup([0, 0, 0, 1] as never), outcome: { throws: TypeError } },
    {
      name: 'detached key',
      call: (m) => m.lookup(detached(key(1))),
      outcome: { throws: RangeError, message: /for key/ },
    },
    {
      name: 'short key',
      call: (m) => m.update(new Uint8Array(3), new Uint8Array(8)),
      outcome: { throws: RangeError, message: /for key/ },
    },
    {
      name: 'long value',
      call: (m) => m.update(key(9), new Uint8Array(9)),
      outcome: { throws: RangeError, message: /for value/ },
    },
    {
      name: 'value on a SharedArrayBuffer works',
      call: (m) => m.update(key(2), new Uint8Array(new SharedArrayBuffer(8)).fill(2)), // same value: unchanged
      outcome: { returns: undefined },
    },
    {
      name: 'flags NaN',
      call: (m) => m.update(key(9), new Uint8Array(8), NaN as never),
      outcome: { throws: RangeError, message: /flags/ },
    },
    {
      name: 'flags 2^53',
      call: (m) => m.update(key(9), new Uint8Array(8), (2 ** 53) as never),
      outcome: { throws: RangeError, message: /flags/ },
    },
    {
      name: 'flags as a string',
      call: (m) => m.update(key(9), new Uint8Array(8), '0' as never),
      outcome: { throws: TypeError, message: /flags/ },
    },
    {
      name: 'batch keys not a multiple of keySize',
      call: (m) => m.updateBatch(new Uint8Array(6), new Uint8Array(16)),
      outcome: { throws: RangeError, message: /keys/ },
    },
    {
      name: 'batch values of the wrong length',
      call: (m) => m.updateBatch(new Uint8Array(8), new Uint8Array(8)),
      outcome: { throws: RangeError, message: /values/ },
    },
    {
      name: 'lookupBatch count -1',
      call: (m) => m.lookupBatch({ count: -1 }),
      outcome: { throws: RangeError, message: /count/ },
    },
    {
      name: 'lookupBatch with a forged cursor',
      call: (m) => m.lookupBatch({ inBatch: { forged: true } as never, count: 4 }),
      outcome: { throws: TypeError, message: /inBatch/ },
    },
    {
      name: 'options behind a throwing proxy',
      call: (m) => m.lookupBatch(throwingProxy({ count: 4 })),
      outcome: { throws: Error, message: /trap/ },
    },
    {
      name: 'getNextKey of a missing key gives the first key',
      call: (m) => m.getNextKey(key(200)) !== undefined,
      outcome: { returns: true },
    },
    {
      name: 'constructor options behind a throwing proxy',
      call: () => new BpfMap(throwingProxy({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1 }) as never),
      outcome: { throws: Error, message: /trap/ },
    },
    {
      name: 'keySize 257',
      call: () => new BpfMap({ type: 'hash', keySize: 257, valueSize: 8, maxEntries: 1 }),
      outcome: { throws: RangeError, message: /keySize/ },
    },
    {
      name: 'maxEntries 2^53',
      call: () => new BpfMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 2 ** 53 }),
      outcome: { throws: RangeError, message: /maxEntries/ },
    },
  ];

  it.each(cases)('$name', (c) => check(make, snapshot, (m) => m.close(), c));

  it.each([
    'lookup',
    'update',
    'delete',
    'getNextKey',
    'lookupBatch',
    'updateBatch',
    'deleteBatch',
    'stats',
    'close',
  ] as const)('%s borrowed onto foreign receivers is a TypeError', (method) => {
    const fn = BpfMap.prototype[method] as (...a: unknown[]) => unknown;
    for (const receiver of [{}, null, 1, new U64Map(), Object.create(BpfMap.prototype)]) {
      expect(() => fn.call(receiver, key(1), new Uint8Array(8)), String(receiver)).toThrow(TypeError);
    }
  });

  it('every method throws ERR_CLOSED after close', () => {
    const m = make();
    m.close();
    for (const call of [
      () => m.lookup(key(1)),
      () => m.update(key(1), new Uint8Array(8)),
      () => m.size,
      () => [...m],
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
    }
  });
});

describe('Aggregator under hostile input', () => {
  const make = () => {
    const a = new Aggregator<LabelKey>({ key: { labels: ['route', 'code'] }, hist: { buckets: [1, 10] } });
    a.record({ route: '/a', code: '200' }, 1);
    a.record(['/b', 500], 20);
    return a;
  };
  const snapshot = (a: Aggregator<LabelKey>) =>
    JSON.stringify([...a.entries()].map(([k, v]) => [k, v.count, v.sum, [...(v.hist ?? [])]]).sort());

  const cases: Case<Aggregator<LabelKey>>[] = [
    {
      name: 'value NaN',
      call: (a) => a.record({ route: '/a' }, NaN),
      outcome: { throws: RangeError, message: /for value/ },
    },
    {
      name: 'value Infinity',
      call: (a) => a.handle(['/a', '1']).record(Infinity),
      outcome: { throws: RangeError, message: /for value/ },
    },
    {
      name: 'value as a bigint',
      call: (a) => a.record({ route: '/a' }, 1n as never),
      outcome: { throws: TypeError, message: /for value/ },
    },
    {
      name: 'label value an object',
      call: (a) => a.record({ route: {} as never }, 1),
      outcome: { throws: TypeError, message: /route/ },
    },
    {
      name: 'label value with NUL',
      call: (a) => a.record({ route: 'a\0b' }, 1),
      outcome: { throws: RangeError, message: /route/ },
    },
    { name: 'label array of the wrong length', call: (a) => a.record(['/a'], 1), outcome: { throws: RangeError } },
    { name: 'key null', call: (a) => a.record(null as never, 1), outcome: { throws: TypeError } },
    {
      name: 'key behind a throwing proxy',
      call: (a) => a.record(throwingProxy({ route: '/a' }), 1),
      outcome: { throws: Error, message: /trap/ },
    },
    {
      name: 'recordBatch values of the wrong length',
      call: (a) => a.recordBatch([{ route: '/c' }], new Float64Array(2)),
      outcome: { throws: RangeError, message: /values/ },
    },
    {
      name: 'recordBatch values as a DataView',
      call: (a) => a.recordBatch([{ route: '/c' }], new DataView(new ArrayBuffer(8)) as never),
      outcome: { throws: TypeError, message: /values/ },
    },
    {
      name: 'recordBatch with a NaN in the middle applies nothing',
      call: (a) => a.recordBatch([{ route: '/c' }, { route: '/d' }, { route: '/e' }], new Float64Array([1, NaN, 3])),
      outcome: { throws: RangeError, message: /values\[1\]/ },
    },
    {
      name: 'lookupBatch count 0',
      call: (a) => a.lookupBatch({ count: 0 }),
      outcome: { throws: RangeError, message: /count/ },
    },
    {
      name: 'toPrometheus with a bad metric name',
      call: (a) => a.toPrometheus({ name: 'bad name', help: 'h' }),
      outcome: { throws: RangeError, message: /name/ },
    },
  ];

  it.each(cases)('$name', (c) => check(make, snapshot, (a) => a.close(), c));

  it.each([
    'record',
    'recordBatch',
    'handle',
    'flush',
    'get',
    'delete',
    'clear',
    'zero',
    'stats',
    'print',
    'toPrometheus',
    'close',
  ] as const)('%s borrowed onto foreign receivers is a TypeError', (method) => {
    const fn = Aggregator.prototype[method] as (...a: unknown[]) => unknown;
    for (const receiver of [{}, null, 1, new U64Map(), Object.create(Aggregator.prototype)]) {
      expect(() => fn.call(receiver, { route: '/a' }, 1), String(receiver)).toThrow(TypeError);
    }
  });
});
