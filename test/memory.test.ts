// Memory: maps are freed at close() and when garbage-collected,
// V8's external-memory accounting follows them, and creating and dropping
// 10,000 maps brings RSS back near where it started. RSS is only meaningful
// in a fresh process with `gc` exposed, so the measuring runs in a child.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

const entry = path.join(__dirname, '..', 'dist', 'src', 'index.js');
const nativeEntry = path.join(__dirname, '..', 'dist', 'src', 'runtime', 'native.js');

// Prints one JSON line: RSS and V8's external total at the start, with
// 10,000 maps alive, and after dropping them (gc + finalizers).
const churn = `
const { U64Map, StrMap } = require(${JSON.stringify(entry)});
const hooks = require(${JSON.stringify(nativeEntry)}).loadHooks();
const MB = 1024 * 1024;
const settle = async () => {
  for (let i = 0; i < 20; i++) { gc(); await new Promise((r) => setImmediate(r)); }
};
(async () => {
  const mode = process.argv[1];
  const make = (i) => {
    const m = i % 2 ? new U64Map() : new StrMap();
    const n = 512; // ~24 KB of buckets a map: 10,000 of them hold ~240 MB
    if (m instanceof U64Map) {
      const keys = new Float64Array(n).map((_, j) => i * n + j);
      m.setBatch(keys, keys);
    } else {
      const keys = Array.from({ length: n }, (_, j) => 'key:' + (i * n + j));
      m.setBatch(keys, new Float64Array(n));
    }
    return m;
  };
  // One warm-up round so code, heap pages and allocator arenas exist at the start.
  for (const m of Array.from({ length: 500 }, (_, i) => make(i))) m.close();
  await settle();
  const start = { rss: process.memoryUsage().rss / MB, external: hooks.externalMemory() };
  let maps = Array.from({ length: 10000 }, (_, i) => make(i));
  const alive = { rss: process.memoryUsage().rss / MB, external: hooks.externalMemory(),
    bytes: maps.reduce((s, m) => s + m.stats().bytes, 0) };
  if (mode === 'close') for (const m of maps) m.close();
  maps = null;
  await settle();
  const end = { rss: process.memoryUsage().rss / MB, external: hooks.externalMemory() };
  console.log(JSON.stringify({ start, alive, end }));
})();
`;

interface Sample {
  rss: number;
  external: number;
}

function run(mode: 'close' | 'gc'): { start: Sample; alive: Sample & { bytes: number }; end: Sample } {
  const out = execFileSync(process.execPath, ['--expose-gc', '-e', churn, mode], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as never;
}

describe('memory', () => {
  it.each(['close', 'gc'] as const)('10,000 maps dropped via %s: RSS and external memory return', (mode) => {
    const { start, alive, end } = run(mode);
    // The maps really held memory, and V8 was told about every byte of it.
    // (V8's total also counts the ArrayBuffers of the key batches not yet collected.)
    const grown = alive.rss - start.rss;
    expect(alive.bytes).toBeGreaterThan(10000 * 16 * 1024);
    expect(alive.external - start.external).toBeGreaterThanOrEqual(alive.bytes);
    expect(alive.external - start.external).toBeLessThan(alive.bytes + 16 * 1024 * 1024);
    expect(grown).toBeGreaterThan(alive.bytes / (1024 * 1024) / 2);
    // Every map is gone: the accounting is back where it was, and RSS gave
    // back most of what the maps took (V8's heap keeps the pages it grew
    // into for the wrappers, ~15 MB; without malloc_trim nothing came back).
    expect(end.external).toBe(start.external);
    expect(end.rss - start.rss).toBeLessThan(grown * 0.3);
  });
});
