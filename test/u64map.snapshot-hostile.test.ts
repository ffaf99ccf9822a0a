// The snapshot reader is an attack surface: every way a file can be damaged
// or forged must end in a CodedError whose code says what kind of damage and
// whose message says where, never in a crash or a read outside the file.
// Field offsets are the ones docs/FORMAT.md gives; damage behind a checksum
// is re-sealed (test/snapshot-bytes.ts) so the check behind it is reached.
import { beforeAll, describe, expect, it } from 'vitest';

import { U64Map } from '../src/index';
import { BUCKET, crc32c, HEADER, SnapshotBytes } from './snapshot-bytes';
import { snapshotDir } from './snapshot-dir';

const file = snapshotDir('hostile');
let pristine: Uint8Array;

beforeAll(() => {
  const m = new U64Map({ seed: 5n });
  m.setBatch(
    Float64Array.from({ length: 3000 }, (_, i) => i * 7919),
    Float64Array.from({ length: 3000 }, (_, i) => i),
  );
  expect(m.stats().overflowBuckets).toBeGreaterThan(0);
  m.save(file('pristine.thm'));
  pristine = SnapshotBytes.read(file('pristine.thm')).bytes;
});

function copy(): SnapshotBytes {
  return new SnapshotBytes(pristine.slice());
}

let serial = 0;
function loadError(s: SnapshotBytes | Uint8Array): { code: string; message: string } {
  const name = file(`case-${serial++}.thm`);
  (s instanceof SnapshotBytes ? s : new SnapshotBytes(s)).write(name);
  try {
    U64Map.load(name);
  } catch (err) {
    const e = err as { code: string; message: string };
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toContain(name);
    return e;
  }
  throw new Error('the damaged snapshot loaded');
}

function expectError(s: SnapshotBytes | Uint8Array, code: string, message: RegExp): void {
  const e = loadError(s);
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
}

// Offset of the link field of primary bucket i, and of overflow bucket i.
const bucketAt = (s: SnapshotBytes, i: number): number => s.section(0).offset + i * BUCKET;
const overflowAt = (s: SnapshotBytes, i: number): number => s.section(1).offset + i * BUCKET;
const LINK = 136;

function firstBucketWith(s: SnapshotBytes, pred: (at: number) => boolean): number {
  const n = s.section(0).length / BUCKET;
  for (let i = 0; i < n; i++) if (pred(bucketAt(s, i))) return i;
  throw new Error('no such bucket');
}

