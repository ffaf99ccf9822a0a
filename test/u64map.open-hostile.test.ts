// U64Map.open reads a file it does not check in full (docs/FORMAT.md,
// "Opening without loading"): the header and section table are checked at
// open, and everything behind them must still be safe to read. Every damaged
// or changed file must end in a CodedError naming the damage, never in a
// crash (a SIGBUS would end the test worker) or a read outside the mapping.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

import { U64Map } from '../src/index';
import { BUCKET, HEADER, SnapshotBytes } from './snapshot-bytes';
import { snapshotDir } from './snapshot-dir';

const file = snapshotDir('open-hostile');
const N = 3000;
const KEYS = Float64Array.from({ length: N }, (_, i) => i * 7919);
let pristine: Uint8Array;

beforeAll(() => {
  const m = new U64Map({ seed: 5n });
  m.setBatch(
    KEYS,
    Float64Array.from(KEYS, (_, i) => i),
  );
  expect(m.stats().overflowBuckets).toBeGreaterThan(0);
  m.save(file('pristine.thm'));
  pristine = SnapshotBytes.read(file('pristine.thm')).bytes;
});

const copy = (): SnapshotBytes => new SnapshotBytes(pristine.slice());

let serial = 0;
function written(s: SnapshotBytes | Uint8Array): string {
  const name = file(`case-${serial++}.thm`);
  (s instanceof SnapshotBytes ? s : new SnapshotBytes(s)).write(name);
  return name;
}

function thrown(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as { code: string; message: string };
  }
  throw new Error('nothing was thrown');
}

function expectOpenError(s: SnapshotBytes | Uint8Array, code: string, message: RegExp): void {
  const name = written(s);
  const e = thrown(() => U64Map.open(name, { readonly: true }));
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
  expect(e.message).toContain(name);
}

// Offset of the link of primary bucket i and of overflow bucket i.
const bucketAt = (s: SnapshotBytes, i: number): number => s.section(0).offset + i * BUCKET;
const overflowAt = (s: SnapshotBytes, i: number): number => s.section(1).offset + i * BUCKET;
const LINK = 136;

function firstLinkedBucket(s: SnapshotBytes): number {
  for (let i = 0; ; i++) if (s.u64(bucketAt(s, i) + LINK) !== 0n) return i;
}

// Every read that walks the whole table: iteration, and a batch of every key.
function readEverything(m: U64Map): void {
  for (const entry of m) expect(entry).toBeDefined();
  m.getBatch(KEYS, new Float64Array(N));
}

describe('U64Map.open of hostile files', () => {
  it('a truncated file is ERR_SNAPSHOT_TRUNCATED, wherever it is cut', () => {
    expectOpenError(pristine.subarray(0, 0), 'ERR_SNAPSHOT_TRUNCATED', /0 bytes, less than its 128-byte header/);
    expectOpenError(pristine.subarray(0, 150), 'ERR_SNAPSHOT_TRUNCATED', /less than its header and section table/);
    const s = copy();
    for (const end of [s.section(0).offset + 1000, s.section(1).offset + 1, pristine.length - 1]) {
      expectOpenError(
        pristine.subarray(0, end),
        'ERR_SNAPSHOT_TRUNCATED',
        /section needs bytes \d+\.\.\d+ but the file has/,
      );
    }
  });

  it('magic, version and byte order are checked before anything else', () => {
    expectOpenError(copy().flip(0), 'ERR_SNAPSHOT_FORMAT', /Not a tophash snapshot/);
    expectOpenError(copy().setU32(8, 2), 'ERR_SNAPSHOT_VERSION', /format version 2 \(offset 8\)/);
    const swapped = copy();
    swapped.view.setUint32(12, 0x01020304, false);
    expectOpenError(swapped, 'ERR_SNAPSHOT_ENDIAN', /other byte order/);
  });

  it('a bit flip in the header or the section table fails the header checksum', () => {
    for (const at of [16, 36, 40, 48, 56, 100, HEADER + 8, HEADER + 16, HEADER + 32 + 20]) {
      expectOpenError(copy().flip(at, at % 8), 'ERR_SNAPSHOT_CORRUPT', /header \(bytes 0\.\.192\) fails its checksum/);
    }
  });

  it('enormous declared sizes are refused against the file length, before anything is mapped past it', () => {
    expectOpenError(copy().setU32(36, 57).sealHeader(), 'ERR_SNAPSHOT_CORRUPT', /B = 57 \(offset 36\)/);
    const huge = copy().setU32(36, 40);
    huge.setU64(HEADER + 16, 2n ** 40n * 144n).sealHeader();
    expectOpenError(huge, 'ERR_SNAPSHOT_TRUNCATED', /'buckets' section needs bytes 192\.\.158329674399936/);
    expectOpenError(
      copy()
        .setU64(48, 2n ** 62n)
        .sealHeader(),
      'ERR_SNAPSHOT_CORRUPT',
      /declares 4611686018427387904 entries/,
    );
  });

  it('names files it cannot open by their errno', () => {
    expect(thrown(() => U64Map.open(file('missing.thm'))).code).toBe('ENOENT');
    fs.mkdirSync(file('dir.thm'));
    expect(thrown(() => U64Map.open(file('dir.thm'))).code).toBe('EISDIR');
  });

  it('a section bit flip is not read at open; verify() and { verify: true } find it', () => {
    const s = copy();
    const name = written(s.flip(s.section(0).offset + 8 + 3 * 8, 2)); // a key byte
    const m = U64Map.open(name, { readonly: true });
    expect(m.size).toBe(N);
    const e = thrown(() => m.verify());
    expect(e.code).toBe('ERR_SNAPSHOT_CORRUPT');
    expect(e.message).toMatch(/'buckets' section \(bytes 192\.\.\d+\) fails its checksum/);
    m.close();
    const strict = thrown(() => U64Map.open(name, { verify: true }));
    expect(strict.code).toBe('ERR_SNAPSHOT_CORRUPT');
  });

  it('an overflow link out of range fails the reads that meet it, not the others', () => {
    const s = copy();
    const i = firstLinkedBucket(s);
    s.setU64(bucketAt(s, i) + LINK, 2n ** 40n);
    const m = U64Map.open(written(s), { readonly: true });
    const e = thrown(() => readEverything(m));
    expect(e.code).toBe('ERR_SNAPSHOT_CORRUPT');
    expect(e.message).toMatch(new RegExp(`bucket ${i} links to overflow bucket 1099511627775 of \\d+`));
    // A key whose chain does not pass that bucket still reads.
    const out = new Float64Array(1);
    const readable = [...KEYS].filter((k) => {
      try {
        return m.getBatch(new Float64Array([k]), out) === 1;
      } catch {
        return false;
      }
    });
    expect(readable.length).toBeGreaterThan(N / 2);
    m.close();
  });

  it('an overflow chain that loops is ERR_SNAPSHOT_CORRUPT, not an endless lookup', () => {
    const s = copy();
    const i = firstLinkedBucket(s);
    const first = Number(s.u64(bucketAt(s, i) + LINK)) - 1;
    // The overflow bucket links back to itself, and nothing ends the chain early.
    s.setU64(overflowAt(s, first) + LINK, BigInt(first + 1));
    s.bytes[overflowAt(s, first) + 7] = 1;
    const m = U64Map.open(written(s), { readonly: true });
    const e = thrown(() => readEverything(m));
    expect(e.code).toBe('ERR_SNAPSHOT_CORRUPT');
    expect(e.message).toMatch(/is on a chain that loops/);
    m.close();
  });

  it('the first write of a writable open checks what load checks, and a refusal leaves the map as it was', () => {
    const s = copy();
    const name = written(s.flip(s.section(1).offset + 100, 1));
    const m = U64Map.open(name);
    const e = thrown(() => m.set(1, 2));
    expect(e.code).toBe('ERR_SNAPSHOT_CORRUPT');
    expect(m.stats().mapped).toBe(true);
    expect(m.size).toBe(N);
    m.close();
  });
});

