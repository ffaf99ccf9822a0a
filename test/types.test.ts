// Type tests for the public surface. The expectTypeOf assertions are checked by
// `npm run typecheck` (tsc over test/, the first step of `npm test`): a changed
// signature fails there. The @ts-expect-error lines fail it too if a call that
// must be refused starts to compile. At run time vitest executes the calls
// below as a small smoke test of the same surface.
import { describe, expectTypeOf, it, expect } from 'vitest';

import * as cjs from '../src/index';
import * as esm from '../src/index.mjs';
import {
  Aggregator,
  CodedError,
  cpu,
  hash,
  hashBatch,
  kernels,
  U64Map,
  type AggKeyOf,
  type CpuInfo,
  type LabelKey,
  type LabelKeyOf,
  type HashKernelName,
  type FixedSizeKeys,
  type HashBatchKeys,
  type HashBatchOptions,
  type HashOptions,
  type PackedKeys,
  type KernelInfo,
  type KeyArray,
  type MapStats,
  type MatchKernelName,
  type U64Key,
  type U64MapOptions,
  type U64MapLoadOptions,
  type StrMapLoadOptions,
} from '../src/index';

describe('public types', () => {
  it('U64Map constructor options', () => {
    expectTypeOf(U64Map).constructorParameters.toEqualTypeOf<[options?: U64MapOptions]>();
    expectTypeOf<U64MapOptions>().toEqualTypeOf<{
      capacity?: number;
      seed?: number | bigint;
      match?: MatchKernelName;
      hash?: HashKernelName;
      hugePages?: boolean;
    }>();
    expectTypeOf<MatchKernelName>().toEqualTypeOf<'scalar' | 'swar' | 'sse2' | 'avx2' | 'avx512' | 'neon'>();
    expectTypeOf<HashKernelName>().toEqualTypeOf<'aes' | 'vaes' | 'aes-portable' | 'fold'>();

    using a = new U64Map();
    using b = new U64Map({ capacity: 16, seed: 1n, match: 'scalar', hash: 'fold' });
    using c = new U64Map({ seed: 7 });
    expectTypeOf(a).toEqualTypeOf<U64Map>();
    // @ts-expect-error an unknown kernel name is a type error
    expect(() => new U64Map({ match: 'sse9' })).toThrow(RangeError);
    // @ts-expect-error capacity is a number
    expect(() => new U64Map({ capacity: '16' })).toThrow(TypeError);
    expect(b.size + c.size).toBe(0);
  });

  it('single-key methods', () => {
    using m = new U64Map();
    expectTypeOf<U64Key>().toEqualTypeOf<number | bigint>();
    expectTypeOf(m.set).parameters.toEqualTypeOf<[key: U64Key, value: number]>();
    expectTypeOf(m.set(1, 2)).toEqualTypeOf<U64Map>();
    expectTypeOf(m.get(1)).toEqualTypeOf<number | undefined>();
    expectTypeOf(m.get(2n ** 60n)).toEqualTypeOf<number | undefined>();
    expectTypeOf(m.has(1)).toEqualTypeOf<boolean>();
    expectTypeOf(m.delete(1)).toEqualTypeOf<boolean>();
    expectTypeOf(m.clear()).toEqualTypeOf<void>();
    expectTypeOf(m.size).toEqualTypeOf<number>();
    expectTypeOf(m.close).returns.toEqualTypeOf<void>();
    // @ts-expect-error keys are numbers or bigints
    expect(() => m.get('1')).toThrow(TypeError);
    // @ts-expect-error values are numbers
    expect(() => m.set(1, 2n)).toThrow(TypeError);
  });

  it('getBatch / setBatch / hasBatch / deleteBatch take Float64Array, BigUint64Array or Uint32Array keys', () => {
    using m = new U64Map();
    expectTypeOf<KeyArray>().toEqualTypeOf<Float64Array | BigUint64Array | Uint32Array>();
    expectTypeOf(m.getBatch).parameters.toEqualTypeOf<[keys: KeyArray, out: Float64Array, found?: Uint8Array]>();
    expectTypeOf(m.getBatch).returns.toEqualTypeOf<number>();
    expectTypeOf(m.setBatch).parameters.toEqualTypeOf<[keys: KeyArray, values: Float64Array]>();
    expectTypeOf(m.setBatch).returns.toEqualTypeOf<number>();
    expectTypeOf(m.hasBatch).parameters.toEqualTypeOf<[keys: KeyArray, out: Uint8Array]>();
    expectTypeOf(m.hasBatch).returns.toEqualTypeOf<number>();
    expectTypeOf(m.deleteBatch).parameters.toEqualTypeOf<[keys: KeyArray]>();
    expectTypeOf(m.deleteBatch).returns.toEqualTypeOf<number>();

    const values = new Float64Array([10, 20]);
    const out = new Float64Array(2);
    const found = new Uint8Array(2);
    expect(m.setBatch(new Float64Array([1, 2]), values)).toBe(2);
    expect(m.getBatch(new Float64Array([1, 9]), out)).toBe(1);
    expect(m.getBatch(new BigUint64Array([1n, 2n]), out, found)).toBe(2);
    expect(m.getBatch(new Uint32Array([2, 9]), out, found)).toBe(1);
    expect(m.hasBatch(new Uint32Array([1, 2]), found)).toBe(2);
    expect(m.deleteBatch(new BigUint64Array([1n]))).toBe(1);

    // @ts-expect-error Int32Array is not a key array
    expect(() => m.getBatch(new Int32Array(2), out)).toThrow(TypeError);
    // @ts-expect-error plain arrays are not key arrays
    expect(() => m.setBatch([1, 2], values)).toThrow(TypeError);
    // @ts-expect-error out is a Float64Array
    expect(() => m.getBatch(new Float64Array(2), new Float32Array(2))).toThrow(TypeError);
    // @ts-expect-error found is a Uint8Array
    expect(() => m.getBatch(new Float64Array(2), out, new Int8Array(2))).toThrow(TypeError);
    // @ts-expect-error hasBatch writes to a Uint8Array, not a Float64Array
    expect(() => m.hasBatch(new Float64Array(2), out)).toThrow(TypeError);
  });

  it('iteration and stats', () => {
    using m = new U64Map().set(1, 2);
    expectTypeOf(m.entries()).toEqualTypeOf<IterableIterator<[U64Key, number]>>();
    expectTypeOf(m.keys()).toEqualTypeOf<IterableIterator<U64Key>>();
    expectTypeOf(m.values()).toEqualTypeOf<IterableIterator<number>>();
    expectTypeOf(m[Symbol.iterator]()).toEqualTypeOf<IterableIterator<[U64Key, number]>>();
    expectTypeOf(m.forEach).parameters.toEqualTypeOf<
      [callback: (value: number, key: U64Key, map: U64Map) => void, thisArg?: unknown]
    >();
    expectTypeOf(m).toExtend<Iterable<[U64Key, number]>>();
    expectTypeOf(m).toExtend<Disposable>();
    expectTypeOf(m.stats()).toEqualTypeOf<MapStats>();
    expectTypeOf<MapStats>().toEqualTypeOf<{
      size: number;
      B: number;
      buckets: number;
      overflowBuckets: number;
      loadFactor: number;
      bytes: number;
      growing: boolean;
      match: string;
      hash: string;
      mapped?: boolean;
    }>();
    expect([...m]).toEqual([[1, 2]]);
  });

  it('kernels() and cpu() shapes', () => {
    expectTypeOf(kernels).parameters.toEqualTypeOf<[]>();
    expectTypeOf(kernels()).toEqualTypeOf<KernelInfo[]>();
    expectTypeOf<KernelInfo>().toEqualTypeOf<{
      kind: 'match' | 'hash';
      name: string;
      supported: boolean;
      active: boolean;
      needs: string;
    }>();
    expectTypeOf(cpu()).toEqualTypeOf<CpuInfo>();
    expectTypeOf<CpuInfo>().toEqualTypeOf<{
      arch: string;
      vendor: string;
      brand: string;
      features: Record<string, boolean>;
      selected: { match: string | null; hash: string | null };
    }>();
    expect(kernels().some((k) => k.kind === 'match' && k.active)).toBe(true);
    expect(typeof cpu().arch).toBe('string');
  });

  it('hash() and hashBatch()', () => {
    expectTypeOf(hash).parameters.toEqualTypeOf<[data: Uint8Array | string, options?: HashOptions]>();
    expectTypeOf(hash('x')).toEqualTypeOf<bigint>();
    expectTypeOf(hashBatch).parameters.toEqualTypeOf<
      [keys: BigUint64Array | PackedKeys | FixedSizeKeys, options?: HashBatchOptions]
    >();
    expectTypeOf<HashBatchKeys>().toEqualTypeOf<BigUint64Array | PackedKeys | FixedSizeKeys>();
    expectTypeOf<FixedSizeKeys>().toEqualTypeOf<{ bytes: Uint8Array; keySize: number }>();
    expectTypeOf<HashBatchOptions>().toEqualTypeOf<{
      seed?: bigint;
      family?: 'aes' | 'fold';
      kernel?: HashKernelName;
      out?: BigUint64Array;
    }>();
    expectTypeOf(hashBatch(new BigUint64Array(1))).toEqualTypeOf<BigUint64Array>();
    expectTypeOf<HashOptions>().toEqualTypeOf<{
      seed?: bigint;
      family?: 'aes' | 'fold';
      kernel?: HashKernelName;
    }>();
    // @ts-expect-error hashBatch keys are a BigUint64Array or byte keys
    expect(() => hashBatch(new Float64Array(1))).toThrow(TypeError);
    expect(hash('x', { family: 'fold' })).toBe(hash('x', { kernel: 'fold' }));
  });

  it("the Aggregator's key type follows its key spec", () => {
    const ids = new Aggregator({ key: 'u64' });
    expectTypeOf(ids.record).parameter(0).toEqualTypeOf<number | bigint>();
    // @ts-expect-error a u64 aggregator takes no string keys
    expect(() => ids.record('x', 1)).toThrow(TypeError);
    const names = new Aggregator({ key: 'string' });
    expectTypeOf(names.get).parameter(0).toEqualTypeOf<string>();
    // @ts-expect-error a string aggregator takes no numbers
    expect(() => names.record(1, 1)).toThrow(TypeError);
    const routes = new Aggregator({ key: { labels: ['route', 'method'] } });
    expectTypeOf(routes.handle).parameter(0).toEqualTypeOf<LabelKeyOf<'route' | 'method'>>();
    routes.record({ route: '/a' }, 1); // a missing label is the empty value
    routes.record(['/a', 'GET'], 1);
    // @ts-expect-error a label outside the spec's names
    expect(() => routes.record({ route: '/a', verb: 'GET' }, 1)).toThrow(RangeError);
    for (const [key] of routes.entries()) expectTypeOf(key).toEqualTypeOf<LabelKeyOf<'route' | 'method'>>();
    // Names only known at run time, and the older explicit form, keep the wide key types.
    const runtimeNames: string[] = ['a'];
    expectTypeOf(new Aggregator({ key: { labels: runtimeNames } }).record)
      .parameter(0)
      .toEqualTypeOf<LabelKey>();
    expectTypeOf(new Aggregator<number>({ key: 'u64' }).record)
      .parameter(0)
      .toEqualTypeOf<number>();
    expectTypeOf<AggKeyOf<'u64'>>().toEqualTypeOf<number | bigint>();
    // Every aggregator is an Aggregator.
    const any: Aggregator[] = [ids, names, routes];
    expect(any).toHaveLength(3);
    for (const a of any) a.close();
  });

  it('CodedError', () => {
    expectTypeOf(new CodedError('ERR_CLOSED', 'closed')).toExtend<Error>();
    expectTypeOf(new CodedError('ERR_CLOSED', 'closed').code).toEqualTypeOf<string>();
    const m = new U64Map();
    m.close();
    expect(() => m.size).toThrow(CodedError);
  });

  it('snapshot methods', () => {
    expectTypeOf(U64Map.load).parameters.toEqualTypeOf<[path: string, options?: U64MapLoadOptions]>();
    expectTypeOf(U64Map.load).returns.toEqualTypeOf<U64Map>();
    expectTypeOf<U64MapLoadOptions>().toEqualTypeOf<{ match?: MatchKernelName; hash?: HashKernelName }>();
    expectTypeOf<StrMapLoadOptions>().toEqualTypeOf<U64MapLoadOptions>();
    using m = new U64Map();
    expectTypeOf(m.save).parameters.toEqualTypeOf<[path: string]>();
    expectTypeOf(m.save).returns.toEqualTypeOf<void>();
    expectTypeOf(m.saveAsync).returns.toEqualTypeOf<Promise<void>>();
    // @ts-expect-error a path is a string
    expect(() => m.save(1)).toThrow(TypeError);
  });

  it('the ES module entry exports what the CommonJS one does, with the same types', () => {
    expectTypeOf(esm.U64Map).toEqualTypeOf(cjs.U64Map);
    expectTypeOf(esm.kernels).toEqualTypeOf(cjs.kernels);
    expectTypeOf(esm.cpu).toEqualTypeOf(cjs.cpu);
    expectTypeOf(esm.hash).toEqualTypeOf(cjs.hash);
    expectTypeOf(esm.hashBatch).toEqualTypeOf(cjs.hashBatch);
    expectTypeOf(esm.CodedError).toEqualTypeOf(cjs.CodedError);
    expectTypeOf<esm.U64MapOptions>().toEqualTypeOf<cjs.U64MapOptions>();
    expectTypeOf<esm.U64MapLoadOptions>().toEqualTypeOf<cjs.U64MapLoadOptions>();
    expectTypeOf<esm.StrMapLoadOptions>().toEqualTypeOf<cjs.StrMapLoadOptions>();
    expect(Object.keys(esm).sort()).toEqual(Object.keys(cjs).sort());
  });
});
