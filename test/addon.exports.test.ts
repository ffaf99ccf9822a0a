// What tophash.node exports is the engine and nothing else: the test and
// benchmark hooks live in tophash_hooks.node, and the native string packers
// (which lost to the JS packer in every measurement) are gone.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

import { loadHooks, native } from '../src/runtime/native';
import * as strpack from '../src/runtime/strpack';

const builtNative = path.join(__dirname, '..', 'dist', 'src', 'runtime', 'native.js');
const hooks = ['dropPageCache', 'emptyCall', 'externalMemory', 'memoryFloor', 'recordGcPauses', 'takeGcPauses'];
const removed = ['packStrings', 'packJoined'];

describe('addon exports', () => {
  it('tophash.node exports no test or benchmark hook and no string packer', () => {
    const names = Object.keys(native);
    for (const name of [...hooks, ...removed]) expect(names, name).not.toContain(name);
    expect(names).toEqual(
      expect.arrayContaining([
        'U64Map',
        'MappedU64Map',
        'StrMap',
        'BpfMap',
        'Aggregator',
        'SummarySketches',
        'mapGet',
        'mappedGet',
        'strGet',
        'hashBytes',
      ]),
    );
  });

  it('tophash_hooks.node exports the hooks and works beside tophash.node', () => {
    const h = loadHooks();
    expect(Object.keys(h).sort()).toEqual(hooks);
    const before = h.externalMemory();
    const m = new native.U64Map(1000, 1n, undefined, undefined);
    expect(h.externalMemory() - before).toBe(m.stats().bytes);
    m.close();
    expect(h.externalMemory()).toBe(before);
    expect(h.emptyCall({ a: 1 }, 2n)).toBeUndefined();
  });

  it("a growing map's report to V8 stays within an eighth of stats().bytes, moving once per doubling or so", () => {
    // In a child: no other map's finalizer may move V8's total meanwhile.
    const script = `
      const { native, loadHooks } = require(${JSON.stringify(builtNative)});
      const h = loadHooks();
      const before = h.externalMemory();
      const m = new native.U64Map(undefined, 1n, undefined, undefined);
      let last = h.externalMemory() - before;
      const out = { first: last === m.stats().bytes, worst: 0, reports: 0, sizes: 0 };
      const seen = new Set();
      for (let k = 1; k <= 300000; k++) {
        native.mapSet(m.handle, k * 7919, 1);
        const reported = h.externalMemory() - before;
        const bytes = m.stats().bytes;
        seen.add(bytes);
        out.worst = Math.max(out.worst, Math.abs(reported - bytes) / Math.max(last, reported));
        if (reported !== last) out.reports++;
        last = reported;
      }
      out.sizes = seen.size;
      m.close();
      out.closed = h.externalMemory() - before;
      console.log(JSON.stringify(out));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as {
      first: boolean;
      worst: number;
      reports: number;
      sizes: number;
      closed: number;
    };
    expect(out.first).toBe(true);
    expect(out.worst).toBeLessThanOrEqual(1 / 8);
    // 300,000 keys: ~15 doublings from an empty map (a report each, and a few as the old arrays are handed back), and many more sizes in between.
    expect(out.sizes).toBeGreaterThan(2 * out.reports);
    expect(out.reports).toBeLessThanOrEqual(64);
    expect(out.closed).toBe(0);
  });

  it('recordGcPauses/takeGcPauses: each collection once, inside the calls that caused it, on hrtime', () => {
    const h = loadHooks();
    setFlagsFromString('--expose-gc'); // for contexts made from now on
    const gc = runInNewContext('gc') as () => void;
    h.recordGcPauses();
    const before = Number(process.hrtime.bigint());
    gc();
    const between = Number(process.hrtime.bigint());
    gc();
    const after = Number(process.hrtime.bigint());
    const pauses = h.takeGcPauses();
    expect(pauses).toBeInstanceOf(Float64Array);
    expect(pauses.length).toBe(4);
    expect(pauses[0]).toBeGreaterThanOrEqual(before);
    expect(pauses[1]).toBeGreaterThanOrEqual(pauses[0]);
    expect(pauses[1]).toBeLessThanOrEqual(between);
    expect(pauses[2]).toBeGreaterThanOrEqual(between);
    expect(pauses[3]).toBeLessThanOrEqual(after);
    gc();
    expect(h.takeGcPauses().length).toBe(0);
  });

  it('dropPageCache says how much of a file stayed cached, and names a file it cannot open', () => {
    const h = loadHooks();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tophash-hooks-'));
    try {
      const file = path.join(dir, 'f');
      fs.writeFileSync(file, Buffer.alloc(1 << 20, 1));
      const resident = h.dropPageCache(file);
      expect(resident === -1 || (resident >= 0 && resident <= 1)).toBe(true);
      expect(() => h.dropPageCache(path.join(dir, 'missing'))).toThrow(/Could not open '.*missing'/);
      expect(() => h.dropPageCache(1 as unknown as string)).toThrow(TypeError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a map served from its snapshot reports no off-heap memory to V8: the pages are the page cache', () => {
    const h = loadHooks();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tophash-hooks-'));
    try {
      const file = path.join(dir, 'm.thm');
      const m = new native.U64Map(100_000, 1n, undefined, undefined);
      m.save(file);
      m.close();
      const before = h.externalMemory();
      const opened = new native.MappedU64Map(undefined, undefined, file);
      expect(opened.stats().bytes).toBe(fs.statSync(file).size);
      expect(h.externalMemory()).toBe(before);
      opened.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the string packer has no switch', () => {
    expect(Object.keys(strpack)).not.toContain('setStringPacker');
    expect(Object.keys(strpack)).not.toContain('STRING_PACKERS');
  });
});
