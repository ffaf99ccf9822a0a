// Differential tests: random sequences of BpfMap operations (update with each
// flag, delete, lookup, getNextKey walks, batch reads, writes and drains)
// against a JS Map<hex key, Uint8Array>, for both map types, key sizes from
// 1 to 256 bytes, and once per supported (match, hash) kernel pair.
//
// A hash map must match the oracle exactly, E2BIG included. An lru_hash map
// may evict: it must never hold more than maxEntries, must evict only when a
// new key arrives at a full map, and every key it holds must carry the latest
// value written to it. After each write the oracle drops the keys the map
// evicted (read back with lookupBatch, which does not count as use), so flag
// outcomes stay exactly predictable.
//
// The same scenarios run on pinned maps: the map is pinned to a file, the
// operations go through a second BpfMap opened on that file, and the pinner's
// view must equal the oracle at the end.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import {
  BPF_ANY,
  BPF_EXIST,
  BPF_NOEXIST,
  BpfBatchError,
  BpfMap,
  CodedError,
  type BpfBatchResult,
  type BpfMapType,
  type BpfUpdateFlags,
  type HashKernelName,
  type MatchKernelName,
} from '../src/index';
import { supportedPairs } from './helpers';

const KEY_SIZES = [1, 4, 8, 13, 16, 37, 64, 256];
const VALUE_SIZES = [1, 3, 8, 17];

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

type Op =
  | { op: 'update'; key: Uint8Array; value: Uint8Array; flags: BpfUpdateFlags }
  | { op: 'delete' | 'lookup'; key: Uint8Array }
  | { op: 'updateBatch'; keys: Uint8Array[]; values: Uint8Array[]; flags: BpfUpdateFlags }
  | { op: 'deleteBatch'; keys: Uint8Array[] }
  | { op: 'lookupBatch' | 'lookupAndDeleteBatch'; count: number }
  | { op: 'walk' | 'entries' };

interface Scenario {
  type: BpfMapType;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  ops: Op[];
}

// Keys from a small space so hits, EEXIST and deletes of present keys are
// common: a fixed prefix with one varying byte near the end, or (rarely) any
// bytes at all.
function keyArb(keySize: number): fc.Arbitrary<Uint8Array> {
  const small = fc.integer({ min: 0, max: keySize === 1 ? 255 : 40 }).map((i) => {
    const k = new Uint8Array(keySize).fill(keySize === 1 ? 0 : 7);
    k[keySize - 1] = i;
    if (keySize > 2 && i % 3 === 0) k[0] = i; // also differ at the front
    return k;
  });
  return fc.oneof(
    { weight: 6, arbitrary: small },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: keySize, maxLength: keySize }) },
  );
}

function scenarioArb(pinnedType?: BpfMapType, pinnedKeySize?: number): fc.Arbitrary<Scenario> {
  return fc
    .record({
      type: pinnedType ? fc.constant(pinnedType) : fc.constantFrom<BpfMapType>('hash', 'lru_hash'),
      keySize: pinnedKeySize ? fc.constant(pinnedKeySize) : fc.constantFrom(...KEY_SIZES),
      valueSize: fc.constantFrom(...VALUE_SIZES),
      maxEntries: fc.integer({ min: 1, max: 48 }),
    })
    .chain((s) => {
      const key = keyArb(s.keySize);
      const value = fc.uint8Array({ minLength: s.valueSize, maxLength: s.valueSize });
      const flags = fc.constantFrom<BpfUpdateFlags>(BPF_ANY, BPF_NOEXIST, BPF_EXIST);
      const op: fc.Arbitrary<Op> = fc.oneof(
        { weight: 8, arbitrary: fc.record({ op: fc.constant('update' as const), key, value, flags }) },
        { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('delete' as const, 'lookup' as const), key }) },
        {
          weight: 2,
          arbitrary: fc
            .record({
              op: fc.constant('updateBatch' as const),
              pairs: fc.array(fc.tuple(key, value), { maxLength: 30 }),
              flags,
            })
            .map(({ pairs, flags: f }) => ({
              op: 'updateBatch' as const,
              keys: pairs.map((p) => p[0]),
              values: pairs.map((p) => p[1]),
              flags: f,
            })),
        },
        {
          weight: 1,
          arbitrary: fc.record({ op: fc.constant('deleteBatch' as const), keys: fc.array(key, { maxLength: 8 }) }),
        },
        {
          weight: 2,
          arbitrary: fc.record({
            op: fc.constantFrom('lookupBatch' as const, 'lookupAndDeleteBatch' as const),
            count: fc.integer({ min: 1, max: 20 }),
          }),
        },
        { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('walk' as const, 'entries' as const) }) },
      );
      return fc.record({
        type: fc.constant(s.type),
        keySize: fc.constant(s.keySize),
        valueSize: fc.constant(s.valueSize),
        maxEntries: fc.constant(s.maxEntries),
        ops: fc.array(op, { maxLength: 60 }),
      });
    });
}

