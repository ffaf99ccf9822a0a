// Aggregator snapshots: save, saveAsync and load for each key kind and
// histogram kind. The loaded aggregator renders exactly what the saved one
// does (entries(), print(), toPrometheus(), stats counters), and after the
// same further events into both, still does (but for 'lru', whose recently
// used marks are not kept). Shared and attached ones are
// refused; damaged files are named.
import { describe, expect, it } from 'vitest';

import { Aggregator, U64Map, type AggregatorOptions } from '../src/index';
import { SnapshotBytes } from './snapshot-bytes';
import { snapshotDir } from './snapshot-dir';

const file = snapshotDir('agg-snapshot');
let serial = 0;
const fresh = (): string => file(`agg-${serial++}.tha`);

type AnyAgg = Aggregator;

// Everything a reader can see, in order.
function view(a: AnyAgg, name: string): unknown {
  const { entries, dropped, evicted } = a.stats() as unknown as Record<string, number>;
  return {
    entries: [...a.entries()].map(([k, v]) => [JSON.stringify(k, (_, x) => (typeof x === 'bigint' ? `${x}n` : x)), v]),
    print: a.histogram === undefined ? '' : a.print(),
    prom: a.toPrometheus({ name, help: 'h', label: 'key' }),
    overflow: a.overflow(),
    stats: { entries, dropped, evicted },
  };
}

const KEYS: Record<string, (i: number) => unknown> = {
  u64: (i) => i * 7919,
  string: (i) => `route-${i % 37}-${'x'.repeat(i % 20)}`,
  labels: (i) => ({ route: `/r${i % 11}`, code: 200 + (i % 3) }),
};

const CASES: [string, AggregatorOptions][] = [
  ['u64, log2', { key: 'u64', hist: { log2: {} } }],
  ['u64, no histogram, lru', { key: 'u64', maxEntries: 50, onFull: 'lru' }],
  ['string, linear', { key: 'string', hist: { linear: { min: 0, max: 100, step: 10 } } }],
  ['labels, buckets', { key: { labels: ['route', 'code'] }, hist: { buckets: [0.1, 1, 10, 100] } }],
  ['labels, maxSeries overflow', { key: { labels: ['route', 'code'] }, maxSeries: 5 }],
  ['u64, drop when full', { key: 'u64', maxEntries: 20 }],
];

function kindOf(o: AggregatorOptions): string {
  return typeof o.key === 'string' ? o.key : 'labels';
}

function record(a: AnyAgg, o: AggregatorOptions, from: number, n: number): void {
  const key = KEYS[kindOf(o)];
  for (let i = from; i < from + n; i++) a.record(key(i) as never, (i * 37) % 150);
}