describe('U64Map.open of a file changed by another process', () => {
  function truncateElsewhere(name: string, bytes: number): void {
    const child = spawnSync(process.execPath, ['-e', `require('fs').truncateSync(${JSON.stringify(name)}, ${bytes})`]);
    expect(child.status).toBe(0);
  }

  it('a truncation in place makes reads throw ERR_SNAPSHOT_CHANGED (its SIGBUS is caught), and so every later read', () => {
    const name = written(copy());
    const m = U64Map.open(name, { readonly: true });
    expect(m.get(KEYS[10])).toBe(10);
    truncateElsewhere(name, 4096);
    // Single reads have no size check: only the fault handler stands between them and SIGBUS.
    const errors = [...KEYS].map((k) => {
      try {
        m.get(k);
        return null;
      } catch (err) {
        return (err as { code: string }).code;
      }
    });
    expect(errors.filter((c) => c !== null).length).toBeGreaterThan(0);
    expect(new Set(errors.filter((c) => c !== null))).toEqual(new Set(['ERR_SNAPSHOT_CHANGED']));
    const e = thrown(() => m.has(KEYS[0]));
    expect(e.code).toBe('ERR_SNAPSHOT_CHANGED');
    expect(e.message).toContain(name);
    expect(thrown(() => [...m]).code).toBe('ERR_SNAPSHOT_CHANGED');
    m.close();
  });

  it('batches and iteration notice a truncation by the file size, before touching a page', () => {
    const name = written(copy());
    const m = U64Map.open(name, { readonly: true });
    truncateElsewhere(name, pristine.length - 64);
    expect(thrown(() => m.getBatch(KEYS, new Float64Array(N))).code).toBe('ERR_SNAPSHOT_CHANGED');
    m.close();
  });

  it('a truncation to zero while a writable open copies it fails the write, not the process', () => {
    const name = written(copy());
    const m = U64Map.open(name);
    truncateElsewhere(name, 0);
    expect(thrown(() => m.set(1, 1)).code).toBe('ERR_SNAPSHOT_CHANGED');
    m.close();
  });

  it('a save() over the path (a rename) leaves the open map on the file it opened', () => {
    const name = written(copy());
    const m = U64Map.open(name, { readonly: true });
    const other = new U64Map();
    other.set(1, 1);
    other.save(name);
    other.close();
    expect(m.size).toBe(N);
    expect(m.get(KEYS[7])).toBe(7);
    m.getBatch(KEYS, new Float64Array(N));
    m.verify();
    m.close();
    expect(U64Map.open(name).size).toBe(1);
  });
});
