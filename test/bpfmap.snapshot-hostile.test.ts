// BpfMap.load of damaged and forged files: each ends in a CodedError whose
// code says what kind of damage and whose message says where, never in a
// crash or a read outside the file. Offsets are docs/FORMAT.md's; damage
// behind a checksum is re-sealed so the index checks behind it are reached.
import { beforeAll, describe, expect, it } from 'vitest';

import { BpfMap } from '../src/index';
import { HEADER, SnapshotBytes } from './snapshot-bytes';
import { snapshotDir } from './snapshot-dir';

const file = snapshotDir('bpf-hostile');
// keySize 8: a 112-byte bucket (8 tags, 8 keys of 8 bytes, 8 u32 record
// indices, the link); lru_hash records of valueSize 8 are 24 bytes (value,
// key copy, reference byte's word) after the 64-byte pool state.
const BPF_BUCKET = 112;
const INDICES = 72;
const POOL_STATE = 64;
const STRIDE = 24;
let pristine: Uint8Array;

beforeAll(() => {
  const m = new BpfMap({ type: 'lru_hash', keySize: 8, valueSize: 8, maxEntries: 600, seed: 3n });
  const key = new Uint8Array(8);
  for (let i = 0; i < 500; i++) {
    new DataView(key.buffer).setUint32(0, i * 7919, true);
    m.update(key, new Uint8Array(8).fill(i & 0xff));
  }
  for (let i = 0; i < 500; i += 4) {
    new DataView(key.buffer).setUint32(0, i * 7919, true);
    m.delete(key);
  }
  m.save(file('pristine.thm'));
  pristine = SnapshotBytes.read(file('pristine.thm')).bytes;
});

const copy = (): SnapshotBytes => new SnapshotBytes(pristine.slice());

let serial = 0;
function expectError(s: SnapshotBytes | Uint8Array, code: string, message: RegExp): void {
  const name = file(`case-${serial++}.thm`);
  (s instanceof SnapshotBytes ? s : new SnapshotBytes(s)).write(name);
  let caught: { code: string; message: string } | undefined;
  try {
    BpfMap.load(name);
  } catch (err) {
    caught = err as { code: string; message: string };
  }
  expect(caught, 'the damaged snapshot loaded').toBeInstanceOf(Error);
  expect(caught?.code).toBe(code);
  expect(caught?.message).toMatch(message);
  expect(caught?.message).toContain(name);
}

// The (bucket, slot) of every live slot in the buckets section.
function liveSlots(s: SnapshotBytes): [number, number][] {
  const out: [number, number][] = [];
  const { offset, length } = s.section(0);
  for (let b = 0; b < length / BPF_BUCKET; b++) {
    for (let i = 0; i < 8; i++) if (s.bytes[offset + b * BPF_BUCKET + i] >= 5) out.push([b, i]);
  }
  return out;
}
const indexAt = (s: SnapshotBytes, [b, i]: [number, number]): number =>
  s.section(0).offset + b * BPF_BUCKET + INDICES + i * 4;