// Every entry, read with lookupBatch from a null cursor, growing the count
// on ENOSPC.
function dump(m: BpfMap): Map<string, string> {
  const out = new Map<string, string>();
  let cursor: number | null = null;
  let count = 4;
  for (;;) {
    let r: BpfBatchResult;
    try {
      r = m.lookupBatch({ inBatch: cursor, count });
    } catch (err) {
      expect((err as BpfBatchError).code).toBe('ENOSPC');
      count = (err as BpfBatchError).needed;
      continue;
    }
    for (let i = 0; i < r.count; i++) {
      const k = hex(r.keys.subarray(i * m.keySize, (i + 1) * m.keySize));
      expect(out.has(k)).toBe(false);
      out.set(k, hex(r.values.subarray(i * m.valueSize, (i + 1) * m.valueSize)));
    }
    if (r.done) return out;
    cursor = r.outBatch;
  }
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(CodedError);
    return (err as CodedError).code;
  }
  return 'OK';
}

class Checker {
  readonly oracle = new Map<string, string>(); // exactly the map's content
  constructor(
    readonly m: BpfMap,
    readonly s: Scenario,
  ) {}

  get lru(): boolean {
    return this.s.type === 'lru_hash';
  }

  // The outcome an update must have, given the oracle (which is exact).
  expectedUpdate(k: string, flags: BpfUpdateFlags): string {
    const present = this.oracle.has(k);
    if (flags === BPF_NOEXIST && present) return 'EEXIST';
    if (flags === BPF_EXIST && !present) return 'ENOENT';
    if (!present && this.oracle.size >= this.s.maxEntries && !this.lru) return 'E2BIG';
    return 'OK';
  }

  // Applies a successful write to the oracle; for lru_hash, reconciles with
  // what the map evicted.
  written(k: string, v: string): void {
    const evicts = this.lru && !this.oracle.has(k) && this.oracle.size >= this.s.maxEntries;
    this.oracle.set(k, v);
    if (!evicts) return;
    const now = dump(this.m);
    expect(now.size).toBe(this.s.maxEntries);
    expect(now.get(k)).toBe(v);
    let gone = 0;
    for (const [ok, ov] of this.oracle) {
      if (!now.has(ok)) gone++;
      else expect(now.get(ok)).toBe(ov);
    }
    expect(gone).toBe(1);
    this.oracle.clear();
    for (const [nk, nv] of now) this.oracle.set(nk, nv);
  }