describe('U64Map.load of hostile files', () => {
  it('the format doc is right about the checksums: a JS CRC32C from it agrees with the file', () => {
    const s = copy();
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    const stored = [s.u32(124), s.section(0).crc, s.section(1).crc];
    s.sealSection(0).sealSection(1);
    expect([s.u32(124), s.section(0).crc, s.section(1).crc]).toEqual(stored);
  });

  it('a truncated file is ERR_SNAPSHOT_TRUNCATED, wherever it is cut', () => {
    expectError(pristine.subarray(0, 0), 'ERR_SNAPSHOT_TRUNCATED', /0 bytes, less than its 128-byte header/);
    expectError(pristine.subarray(0, 100), 'ERR_SNAPSHOT_TRUNCATED', /less than its 128-byte header/);
    expectError(pristine.subarray(0, 150), 'ERR_SNAPSHOT_TRUNCATED', /less than its header and section table/);
    const s = copy();
    for (const end of [s.section(0).offset, s.section(0).offset + 1000, s.section(1).offset + 1, pristine.length - 1]) {
      expectError(
        pristine.subarray(0, end),
        'ERR_SNAPSHOT_TRUNCATED',
        /section needs bytes \d+\.\.\d+ but the file has/,
      );
    }
  });

  it('wrong magic, version and byte order are named as such', () => {
    expectError(copy().flip(0), 'ERR_SNAPSHOT_FORMAT', /Not a tophash snapshot/);
    expectError(new TextEncoder().encode('x'.repeat(500)), 'ERR_SNAPSHOT_FORMAT', /Not a tophash snapshot/);
    expectError(
      copy().setU32(8, 2),
      'ERR_SNAPSHOT_VERSION',
      /format version 2 \(offset 8\); this build reads version 1/,
    );
    const swapped = copy();
    swapped.view.setUint32(12, 0x01020304, false);
    expectError(swapped, 'ERR_SNAPSHOT_ENDIAN', /other byte order \(endianness mark 0x4030201 at offset 12\)/);
    expectError(copy().setU32(12, 0x01020305), 'ERR_SNAPSHOT_CORRUPT', /endianness mark at offset 12/);
  });

  it('a bit flip anywhere in the header or the section table fails the header checksum', () => {
    for (let at = 16; at < 192; at++) {
      if (at >= 124 && at < 128) continue; // the checksum itself: tested below
      // The section count is bounded before the checksum (it sizes what the checksum covers).
      const named =
        at >= 80 && at < 84
          ? /lists \d+ sections \(offset 80\)|header \(bytes/
          : /header \(bytes 0\.\.\d+\) fails its checksum/;
      expectError(copy().flip(at, at % 8), 'ERR_SNAPSHOT_CORRUPT', named);
    }
    expectError(copy().flip(125), 'ERR_SNAPSHOT_CORRUPT', /header \(bytes 0\.\.192\) fails its checksum/);
  });

  it('a bit flip in any section fails that section checksum, naming it and its bytes', () => {
    const s = copy();
    const buckets = s.section(0);
    const overflow = s.section(1);
    for (const at of [buckets.offset, buckets.offset + 777, buckets.offset + buckets.length - 1]) {
      expectError(
        copy().flip(at, 3),
        'ERR_SNAPSHOT_CORRUPT',
        /'buckets' section \(bytes 192\.\.\d+\) fails its checksum/,
      );
    }
    for (const at of [overflow.offset, overflow.offset + overflow.length - 1]) {
      expectError(
        copy().flip(at, 7),
        'ERR_SNAPSHOT_CORRUPT',
        /'overflow' section \(bytes \d+\.\.\d+\) fails its checksum/,
      );
    }
  });

  it('header fields of another kind, layout or hash family are refused by name', () => {
    expectError(copy().setU32(16, 2).sealHeader(), 'ERR_SNAPSHOT_KIND', /key kind 2 \(offset 16\)/);
    expectError(copy().setU32(28, 128).sealHeader(), 'ERR_SNAPSHOT_KIND', /bucket 128 bytes/);
    expectError(copy().setU32(32, 9).sealHeader(), 'ERR_SNAPSHOT_HASH', /hash family 9 \(offset 32\)/);
    expectError(copy().setU32(84, 1).sealHeader(), 'ERR_SNAPSHOT_CORRUPT', /reserved header fields/);
  });

  it('enormous declared sizes fail before anything is allocated', () => {
    expectError(copy().setU32(36, 57).sealHeader(), 'ERR_SNAPSHOT_CORRUPT', /B = 57 \(offset 36\); at most 56/);
    expectError(
      copy().setU32(36, 56).sealHeader(),
      'ERR_SNAPSHOT_CORRUPT',
      /'buckets' section 0 .* its header's counts need 10376293541461622784/,
    );
    // 2^40 buckets (158 TB) with a section length to match: only the file length can refuse it.
    const huge = copy().setU32(36, 40);
    huge.setU64(HEADER + 16, 2n ** 40n * 144n).sealHeader();
    expectError(
      huge,
      'ERR_SNAPSHOT_TRUNCATED',
      /'buckets' section needs bytes 192\.\.158329674399936 but the file has/,
    );
    expectError(
      copy()
        .setU64(56, 2n ** 60n)
        .sealHeader(),
      'ERR_SNAPSHOT_CORRUPT',
      /overflow buckets \(offsets 48\.\.63\)/,
    );
    expectError(
      copy()
        .setU64(48, 2n ** 62n)
        .sealHeader(),
      'ERR_SNAPSHOT_CORRUPT',
      /declares 4611686018427387904 entries/,
    );
    expectError(copy().setU32(80, 9).sealHeader(), 'ERR_SNAPSHOT_CORRUPT', /lists 9 sections \(offset 80\); at most 8/);
  });

  it('sizes that disagree with the counts or the file length are refused', () => {
    const s = copy();
    expectError(
      copy()
        .setU64(HEADER + 16, BigInt(s.section(0).length - BUCKET))
        .sealHeader(),
      'ERR_SNAPSHOT_CORRUPT',
      /'buckets' section 0 .* is \d+ bytes; its header's counts need \d+/,
    );
    expectError(
      copy()
        .setU64(56, s.u64(56) + 1n)
        .sealHeader(),
      'ERR_SNAPSHOT_CORRUPT',
      /'overflow' section 1/,
    );
    expectError(
      copy()
        .setU64(HEADER + 8, 256n)
        .sealHeader(),
      'ERR_SNAPSHOT_CORRUPT',
      /section starts at offset 256; expected 192/,
    );
    expectError(
      copy().setU32(HEADER, 2).sealHeader(),
      'ERR_SNAPSHOT_CORRUPT',
      /section 0 .* is of kind 2; expected 'buckets'/,
    );
    const longer = new Uint8Array(pristine.length + 64);
    longer.set(pristine);
    expectError(longer, 'ERR_SNAPSHOT_CORRUPT', /64 bytes after its last section/);
  });

  it('broken bucket structure behind valid checksums is refused by bucket and slot', () => {
    const s = copy();
    const overflows = Number(s.u64(56));
    const chained = firstBucketWith(s, (at) => s.u64(at + LINK) !== 0n);
    const chained2 = firstBucketWith(s, (at) => at > bucketAt(s, chained) && s.u64(at + LINK) !== 0n);

    const outOfRange = copy()
      .setU64(bucketAt(s, 3) + LINK, BigInt(overflows + 1))
      .sealSection(0);
    expectError(
      outOfRange,
      'ERR_SNAPSHOT_CORRUPT',
      new RegExp(`bucket 3 links to overflow bucket ${overflows} of ${overflows}`),
    );

    const twice = copy()
      .setU64(bucketAt(s, chained2) + LINK, s.u64(bucketAt(s, chained) + LINK))
      .sealSection(0);
    expectError(twice, 'ERR_SNAPSHOT_CORRUPT', /which another bucket links to as well/);

    const loop = copy()
      .setU64(overflowAt(s, 0) + LINK, 1n)
      .sealSection(1);
    expectError(loop, 'ERR_SNAPSHOT_CORRUPT', /links to overflow bucket 0, which another bucket links to as well/);

    const dropped = copy()
      .setU64(bucketAt(s, chained) + LINK, 0n)
      .sealSection(0);
    expectError(dropped, 'ERR_SNAPSHOT_CORRUPT', /overflow buckets no chain reaches/);

    const mark = copy();
    mark.bytes[bucketAt(s, chained)] = 2;
    expectError(
      mark.sealSection(0),
      'ERR_SNAPSHOT_CORRUPT',
      new RegExp(`bucket ${chained} slot 0 holds an evacuation mark`),
    );

    const rest = copy();
    rest.bytes[bucketAt(s, chained)] = 0;
    expectError(
      rest.sealSection(0),
      'ERR_SNAPSHOT_CORRUPT',
      new RegExp(`bucket ${chained} slot 1 is live after an empty-rest slot`),
    );

    expectError(
      copy()
        .setU64(48, s.u64(48) - 1n)
        .sealHeader(),
      'ERR_SNAPSHOT_CORRUPT',
      /header counts 2999 entries \(offset 48\) but its buckets hold 3000/,
    );
  });

  it('non-zero padding between sections is refused', () => {
    const m = new U64Map({ seed: 1n });
    m.set(1, 1);
    m.save(file('tiny.thm'));
    const s = SnapshotBytes.read(file('tiny.thm'));
    const end = s.section(0).offset + s.section(0).length;
    expect(s.section(1).offset).toBeGreaterThan(end);
    expectError(s.flip(end), 'ERR_SNAPSHOT_CORRUPT', new RegExp(`padding byte at offset ${end} is not zero`));
  });
});
