// U64Map#save / U64Map.load / saveAsync: what goes in comes out, with the
// seed, hash family and table shape of the original; saveAsync keeps the map
// busy; file-system failures carry the errno name.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';

import { U64Map } from '../src/index';
import { snapshotDir } from './snapshot-dir';

const file = snapshotDir('snapshot');

function filled(n: number, seed = 11n): U64Map {
  const m = new U64Map({ seed });
  const keys = BigUint64Array.from({ length: n }, (_, i) => (BigInt(i) * 0x9e3779b97f4a7c15n) & (2n ** 64n - 1n));
  m.setBatch(
    keys,
    Float64Array.from({ length: n }, (_, i) => i / 4),
  );
  return m;
}

function sameEntries(a: U64Map, b: U64Map): void {
  expect(b.size).toBe(a.size);
  for (const [k, v] of a) expect(b.get(k)).toBe(v);
}

describe('U64Map snapshots', () => {
  it('a loaded map refuses postMessage and structuredClone like a constructed one, and checks load options', () => {
    const m = filled(10);
    m.save(file('clone.thm'));
    const l = U64Map.load(file('clone.thm'));
    expect(() => structuredClone(l)).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
    expect(() => U64Map.load(file('clone.thm'), { hsh: 'fold' } as never)).toThrow(/did you mean 'hash'\?/);
    l.close();
    m.close();
  });

  it('load gives back every entry and the table shape, and the loaded map keeps working', () => {
    const m = filled(50_000);
    m.deleteBatch(Float64Array.from({ length: 100 }, (_, i) => i));
    m.save(file('shape.thm'));
    const l = U64Map.load(file('shape.thm'));
    sameEntries(m, l);
    const { B, buckets, overflowBuckets, size } = m.stats();
    expect(l.stats()).toMatchObject({ B, buckets, overflowBuckets, size, growing: false });
    l.set(2n ** 64n - 1n, 7).delete(0);
    expect(l.get(2n ** 64n - 1n)).toBe(7);
  });

  it('an empty map and a map saved mid-growth round-trip', () => {
    const empty = new U64Map();
    empty.save(file('empty.thm'));
    expect(U64Map.load(file('empty.thm')).size).toBe(0);

    const m = new U64Map({ seed: 3n });
    let i = 0;
    while (!m.stats().growing) m.set(i++, i);
    m.save(file('growing.thm'));
    expect(m.stats().growing).toBe(false);
    sameEntries(m, U64Map.load(file('growing.thm')));
  });

  it('a second save replaces the first and leaves no temporary file', () => {
    const m = filled(1000);
    m.save(file('twice.thm'));
    m.set(1e9, 1);
    m.save(file('twice.thm'));
    expect(U64Map.load(file('twice.thm')).get(1e9)).toBe(1);
    const dir = fs.readdirSync(file('.'));
    expect(dir.filter((f) => f.startsWith('twice.thm.tmp'))).toEqual([]);
  });

  it('saveAsync keeps the map busy until it settles, then equals the map when called', async () => {
    const m = filled(100_000);
    const saving = m.saveAsync(file('async.thm'));
    expect(() => m.set(1, 1)).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    expect(() => m.get(1)).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    await saving;
    m.set(-0, 5);
    const l = U64Map.load(file('async.thm'));
    expect(l.size).toBe(100_000);
    expect(l.get(0)).toBe(0);
  });

  it('close() during saveAsync waits for the file to be written', async () => {
    const m = filled(10_000);
    const saving = m.saveAsync(file('closing.thm'));
    m.close();
    await saving;
    expect(U64Map.load(file('closing.thm')).size).toBe(10_000);
  });

  it('file-system failures carry the errno name', async () => {
    expect(() => U64Map.load(file('missing.thm'))).toThrow(
      expect.objectContaining({ code: 'ENOENT', message: expect.stringContaining('missing.thm') as string }),
    );
    expect(() => U64Map.load(file('.'))).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    // A FIFO with no writer would block a plain open() for reading forever.
    execFileSync('mkfifo', [file('fifo')]);
    expect(() => U64Map.load(file('fifo'))).toThrow(
      expect.objectContaining({
        code: 'EINVAL',
        message: expect.stringMatching(/fifo': not a regular file/) as string,
      }),
    );
    const m = filled(10);
    expect(() => m.save(file('no/such/dir.thm'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    await expect(m.saveAsync(file('no/such/dir.thm'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("a saveAsync rejection's stack starts at the call, with no internal helper's frame", async () => {
    const m = filled(10);
    async function callerOfTheSave(): Promise<void> {
      await m.saveAsync(file('no/such/dir.thm'));
    }
    const err = (await callerOfTheSave().catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('ENOENT');
    expect(err.stack).toMatch(/^[^\n]*\n {4}at U64Map\.saveAsync [^\n]*\n {4}at callerOfTheSave /);
  });

  it('rejects a bad path or options before touching the file system', () => {
    const m = filled(1);
    expect(() => m.save(5 as never)).toThrow(
      Object.assign(new TypeError('Expected a file path (string) for path but received 5'), {
        code: 'ERR_INVALID_ARG_TYPE',
      }),
    );
    expect(() => m.save('')).toThrow(RangeError);
    expect(() => m.save('a\0b')).toThrow(/without NUL characters/);
    expect(() => U64Map.load(file('x'), null as never)).toThrow(TypeError);
    expect(() => U64Map.load(file('x'), { match: 3 as never })).toThrow(/options.match/);
    expect(() => U64Map.load(file('x'), { match: 'nope' as never })).toThrow(RangeError);
  });

  it('a hash kernel of another family than the file is ERR_SNAPSHOT_HASH', () => {
    const m = new U64Map({ hash: 'aes-portable', seed: 1n });
    m.set(1, 2);
    m.save(file('family.thm'));
    expect(() => U64Map.load(file('family.thm'), { hash: 'fold' })).toThrow(
      expect.objectContaining({ code: 'ERR_SNAPSHOT_HASH', message: expect.stringMatching(/aes family/) as string }),
    );
    const l = U64Map.load(file('family.thm'), { hash: 'aes-portable', match: 'scalar' });
    expect(l.get(1)).toBe(2);
    expect(l.stats()).toMatchObject({ hash: 'aes-portable', match: 'scalar' });
  });
});