  run(op: Op): void {
    const { m } = this;
    switch (op.op) {
      case 'update': {
        const k = hex(op.key);
        const want = this.expectedUpdate(k, op.flags);
        expect(codeOf(() => m.update(op.key, op.value, op.flags))).toBe(want);
        if (want === 'OK') this.written(k, hex(op.value));
        break;
      }
      case 'delete': {
        const k = hex(op.key);
        expect(codeOf(() => m.delete(op.key))).toBe(this.oracle.has(k) ? 'OK' : 'ENOENT');
        this.oracle.delete(k);
        break;
      }
      case 'lookup': {
        const got = m.lookup(op.key);
        const want = this.oracle.get(hex(op.key));
        expect(got === undefined ? undefined : hex(got)).toBe(want);
        break;
      }
      case 'updateBatch': {
        // The expected stopping point, element by element, with evictions
        // reconciled as they happen.
        let stop = op.keys.length;
        let code = 'OK';
        const snapshot = new Map(this.oracle);
        const wanted: Array<[string, string]> = [];
        const sim = new Map(this.oracle);
        for (let i = 0; i < op.keys.length; i++) {
          const k = hex(op.keys[i]);
          const present = sim.has(k);
          let c = 'OK';
          if (op.flags === BPF_NOEXIST && present) c = 'EEXIST';
          else if (op.flags === BPF_EXIST && !present) c = 'ENOENT';
          else if (!present && sim.size >= this.s.maxEntries && !this.lru) c = 'E2BIG';
          if (c !== 'OK') {
            stop = i;
            code = c;
            break;
          }
          if (this.lru && !present && sim.size >= this.s.maxEntries) {
            // An eviction inside the batch makes later presence unknowable
            // here: check the count and values, then resync from the map.
            stop = -1;
            break;
          }
          sim.set(k, hex(op.values[i]));
          wanted.push([k, hex(op.values[i])]);
        }
        let applied = op.keys.length;
        let got = 'OK';
        try {
          expect(m.updateBatch(Buffer.concat(op.keys), Buffer.concat(op.values), { flags: op.flags })).toBe(
            op.keys.length,
          );
        } catch (err) {
          expect(err).toBeInstanceOf(BpfBatchError);
          got = (err as BpfBatchError).code;
          applied = (err as BpfBatchError).count;
        }
        if (stop >= 0) {
          expect([got, applied]).toEqual([code, stop]);
          for (const [k, v] of wanted) this.oracle.set(k, v);
          expect(dump(m)).toEqual(this.oracle);
        } else {
          // lru_hash with evictions: the applied prefix's latest values win
          // for every key the map still holds; nothing beyond maxEntries.
          expect(applied).toBeGreaterThanOrEqual(wanted.length);
          const latest = new Map(snapshot);
          for (let i = 0; i < applied; i++) latest.set(hex(op.keys[i]), hex(op.values[i]));
          const now = dump(m);
          expect(now.size).toBeLessThanOrEqual(this.s.maxEntries);
          for (const [k, v] of now) expect(latest.get(k)).toBe(v);
          this.oracle.clear();
          for (const [k, v] of now) this.oracle.set(k, v);
        }
        break;
      }
      case 'deleteBatch': {
        let stop = op.keys.length;
        const sim = new Set(this.oracle.keys());
        for (let i = 0; i < op.keys.length; i++) {
          if (!sim.delete(hex(op.keys[i]))) {
            stop = i;
            break;
          }
        }
        let applied = op.keys.length;
        let got = 'OK';
        try {
          expect(m.deleteBatch(Buffer.concat(op.keys))).toBe(op.keys.length);
        } catch (err) {
          got = (err as BpfBatchError).code;
          applied = (err as BpfBatchError).count;
        }
        expect([got, applied]).toEqual([stop === op.keys.length ? 'OK' : 'ENOENT', stop]);
        for (let i = 0; i < stop; i++) this.oracle.delete(hex(op.keys[i]));
        break;
      }
      case 'lookupBatch':
      case 'lookupAndDeleteBatch': {
        // One full walk with this count, resuming after ENOSPC with a bigger one.
        const drain = op.op === 'lookupAndDeleteBatch';
        const seen = new Map<string, string>();
        let cursor: number | null = null;
        for (;;) {
          let r: BpfBatchResult;
          let asked = op.count;
          try {
            r = drain
              ? m.lookupAndDeleteBatch({ inBatch: cursor, count: op.count })
              : m.lookupBatch({ inBatch: cursor, count: op.count });
          } catch (err) {
            expect((err as BpfBatchError).code).toBe('ENOSPC');
            const needed = (err as BpfBatchError).needed;
            expect(needed).toBeGreaterThan(op.count);
            asked = needed;
            r = drain
              ? m.lookupAndDeleteBatch({ inBatch: cursor, count: needed })
              : m.lookupBatch({ inBatch: cursor, count: needed });
          }
          expect(r.count).toBeLessThanOrEqual(asked);
          expect(r.keys.length).toBe(r.count * m.keySize);
          expect(r.values.length).toBe(r.count * m.valueSize);
          if (!r.done) expect(r.count).toBeGreaterThan(0);
          for (let i = 0; i < r.count; i++) {
            const k = hex(r.keys.subarray(i * m.keySize, (i + 1) * m.keySize));
            expect(seen.has(k)).toBe(false);
            seen.set(k, hex(r.values.subarray(i * m.valueSize, (i + 1) * m.valueSize)));
          }
          if (r.done) break;
          cursor = r.outBatch;
        }
        expect(seen).toEqual(this.oracle);
        if (drain) {
          this.oracle.clear();
          expect(m.size).toBe(0);
        }
        break;
      }
      case 'walk': {
        const keys = new Set<string>();
        for (let k = m.getNextKey(); k !== undefined; k = m.getNextKey(k)) {
          expect(keys.has(hex(k))).toBe(false);
          keys.add(hex(k));
          expect(keys.size).toBeLessThanOrEqual(this.oracle.size);
        }
        expect(keys).toEqual(new Set(this.oracle.keys()));
        break;
      }
      case 'entries': {
        const seen = new Map<string, string>();
        for (const [k, v] of m) seen.set(hex(k), hex(v));
        expect(seen).toEqual(this.oracle);
        break;
      }
    }
    expect(m.size).toBe(this.oracle.size);
    expect(m.size).toBeLessThanOrEqual(this.s.maxEntries);
  }
}

