// The addon in worker_threads: it loads in several workers at once, each with
// its own maps, and a map handed to another thread is refused with a DataCloneError.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { Aggregator, BpfMap, kernels, StrMap, U64Map } from '../src/index';

const entry = path.join(__dirname, '..', 'dist', 'src', 'index.js');

// Each worker runs random single and batch ops against its own map and a JS
// Map, with a kernel pair of its own, and reports what it checked.
const hammer = `
const { parentPort, workerData } = require('node:worker_threads');
const { U64Map } = require(workerData.entry);
let seed = workerData.id * 7919 + 1;
const rnd = (n) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
const m = new U64Map({ match: workerData.match });
const oracle = new Map();
for (let round = 0; round < 200; round++) {
  const n = 1 + rnd(500);
  const keys = new Float64Array(n), values = new Float64Array(n);
  for (let i = 0; i < n; i++) { keys[i] = rnd(20000); values[i] = rnd(1000); oracle.set(keys[i], values[i]); }
  m.setBatch(keys, values);
  for (let i = 0; i < 50; i++) { const k = rnd(20000); if (m.delete(k) !== oracle.delete(k)) throw new Error('delete mismatch'); }
  const out = new Float64Array(n);
  m.getBatch(keys, out);
  for (let i = 0; i < n; i++) {
    const want = oracle.get(keys[i]);
    if (!(want === undefined ? Number.isNaN(out[i]) : out[i] === want)) throw new Error('get mismatch');
  }
}
if (m.size !== oracle.size) throw new Error('size mismatch');
let count = 0; for (const [k, v] of m) { if (oracle.get(k) !== v) throw new Error('iteration mismatch'); count++; }
parentPort.postMessage({ id: workerData.id, size: m.size, count, match: m.stats().match });
m.close();
`;

function runWorker(id: number, match: string): Promise<{ id: number; size: number; count: number; match: string }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(hammer, { eval: true, workerData: { id, entry, match } });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`worker ${id} exited with ${code}`)));
  });
}

// Each worker drives an Aggregator (label keys, Prometheus buckets, handles
// and keyed records mixed), a StrMap and an lru BpfMap of its own, checking
// each against a plain JS computation.
const hammerAggregators = `
const { parentPort, workerData } = require('node:worker_threads');
const { Aggregator, StrMap, BpfMap } = require(workerData.entry);
let seed = workerData.id * 104729 + 3;
const rnd = (n) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
const agg = new Aggregator({ key: { labels: ['route', 'code'] }, hist: { buckets: [1, 5, 10] }, batchSize: 64 });
const want = new Map();
const handles = new Map();
for (let i = 0; i < 20000; i++) {
  const route = '/r' + rnd(20), code = String(200 + rnd(3)), v = rnd(20);
  const k = route + '|' + code;
  const w = want.get(k) || { count: 0, sum: 0 };
  w.count++; w.sum += v; want.set(k, w);
  if (i % 2) agg.record({ route, code }, v);
  else {
    let h = handles.get(k);
    if (!h) handles.set(k, (h = agg.handle([route, code])));
    h.record(v);
  }
}
for (const [k, w] of want) {
  const [route, code] = k.split('|');
  const got = agg.get({ route, code });
  if (!got || got.count !== w.count || got.sum !== w.sum) throw new Error('aggregate mismatch for ' + k);
}
const s = new StrMap();
const oracle = new Map();
for (let i = 0; i < 5000; i++) { const k = 'k' + rnd(3000); s.set(k, i); oracle.set(k, i); }
for (const [k, v] of oracle) if (s.get(k) !== v) throw new Error('StrMap mismatch');
const b = new BpfMap({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 100 });
const key = new Uint8Array(4), value = new Uint8Array(8);
for (let i = 0; i < 5000; i++) { new DataView(key.buffer).setUint32(0, rnd(1000)); value[0] = i; b.update(key, value); }
if (b.size > 100) throw new Error('BpfMap over maxEntries');
parentPort.postMessage({ id: workerData.id, series: agg.size, strSize: s.size, bpfSize: b.size });
agg.close(); s.close(); b.close();
`;

describe('worker_threads', () => {
  it('4 workers hammer their own maps at once and each stays consistent', async () => {
    const supported = kernels()
      .filter((k) => k.kind === 'match' && k.supported)
      .map((k) => k.name);
    const matches = [0, 1, 2, 3].map((i) => supported[i % supported.length]);
    const results = await Promise.all(matches.map((match, id) => runWorker(id, match)));
    for (const r of results) {
      expect(r.count).toBe(r.size);
      expect(r.size).toBeGreaterThan(1000);
    }
    expect(results.map((r) => r.match)).toEqual(matches);
  });

  it('4 workers run their own aggregators, string maps and BPF maps at once', async () => {
    const results = await Promise.all(
      [0, 1, 2, 3].map(
        (id) =>
          new Promise<{ id: number; series: number; strSize: number; bpfSize: number }>((resolve, reject) => {
            const w = new Worker(hammerAggregators, { eval: true, workerData: { id, entry } });
            w.once('message', resolve);
            w.once('error', reject);
            w.once('exit', (code) => code !== 0 && reject(new Error(`worker ${id} exited with ${code}`)));
          }),
      ),
    );
    for (const r of results) {
      expect(r.series).toBe(60);
      expect(r.strSize).toBeGreaterThan(1000);
      expect(r.bpfSize).toBe(100);
    }
  });

  it.each([
    ['U64Map', () => new U64Map(), /post typed arrays of keys and values/],
    ['StrMap', () => new StrMap(), /post its keys and a Float64Array of values/],
    [
      'BpfMap',
      () => new BpfMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 }),
      /post the keys and values of lookupBatch\(\)/,
    ],
    [
      'Aggregator',
      () => new Aggregator({ key: 'u64' }),
      /post aggregator\.share\(\) and call Aggregator\.attach\(token\)/,
    ],
  ] as const)(
    'posting or cloning a %s throws a DataCloneError that names it and the way instead',
    async (name, make, instead) => {
      const m = make();
      const w = new Worker('setTimeout(() => {}, 1000)', { eval: true });
      try {
        for (const send of [() => w.postMessage(m), () => structuredClone(m), () => w.postMessage({ nested: [m] })]) {
          let err: unknown;
          try {
            send();
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(DOMException);
          expect((err as DOMException).name).toBe('DataCloneError');
          expect((err as DOMException).message).toMatch(new RegExp(`^An? ${name} cannot be posted`));
          expect((err as DOMException).message).toMatch(instead);
        }
      } finally {
        await w.terminate();
        m.close();
      }
    },
  );
});