describe('Aggregator save and load', () => {
  for (const [name, options] of CASES) {
    it(`${name}: the loaded aggregator renders as the saved one, before and after more events`, () => {
      const a = new Aggregator(options);
      record(a, options, 0, 400);
      const path = fresh();
      a.save(path);
      const b = Aggregator.load(path);
      expect(view(b, 'm')).toEqual(view(a, 'm'));
      record(a, options, 400, 300);
      record(b, options, 400, 300);
      // 'lru' restarts with every entry unreferenced, so later victims may differ.
      if (options.onFull === 'lru') expect(b.size).toBe(a.size);
      else expect(view(b, 'm')).toEqual(view(a, 'm'));
      a.close();
      b.close();
    });
  }

  it('saveAsync writes the aggregator as it was when called, and it keeps recording meanwhile', async () => {
    const a = new Aggregator({ key: 'u64', hist: { log2: { k: 2 } } });
    record(a, { key: 'u64' }, 0, 1000);
    const before = view(a, 'm');
    const path = fresh();
    const saving = a.saveAsync(path);
    a.record(123456789, 5);
    await saving;
    expect(view(Aggregator.load(path), 'm')).toEqual(before);
    expect(a.get(123456789)?.count).toBe(1);
  });

  it('an offloaded aggregator saves a point-in-time copy with its rings drained', () => {
    const a = new Aggregator({ key: 'string', offload: true });
    record(a, { key: 'string' }, 0, 200);
    const path = fresh();
    a.save(path);
    expect(view(Aggregator.load(path), 'm')).toEqual(view(a, 'm'));
    a.close();
  });

  it('an aggregator shared between processes is refused with ENOTSUP', async () => {
    const name = `tophash-snap-${process.pid}`;
    const a = new Aggregator({ key: 'u64', shared: { name, flushMs: 0 } });
    try {
      a.record(1, 1);
      expect(() => a.save(fresh())).toThrow(expect.objectContaining({ code: 'ENOTSUP' }));
      await expect(a.saveAsync(fresh())).rejects.toMatchObject({ code: 'ENOTSUP' });
    } finally {
      a.close();
      Aggregator.unlinkShared(name);
    }
  });

  it('a recorder from attach() is refused with ENOTSUP; a closed one throws as every method does', () => {
    const a = new Aggregator({ key: 'u64', offload: true });
    const rec = Aggregator.attach(a.share());
    expect(() => rec.save(fresh())).toThrow(expect.objectContaining({ code: 'ENOTSUP' }));
    rec.close();
    a.close();
    expect(() => a.save(fresh())).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
  });

  it('checks its arguments, and names another kind of file and damage', () => {
    const a = new Aggregator({ key: 'u64', hist: { log2: {} } });
    record(a, { key: 'u64' }, 0, 50);
    const path = fresh();
    a.save(path);
    expect(() => a.save('')).toThrow(RangeError);
    expect(() => Aggregator.load(path, { seed: 1 } as never)).toThrow(/received 'seed'/);
    expect(() => Aggregator.load(path, { match: 'nope' as never })).toThrow(RangeError);
    expect(() => Aggregator.load(fresh())).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => U64Map.load(path)).toThrow(expect.objectContaining({ code: 'ERR_SNAPSHOT_KIND' }));
    const u64 = fresh();
    new U64Map().save(u64);
    expect(() => Aggregator.load(u64)).toThrow(expect.objectContaining({ code: 'ERR_SNAPSHOT_KIND' }));

    const damaged = (change: (s: SnapshotBytes) => SnapshotBytes, code: string, message: RegExp): void => {
      const s = change(SnapshotBytes.read(path));
      const out = fresh();
      s.write(out);
      let caught: { code?: string; message?: string } = {};
      try {
        Aggregator.load(out);
      } catch (err) {
        caught = err as typeof caught;
      }
      expect(caught.code).toBe(code);
      expect(caught.message).toMatch(message);
      expect(caught.message).toContain(out);
    };
    const bytes = SnapshotBytes.read(path).bytes;
    damaged(
      (s) => new SnapshotBytes(s.bytes.subarray(0, bytes.length - 3)),
      'ERR_SNAPSHOT_TRUNCATED',
      /'entries' section/,
    );
    damaged((s) => s.flip(s.section(1).offset + 70), 'ERR_SNAPSHOT_CORRUPT', /'entries' section .* fails its checksum/);
    damaged((s) => s.flip(s.section(0).offset + 2), 'ERR_SNAPSHOT_CORRUPT', /'options' section .* fails its checksum/);
    damaged((s) => s.setU32(8, 9), 'ERR_SNAPSHOT_VERSION', /format version 9/);
    damaged((s) => s.setU32(12, 0x04030201), 'ERR_SNAPSHOT_ENDIAN', /other byte order/);
    // Re-sealed: options that disagree with the header, and options an Aggregator refuses.
    const edit = (s: SnapshotBytes, text: string): SnapshotBytes => {
      const { offset, length } = s.section(0);
      const json = new TextEncoder().encode(text.padEnd(length, ' '));
      s.bytes.set(json.subarray(0, length), offset);
      return s.sealSection(0);
    };
    damaged(
      (s) => edit(s, '{"key":"string","hist":{"log2":{"k":0}}}'),
      'ERR_SNAPSHOT_CORRUPT',
      /disagrees with its options/,
    );
    damaged(
      (s) => edit(s, '{"key":"u64","hist":{"log2":{"k":99}}}'),
      'ERR_SNAPSHOT_CORRUPT',
      /options an Aggregator refuses/,
    );
    damaged((s) => edit(s, '[1,2,3]'), 'ERR_SNAPSHOT_CORRUPT', /not an Aggregator's options/);
    // 2^40 entries declared: refused before anything is allocated.
    damaged((s) => s.setU64(48, 2n ** 40n).sealHeader(), 'ERR_SNAPSHOT_CORRUPT', /declares 1099511627776 entries/);
  });
});