function check(s: Scenario, kernels: { match?: MatchKernelName; hash?: HashKernelName } = {}): void {
  using m = new BpfMap({
    type: s.type,
    keySize: s.keySize,
    valueSize: s.valueSize,
    maxEntries: s.maxEntries,
    ...kernels,
  });
  const c = new Checker(m, s);
  for (const op of s.ops) c.run(op);
  expect(dump(m)).toEqual(c.oracle);
}

const pinDir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'tophash-pinprop-'));
let pinCount = 0;

function checkPinned(s: Scenario, kernels: { match?: MatchKernelName; hash?: HashKernelName } = {}): void {
  const file = path.join(pinDir, `m${pinCount++}`);
  using pinner = new BpfMap({
    type: s.type,
    keySize: s.keySize,
    valueSize: s.valueSize,
    maxEntries: s.maxEntries,
    ...kernels,
  });
  pinner.pin(file);
  try {
    using m = BpfMap.open(file, { hash: kernels.hash });
    const c = new Checker(m, s);
    for (const op of s.ops) c.run(op);
    expect(dump(pinner)).toEqual(c.oracle);
  } finally {
    fs.unlinkSync(file);
  }
}

afterAll(() => fs.rmSync(pinDir, { recursive: true, force: true }));

// Each variant: how a scenario is run, and the runs per key size and per kernel pair.
const VARIANTS = [
  { name: 'BpfMap', run: check, perKeySize: 60, perPair: 25 },
  { name: 'pinned BpfMap', run: checkPinned, perKeySize: 40, perPair: 10 },
] as const;

describe.each(VARIANTS)('$name against a Map oracle', ({ run, perKeySize, perPair }) => {
  for (const type of ['hash', 'lru_hash'] as const) {
    it.each(KEY_SIZES)(`${type}, keySize %i`, (keySize) => {
      fc.assert(
        fc.property(scenarioArb(type, keySize), (s) => run(s)),
        { numRuns: perKeySize },
      );
    });
  }

  describe.each(supportedPairs())('kernels $match + $hash', ({ match, hash }) => {
    it('both types, every key size', () => {
      fc.assert(
        fc.property(scenarioArb(), (s) => run(s, { match, hash })),
        { numRuns: perPair },
      );
    });
  });
});