describe('BpfMap.load of hostile files', () => {
  it('the pristine file loads, with the sections the format doc lists', () => {
    const s = copy();
    expect(s.u32(16)).toBe(3);
    expect(s.sectionCount).toBe(3);
    expect(s.u32(HEADER + 2 * 32)).toBe(4);
    expect(BpfMap.load(file('pristine.thm')).size).toBe(375);
  });

  it('a truncated file is ERR_SNAPSHOT_TRUNCATED, wherever it is cut', () => {
    expectError(pristine.subarray(0, 50), 'ERR_SNAPSHOT_TRUNCATED', /less than its 128-byte header/);
    expectError(pristine.subarray(0, 150), 'ERR_SNAPSHOT_TRUNCATED', /header and section table/);
    const s = copy();
    for (const end of [s.section(0).offset + 10, s.section(2).offset + 3, pristine.length - 1]) {
      expectError(pristine.subarray(0, end), 'ERR_SNAPSHOT_TRUNCATED', /section needs bytes/);
    }
  });

  it('a bit flip in any section, the header or the padding is ERR_SNAPSHOT_CORRUPT naming it', () => {
    const s = copy();
    expectError(
      copy().flip(s.section(0).offset + 9),
      'ERR_SNAPSHOT_CORRUPT',
      /'buckets' section .* fails its checksum/,
    );
    expectError(
      copy().flip(s.section(2).offset + 1),
      'ERR_SNAPSHOT_CORRUPT',
      /'records' section .* fails its checksum/,
    );
    expectError(copy().flip(pristine.length - 1, 7), 'ERR_SNAPSHOT_CORRUPT', /'records' section/);
    expectError(copy().flip(96), 'ERR_SNAPSHOT_CORRUPT', /header .* fails its checksum/);
    const pad = s.section(0).offset + s.section(0).length;
    if (pad < s.section(1).offset) expectError(copy().flip(pad), 'ERR_SNAPSHOT_CORRUPT', /padding byte/);
  });

  it('another version, byte order, magic or an enormous declared size is named', () => {
    expectError(copy().setU32(8, 2), 'ERR_SNAPSHOT_VERSION', /format version 2/);
    expectError(copy().setU32(12, 0x04030201), 'ERR_SNAPSHOT_ENDIAN', /other byte order/);
    expectError(copy().flip(0), 'ERR_SNAPSHOT_FORMAT', /Not a tophash snapshot/);
    // 2^31 records and 2^40 buckets declared, re-sealed: refused before anything is allocated.
    expectError(
      copy()
        .setU64(88 + 16, 2n ** 31n)
        .setU64(88 + 24, 2n ** 31n)
        .sealHeader(),
      'ERR_SNAPSHOT_CORRUPT',
      /'records' section/,
    );
    expectError(copy().setU32(36, 40).sealHeader(), 'ERR_SNAPSHOT_CORRUPT', /'buckets' section/);
    expectError(
      copy()
        .setU64(88 + 16, 2n ** 40n)
        .sealHeader(),
      'ERR_SNAPSHOT_CORRUPT',
      /maxEntries 1099511627776/,
    );
    expectError(
      copy()
        .setU64(88 + 8, 300n | (8n << 32n))
        .sealHeader(),
      'ERR_SNAPSHOT_CORRUPT',
      /keySize 300/,
    );
  });

  it('forged record indices (checksums re-sealed) are ERR_SNAPSHOT_CORRUPT naming the record', () => {
    const slots = liveSlots(copy());
    const shared = copy();
    shared.setU32(indexAt(shared, slots[1]), shared.u32(indexAt(shared, slots[0])));
    expectError(shared.sealSection(0), 'ERR_SNAPSHOT_CORRUPT', /which another slot or the free list holds/);
    const past = copy();
    past.setU32(indexAt(past, slots[0]), 0xfffffffe);
    expectError(past.sealSection(0), 'ERR_SNAPSHOT_CORRUPT', /names record 4294967294, past the 500 written/);
    // The free list's head links to itself.
    const loop = copy();
    const records = loop.section(2).offset;
    const head = loop.u32(records);
    loop.setU32(records + POOL_STATE + head * STRIDE, head);
    expectError(loop.sealSection(2), 'ERR_SNAPSHOT_CORRUPT', /free list names record/);
    // A record's key copy (what an eviction erases) differs from its slot's key.
    const copyKey = copy();
    const r = copyKey.u32(indexAt(copyKey, slots[0]));
    copyKey.flip(records + POOL_STATE + r * STRIDE + 8);
    expectError(copyKey.sealSection(2), 'ERR_SNAPSHOT_CORRUPT', /holds another key than its slot/);
    // A key moved to a bucket its hash does not pick.
    const moved = copy();
    moved.flip(indexAt(moved, slots[0]) - INDICES + 8 + slots[0][1] * 8);
    expectError(moved.sealSection(0), 'ERR_SNAPSHOT_CORRUPT', /a lookup would not find there/);
  });
});
