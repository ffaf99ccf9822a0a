// BpfMap snapshots: save, saveAsync and load for both map types. A loaded
// map is the saved map, not a copy of its entries: after the same later
// operations both give the same answers, the same E2BIG when full, the same
// LRU victims and the same iteration order (a fast-check differential run).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { BPF_ANY, BpfMap, CodedError, U64Map, type BpfMapType, type BpfUpdateFlags } from '../src/index';
import { snapshotDir } from './snapshot-dir';

const file = snapshotDir('bpf-snapshot');
let serial = 0;
const fresh = (): string => file(`map-${serial++}.thm`);

// Every entry in iteration order (getNextKey), as hex key => hex value.
function walk(m: BpfMap): string[] {
  const out: string[] = [];
  for (let k = m.getNextKey(); k !== undefined; k = m.getNextKey(k)) {
    out.push(`${Buffer.from(k).toString('hex')}=${Buffer.from(m.lookup(k) ?? []).toString('hex')}`);
  }
  return out;
}

// What one operation did: its result or its error code.
function outcome(run: () => unknown): string {
  try {
    const r = run();
    return r instanceof Uint8Array ? Buffer.from(r).toString('hex') : String(r);
  } catch (err) {
    return (err as CodedError).code;
  }
}

type Op =
  { op: 'update'; key: number; value: number; flags: BpfUpdateFlags } | { op: 'delete' | 'lookup'; key: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('update' as const),
      key: fc.integer({ min: 0, max: 40 }),
      value: fc.integer({ min: 0, max: 255 }),
      flags: fc.constantFrom<BpfUpdateFlags>(0, 1, 2),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('lookup' as const), key: fc.integer({ min: 0, max: 40 }) }) },
);

function apply(m: BpfMap, o: Op, keySize: number, valueSize: number): string {
  const key = new Uint8Array(keySize).fill(7);
  key[0] = o.key;
  if (o.op === 'update') {
    return outcome(() => m.update(key, new Uint8Array(valueSize).fill(o.value), o.flags));
  }
  return outcome(() => (o.op === 'delete' ? m.delete(key) : m.lookup(key)));
}

describe('BpfMap save and load', () => {
  for (const type of ['hash', 'lru_hash'] as BpfMapType[]) {
    it(`a loaded ${type} map behaves exactly as the saved one under the same later operations`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(1, 4, 13, 64),
          fc.constantFrom(1, 8, 17),
          fc.integer({ min: 1, max: 24 }),
          fc.array(opArb, { maxLength: 120 }),
          fc.array(opArb, { maxLength: 120 }),
          (keySize, valueSize, maxEntries, before, after) => {
            const m = new BpfMap({ type, keySize, valueSize, maxEntries });
            for (const o of before) apply(m, o, keySize, valueSize);
            const path = fresh();
            m.save(path);
            const loaded = BpfMap.load(path);
            expect(loaded.type).toBe(type);
            expect([loaded.keySize, loaded.valueSize, loaded.maxEntries]).toEqual([keySize, valueSize, maxEntries]);
            expect(walk(loaded)).toEqual(walk(m));
            for (const o of after) {
              expect(apply(loaded, o, keySize, valueSize)).toBe(apply(m, o, keySize, valueSize));
            }
            expect(walk(loaded)).toEqual(walk(m));
            expect(loaded.stats().evictions).toBe(m.stats().evictions);
            m.close();
            loaded.close();
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it('a full hash map loads full: a new key is E2BIG, a present one updates', () => {
    const m = new BpfMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 3 });
    for (let i = 0; i < 3; i++) m.update(Uint8Array.of(i, 0, 0, 0), Uint8Array.of(i, i, i, i));
    const path = fresh();
    m.save(path);
    const loaded = BpfMap.load(path);
    expect(() => loaded.update(Uint8Array.of(9, 0, 0, 0), new Uint8Array(4))).toThrow(
      expect.objectContaining({ code: 'E2BIG' }),
    );
    loaded.update(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(5, 5, 5, 5), BPF_ANY);
    expect(Array.from(loaded.lookup(Uint8Array.of(1, 0, 0, 0)) ?? [])).toEqual([5, 5, 5, 5]);
  });

  it('saveAsync keeps the map busy (EBUSY) and writes it as it was when called', async () => {
    const m = new BpfMap({ type: 'lru_hash', keySize: 8, valueSize: 8, maxEntries: 5000 });
    const keys = new Uint8Array(8 * 4000);
    for (let i = 0; i < 4000; i++) new DataView(keys.buffer).setUint32(i * 8, i, true);
    m.updateBatch(keys, new Uint8Array(8 * 4000).fill(3));
    const path = fresh();
    const saving = m.saveAsync(path);
    expect(() => m.size).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    await saving;
    const loaded = BpfMap.load(path);
    expect(loaded.size).toBe(4000);
    expect(walk(loaded)).toEqual(walk(m));
  });

  it('a pinned map is refused with EINVAL; a closed map throws as every method does', async () => {
    const pinned = new BpfMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8 });
    const pin = file(`pinned-${process.pid}`);
    pinned.pin(pin);
    try {
      expect(() => pinned.save(fresh())).toThrow(expect.objectContaining({ code: 'EINVAL' }));
      await expect(pinned.saveAsync(fresh())).rejects.toMatchObject({ code: 'EINVAL' });
    } finally {
      pinned.close();
      BpfMap.unpin(pin);
    }
    expect(() => pinned.save(fresh())).toThrow(/closed/);
  });

  it('checks its arguments and says which kind of map a file holds', () => {
    const m = new BpfMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8 });
    const path = fresh();
    m.save(path);
    expect(() => m.save('')).toThrow(RangeError);
    expect(() => BpfMap.load(path, { seed: 1 } as never)).toThrow(/option name in options but received 'seed'/);
    expect(() => BpfMap.load(fresh())).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => U64Map.load(path)).toThrow(expect.objectContaining({ code: 'ERR_SNAPSHOT_KIND' }));
    const u64 = fresh();
    new U64Map().save(u64);
    expect(() => BpfMap.load(u64)).toThrow(expect.objectContaining({ code: 'ERR_SNAPSHOT_KIND' }));
    const family = m.stats().hash === 'fold' ? 'aes-portable' : 'fold';
    expect(() => BpfMap.load(path, { hash: family })).toThrow(expect.objectContaining({ code: 'ERR_SNAPSHOT_HASH' }));
  });
});
