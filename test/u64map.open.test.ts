// U64Map.open's contract beyond the round trips: options, read-only refusals,
// copy-on-write, the file's life apart from the map's, close, and the reads
// that run elsewhere (getBatchAsync, save).
import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

import { CodedError, U64Map } from '../src/index';
import { snapshotDir } from './snapshot-dir';

const file = snapshotDir('open');
const N = 5000;
const KEYS = BigUint64Array.from({ length: N }, (_, i) => BigInt(i) * 1_000_003n + (i % 2 ? 2n ** 60n : 0n));
const VALUES = Float64Array.from({ length: N }, (_, i) => i * 1.5);
let saved: string;
let savedBytes: Buffer;

beforeAll(() => {
  const m = new U64Map({ seed: 11n });
  m.setBatch(KEYS, VALUES);
  saved = file('saved.thm');
  m.save(saved);
  m.close();
  savedBytes = fs.readFileSync(saved);
});

function thrown(f: () => unknown): Error & { code?: string } {
  try {
    f();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('nothing was thrown');
}

function expectContents(m: U64Map): void {
  const out = new Float64Array(N);
  expect(m.getBatch(KEYS, out)).toBe(N);
  expect(out).toEqual(VALUES);
}

describe('U64Map.open', () => {
  it('checks its options like load does, naming the bad one', () => {
    expect(thrown(() => U64Map.open(saved, { readonly: 1 as unknown as boolean }))).toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'Expected a boolean for options.readonly but received 1',
    });
    expect(thrown(() => U64Map.open(saved, { verify: 'yes' as unknown as boolean })).message).toBe(
      "Expected a boolean for options.verify but received string 'yes'",
    );
    expect(thrown(() => U64Map.open(saved, { readOnly: true } as never))).toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: expect.stringMatching(/received 'readOnly'; did you mean 'readonly'\?/) as string,
    });
    expect(thrown(() => U64Map.open(42 as unknown as string)).message).toBe(
      'Expected a file path (string) for path but received 42',
    );
    expect(thrown(() => U64Map.open(saved, { match: 'mmx' as never })).name).toBe('RangeError');
    expect(thrown(() => U64Map.open(saved, { hash: 'fold' })).code).toBe('ERR_SNAPSHOT_HASH');
  });

  it('read-only: every write throws ERR_READONLY naming the method, and the map is unchanged', async () => {
    const m = U64Map.open(saved, { readonly: true });
    const writes: [string, () => unknown][] = [
      ['set', () => m.set(1, 1)],
      ['delete', () => m.delete(KEYS[0])],
      ['clear', () => m.clear()],
      ['setBatch', () => m.setBatch(new Float64Array([1]), new Float64Array([1]))],
      ['deleteBatch', () => m.deleteBatch(KEYS)],
    ];
    for (const [method, write] of writes) {
      const e = thrown(write);
      expect(e).toBeInstanceOf(CodedError);
      expect(e.code).toBe('ERR_READONLY');
      expect(e.message).toContain(`${method}()`);
    }
    await expect(m.setBatchAsync(new Float64Array([1]), new Float64Array([1]))).rejects.toMatchObject({
      code: 'ERR_READONLY',
      message: expect.stringContaining('setBatchAsync()') as string,
    });
    expect(m.size).toBe(N);
    expect(m.stats()).toMatchObject({ mapped: true, size: N, bytes: savedBytes.length, growing: false });
    expectContents(m);
    m.close();
  });

  it('writable: the first write copies the snapshot into memory; the file is never written', () => {
    const m = U64Map.open(saved);
    expect(m.stats().mapped).toBe(true);
    expect(m.delete(KEYS[0])).toBe(true);
    expect(m.stats().mapped).toBeUndefined();
    expect(m.size).toBe(N - 1);
    expect(m.get(KEYS[0])).toBeUndefined();
    expect(m.get(KEYS[1])).toBe(VALUES[1]);
    m.setBatch(new Float64Array([1, 2]), new Float64Array([3, 4]));
    expect(m.size).toBe(N + 1);
    expect(fs.readFileSync(saved).equals(savedBytes)).toBe(true);
    m.close();
  });

  it('writable: clear and async writes copy first too', async () => {
    const cleared = U64Map.open(saved);
    cleared.clear();
    expect(cleared.size).toBe(0);
    cleared.close();
    const m = U64Map.open(saved);
    expect(await m.setBatchAsync(new Float64Array([7]), new Float64Array([8]))).toBe(1);
    expect(m.get(7)).toBe(8);
    expect(m.size).toBe(N + 1);
    m.close();
  });

  it('an iterator started on the mapping finishes on the copy a write made meanwhile', () => {
    const m = U64Map.open(saved);
    const seen = new Set<bigint>();
    let wrote = false;
    for (const [k] of m) {
      seen.add(BigInt(k));
      if (!wrote) {
        m.set(2n ** 63n, 1); // copies the snapshot; the cursor goes on in the copy
        wrote = true;
      }
    }
    for (const k of KEYS) expect(seen.has(k)).toBe(true);
    m.close();
  });

  it('keeps serving a file that was unlinked after open', () => {
    const name = file('unlinked.thm');
    fs.copyFileSync(saved, name);
    const ro = U64Map.open(name, { readonly: true });
    const rw = U64Map.open(name);
    fs.unlinkSync(name);
    expectContents(ro);
    expect([...ro].length).toBe(N);
    ro.verify();
    rw.set(1, 1); // the copy reads the unlinked file through its descriptor
    expect(rw.size).toBe(N + 1);
    ro.close();
    rw.close();
  });

  it('close() unmaps; later calls throw ERR_CLOSED', () => {
    const m = U64Map.open(saved, { readonly: true });
    m.close();
    m.close();
    for (const use of [() => m.get(1), () => m.size, () => m.getBatch(KEYS, new Float64Array(N)), () => m.verify()]) {
      expect(thrown(use).code).toBe('ERR_CLOSED');
    }
  });

  it('getBatchAsync reads the mapping on the pool; the map is busy meanwhile', async () => {
    const m = U64Map.open(saved, { readonly: true });
    const out = new Float64Array(N);
    const found = new Uint8Array(N);
    const pending = m.getBatchAsync(KEYS, out, found);
    expect(thrown(() => m.getBatch(KEYS, out)).code).toBe('EBUSY');
    expect(await pending).toBe(N);
    expect(out).toEqual(VALUES);
    expect(found.every((f) => f === 1)).toBe(true);
    m.close();
  });

  it('save and saveAsync of a mapped map write its snapshot, which loads as the original', async () => {
    const m = U64Map.open(saved, { readonly: true });
    m.save(file('copy.thm'));
    await m.saveAsync(file('copy-async.thm'));
    m.close();
    for (const name of ['copy.thm', 'copy-async.thm']) {
      expect(fs.readFileSync(file(name)).equals(savedBytes)).toBe(true);
      const loaded = U64Map.load(file(name));
      expectContents(loaded);
      loaded.close();
    }
  });

  it('verify() passes on an intact file, and is a no-op on a map in memory', () => {
    const m = U64Map.open(saved, { readonly: true, verify: true });
    m.verify();
    m.close();
    const plain = new U64Map();
    plain.verify();
    plain.close();
  });
});
