// StrMap snapshots: the same format with key kind 2 and a 'keys' section
// holding the long keys back to back. Differential round trips per kernel
// pair (short, long and lone-surrogate keys, deletes that leave arena
// garbage), saveAsync, and the checks that guard the keys section's offsets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { StrMap, U64Map, type MatchKernelName } from '../src/index';
import { supportedPairs } from './helpers';
import { HEADER, SECTION, SnapshotBytes } from './snapshot-bytes';
import { snapshotDir } from './snapshot-dir';

const file = snapshotDir('str-snapshot');
const STR_BUCKET = 208;

const keyArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 15 }),
  fc.string({ unit: 'binary', minLength: 16, maxLength: 200 }),
  fc.constantFrom('\uD800', '\uDC00', '\uFFFD', '', 'user:1', 'a'.repeat(15), 'a'.repeat(16)),
);
type Op = { op: 'set'; key: string; value: number } | { op: 'delete'; key: string };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), key: keyArb, value: fc.double() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), key: keyArb }) },
);

function apply(m: StrMap, oracle: Map<string, number>, ops: Op[]): void {
  for (const o of ops) {
    if (o.op === 'set') {
      m.set(o.key, o.value);
      oracle.set(o.key, o.value);
    } else {
      expect(m.delete(o.key)).toBe(oracle.delete(o.key));
    }
  }
}

function expectSame(m: StrMap, oracle: Map<string, number>): void {
  expect(m.size).toBe(oracle.size);
  expect(new Map(m.entries())).toEqual(oracle);
}

const pairs = supportedPairs();
const matches = [...new Set(pairs.map((p) => p.match))];

describe.each(pairs)('StrMap snapshot round trip with match=$match hash=$hash', ({ match, hash }) => {
  const loadMatch: MatchKernelName = matches[(matches.indexOf(match) + 1) % matches.length];
  it(`equals a JS Map after load (read with match=${loadMatch}) and after more writes`, () => {
    let run = 0;
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), fc.array(opArb, { maxLength: 80 }), (before, after) => {
        const m = new StrMap({ match, hash, seed: BigInt(run) });
        const oracle = new Map<string, number>();
        apply(m, oracle, before);
        const target = file(`${match}-${hash}-${run++}.thm`);
        m.save(target);
        m.close();
        const loaded = StrMap.load(target, { match: loadMatch, hash });
        expectSame(loaded, oracle);
        apply(loaded, oracle, after);
        expectSame(loaded, oracle);
        loaded.close();
      }),
      { numRuns: 10 },
    );
  });
});

// A map with long keys in every bucket and its snapshot's bytes.
function longKeyed(): { m: StrMap; s: SnapshotBytes } {
  const m = new StrMap({ seed: 4n });
  for (let i = 0; i < 200; i++) m.set(`a key long enough for the arena #${i}`, i);
  for (let i = 0; i < 200; i += 7) m.delete(`a key long enough for the arena #${i}`);
  m.set('short', -1);
  m.save(file('long.thm'));
  return { m, s: SnapshotBytes.read(file('long.thm')) };
}

function loadError(s: SnapshotBytes): { code: string; message: string } {
  s.write(file('damaged.thm'));
  try {
    StrMap.load(file('damaged.thm'));
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('the damaged snapshot loaded');
}

describe('StrMap snapshots', () => {
  it('round-trip long keys packed, without the garbage of deleted ones', () => {
    const { m, s } = longKeyed();
    expect(s.sectionCount).toBe(3);
    expect(s.u32(16)).toBe(2); // key kind: bytes
    expect(s.u32(28)).toBe(STR_BUCKET);
    const live = [...m.keys()].filter((k) => typeof k === 'string' && k.length > 15);
    expect(s.section(2).length).toBe(live.reduce((n, k) => n + Buffer.byteLength(k as string), 0));
    expect(Number(s.u64(88))).toBe(s.section(2).length);
    const l = StrMap.load(file('long.thm'));
    expect(new Map(l.entries())).toEqual(new Map(m.entries()));
  });

  it('saveAsync keeps the map busy, then the file equals the map when called', async () => {
    const { m } = longKeyed();
    const saving = m.saveAsync(file('async.thm'));
    expect(() => m.get('short')).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    await saving;
    expect(StrMap.load(file('async.thm')).get('short')).toBe(-1);
  });

  it('a snapshot of one map kind does not load as the other', () => {
    longKeyed();
    expect(() => U64Map.load(file('long.thm'))).toThrow(
      expect.objectContaining({
        code: 'ERR_SNAPSHOT_KIND',
        message: expect.stringMatching(/key kind 2 \(offset 16\), not a U64Map's/) as string,
      }),
    );
    const u = new U64Map();
    u.save(file('u64.thm'));
    expect(() => StrMap.load(file('u64.thm'))).toThrow(expect.objectContaining({ code: 'ERR_SNAPSHOT_KIND' }));
  });

  it('a long key whose offset or length leaves its place in the keys section is refused', () => {
    const { s } = longKeyed();
    const buckets = s.section(0);
    // The first long key in file order: slot i of bucket b, its offset word and length.
    let at = -1;
    for (let b = 0; at < 0 && b < buckets.length / STR_BUCKET; b++) {
      for (let i = 0; i < 8; i++) {
        const slot = buckets.offset + b * STR_BUCKET + 8 + i * 16;
        if (s.bytes[buckets.offset + b * STR_BUCKET + i] >= 5 && s.bytes[slot + 15] === 0xff) {
          at = slot;
          break;
        }
      }
    }
    expect(s.u64(at)).toBe(0n);
    const moved = new SnapshotBytes(s.bytes.slice()).setU64(at, 1n).sealSection(0);
    expect(loadError(moved)).toMatchObject({
      code: 'ERR_SNAPSHOT_CORRUPT',
      message: expect.stringMatching(/names key bytes 1\.\.\d+; the next long key starts at 0/) as string,
    });
    const long = new SnapshotBytes(s.bytes.slice()).setU32(at + 8, 0xffffff).sealSection(0);
    expect(loadError(long).message).toMatch(/names key bytes 0\.\.16777215/);
    const inline = new SnapshotBytes(s.bytes.slice());
    inline.bytes[at + 15] = 16;
    expect(loadError(inline.sealSection(0)).message).toMatch(
      /holds a key of length 16 inline; a slot holds at most 15/,
    );
    const spare = new SnapshotBytes(new Uint8Array([...s.bytes, 0]));
    spare
      .setU64(HEADER + 2 * SECTION + 16, BigInt(s.section(2).length + 1))
      .setU64(88, BigInt(s.section(2).length + 1));
    expect(loadError(spare.sealSection(2))).toMatchObject({
      code: 'ERR_SNAPSHOT_CORRUPT',
      message: expect.stringMatching(/keys section has 1 bytes no slot refers to/) as string,
    });
    expect(loadError(new SnapshotBytes(s.bytes.slice()).flip(s.section(2).offset + 3)).message).toMatch(
      /'keys' section .* fails its checksum/,
    );
  });
});
