// The internal binding's own defences, below the public classes: a handle or
// receiver of one native class given to another class's functions is a
// TypeError (never a reinterpretation of the other object's memory), and
// scan sizes are validated instead of wrapping or aborting the process.
import { describe, expect, it } from 'vitest';

import { native } from '../src/runtime/native';

type Fn = (...args: unknown[]) => unknown;
type NativeObject = Record<string, Fn> & { handle?: unknown };

const addon = native as unknown as Record<string, Fn & Record<string, Fn>> & {
  Aggregator: new (options: Record<string, unknown>) => NativeObject;
};

const key4 = new Uint8Array(4);
const value8 = new Uint8Array(8);
const bytes = new Uint8Array([97, 98]);

interface Made {
  name: string;
  obj: NativeObject;
  // Single operations taking the handle first, with valid other arguments.
  handleCalls: Array<[string, (handle: unknown) => unknown]>;
}

function make(): Made[] {
  const u64 = new native.U64Map(undefined, 1n, undefined, undefined) as unknown as NativeObject;
  const str = new native.StrMap(undefined, 1n, undefined, undefined) as unknown as NativeObject;
  const bpf = new native.BpfMap(
    'hash',
    4,
    8,
    16,
    1n,
    undefined,
    undefined,
    new Uint8Array(8),
  ) as unknown as NativeObject;
  const agg = new addon.Aggregator({ keyKind: 'u64', hist: 'none', maxEntries: 16, onFull: 'drop', seed: 1n });
  return [
    {
      name: 'U64Map',
      obj: u64,
      handleCalls: [
        ['mapGet', (h) => native.mapGet(h as never, 1)],
        ['mapSet', (h) => native.mapSet(h as never, 1, 2)],
        ['mapHas', (h) => native.mapHas(h as never, 1)],
        ['mapDelete', (h) => native.mapDelete(h as never, 1)],
      ],
    },
    {
      name: 'StrMap',
      obj: str,
      handleCalls: [
        ['strGet', (h) => native.strGet(h as never, bytes, 2)],
        ['strSet', (h) => native.strSet(h as never, bytes, 2, 2)],
        ['strHas', (h) => native.strHas(h as never, bytes, 2)],
        ['strDelete', (h) => native.strDelete(h as never, bytes, 2)],
      ],
    },
    {
      name: 'BpfMap',
      obj: bpf,
      handleCalls: [
        ['BpfMap.lookup', (h) => native.BpfMap.lookup(h as never, key4)],
        ['BpfMap.update', (h) => native.BpfMap.update(h as never, key4, value8, 0)],
        ['BpfMap.delete', (h) => native.BpfMap.delete(h as never, key4)],
      ],
    },
    { name: 'Aggregator', obj: agg, handleCalls: [] },
  ];
}

function methodsOf(obj: object): string[] {
  return Object.getOwnPropertyNames(Object.getPrototypeOf(obj)).filter((m) => m !== 'constructor');
}

describe('native handles and receivers are checked', () => {
  const made = make();
  const pairs = made.flatMap((a) => made.filter((b) => b !== a).map((b) => [a, b] as const));

  it.each(pairs.map(([a, b]) => [a.name, b.name, a, b] as const))(
    "%s's handle functions refuse %s's handle",
    (_a, _b, a, b) => {
      for (const [fn, call] of a.handleCalls) {
        expect(() => call(b.obj.handle), fn).toThrow(TypeError);
        expect(() => call(b.obj.handle), fn).toThrow(`Expected a ${a.name} handle for handle`);
      }
    },
  );

  it.each(pairs.map(([a, b]) => [a.name, b.name, a, b] as const))(
    "%s's methods refuse %s's object as their receiver",
    (_a, _b, a, b) => {
      const proto = Object.getPrototypeOf(a.obj) as Record<string, Fn>;
      for (const m of methodsOf(a.obj)) {
        expect(() => proto[m].call(b.obj), m).toThrow(TypeError);
        expect(() => proto[m].call(b.obj), m).toThrow(/Illegal invocation/);
      }
    },
  );

  it('leaves every object working after the refused calls', () => {
    const [u64, str, bpf, agg] = made;
    expect(native.mapSet(u64.obj.handle as never, 7, 70)).toBe(true);
    expect(native.mapGet(u64.obj.handle as never, 7)).toBe(70);
    expect(native.strSet(str.obj.handle as never, bytes, 2, 5)).toBe(true);
    expect(native.strGet(str.obj.handle as never, bytes, 2)).toBe(5);
    expect(native.BpfMap.update(bpf.obj.handle as never, key4, value8, 0)).toBe(0);
    expect(bpf.obj.size()).toBe(1);
    expect(agg.obj.size()).toBe(0);
    for (const m of made) m.obj.close();
  });

  it('refuses values that are not handles', () => {
    for (const bad of [undefined, null, 1, {}, made[0].obj]) {
      expect(() => native.mapGet(bad as never, 1)).toThrow(TypeError);
      expect(() => native.BpfMap.lookup(bad as never, key4)).toThrow(TypeError);
    }
  });
});

describe('scan sizes', () => {
  const maps = (): Array<[string, NativeObject]> => {
    const u64 = new native.U64Map(undefined, 1n, undefined, undefined) as unknown as NativeObject;
    const str = new native.StrMap(undefined, 1n, undefined, undefined) as unknown as NativeObject;
    u64.setBatch(new Float64Array([1, 2, 3]), new Float64Array([1, 2, 3]));
    str.setBatch(new Uint8Array([97, 98, 99]), new Uint32Array([0, 1, 2, 3]), new Float64Array([1, 2, 3]));
    return [
      ['U64Map', u64],
      ['StrMap', str],
    ];
  };

  it.each([
    ['negative', -1],
    ['NaN', NaN],
    ['fractional', 2.5],
    ['2^32', 2 ** 32],
    ['2^53', 2 ** 53],
    ['1e300', 1e300],
    ['Infinity', Infinity],
  ])('a %s atLeast is a RangeError naming it', (_name, atLeast) => {
    for (const [name, m] of maps()) {
      expect(() => m.scan(0, atLeast), name).toThrow(RangeError);
      expect(() => m.scan(0, atLeast), name).toThrow(/for atLeast but received/);
      m.close();
    }
  });

  it('a non-number atLeast is a TypeError', () => {
    for (const [name, m] of maps()) {
      expect(() => m.scan(0, '5'), name).toThrow(TypeError);
      m.close();
    }
  });

  it('the largest atLeast walks the whole map without reserving for it up front', () => {
    for (const [name, m] of maps()) {
      const result = m.scan(0, 2 ** 32 - 1) as unknown[];
      expect(result.at(-1), name).toBe(0);
      expect((result.at(-2) as Float64Array).length, name).toBe(3);
      m.close();
    }
  });
});
