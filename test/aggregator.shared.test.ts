// An Aggregator shared between processes through a named shared-memory
// segment: 3 child processes and this one record into it and every process
// reads the merged view (checked against a plain JS computation, per key and
// histogram kind); a child SIGKILLed while recording leaves every event of
// its last completed flush counted; a damaged, truncated or foreign segment
// is refused with an error naming what is wrong.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { Aggregator, histogramLayout, type AggKey, type HistSpec } from '../src/index';

const entry = path.join(__dirname, '..', 'dist', 'src', 'index.js');
const onLinux = process.platform === 'linux';
let counter = 0;
const names: string[] = [];
function segmentName(): string {
  const name = `tophash-test-${process.pid}-${++counter}`;
  names.push(name);
  return name;
}
afterEach(() => {
  for (const n of names.splice(0)) Aggregator.unlinkShared(n);
});

// Child processes run this file's sibling script from a string (node -e), using the built package.
const childSource = `
const { Aggregator } = require(process.env.TOPHASH_ENTRY);
const job = JSON.parse(process.env.TOPHASH_JOB);
function stream(id, n, kind, each) {
  let seed = id * 7919 + 17;
  const rnd = (m) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % m);
  for (let i = 0; i < n; i++) {
    const k = rnd(40);
    const key = kind === 'u64' ? (k < 30 ? k : 2 ** 40 + k) : kind === 'string' ? '/r' + (k % 7) + 'é' : { route: '/x' + (k % 5), code: k % 3 };
    each(key, rnd(5000) / 8 - 100, i);
  }
}
const agg = new Aggregator({ key: job.spec, hist: job.hist, shared: { name: job.name, flushMs: 0 } });
if (job.mode === 'kill') {
  // Flush every 1000 events and tell the parent how many are acknowledged; it kills us mid-stream.
  let n = 0;
  const h = agg.handle(1);
  for (;;) {
    h.record(1);
    if (++n % 1000 === 0) { agg.flush(); process.send(n); }
  }
}
stream(job.id, job.n, job.kind, (key, v, i) => { agg.record(key, v); if (i % 997 === 0) agg.flush(); });
agg.close();
`;

function child(job: Record<string, unknown>): ChildProcess {
  return spawn(process.execPath, ['-e', childSource], {
    env: { ...process.env, TOPHASH_ENTRY: entry, TOPHASH_JOB: JSON.stringify(job) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** What f throws (it must throw). */
function thrown(f: () => unknown): { code?: string; message: string } {
  try {
    f();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a throw');
}

function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => p.once('exit', (code) => resolve(code)));
}

function stream(id: number, n: number, kind: string, each: (key: AggKey, v: number) => void): void {
  let seed = id * 7919 + 17;
  const rnd = (m: number): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % m;
  for (let i = 0; i < n; i++) {
    const k = rnd(40);
    const key: AggKey =
      kind === 'u64'
        ? k < 30
          ? k
          : 2 ** 40 + k
        : kind === 'string'
          ? `/r${k % 7}é`
          : { route: `/x${k % 5}`, code: k % 3 };
    each(key, rnd(5000) / 8 - 100);
  }
}

describe.runIf(onLinux).each([
  { kind: 'u64', spec: 'u64' as const, hist: { log2: { k: 2 } } as HistSpec },
  { kind: 'string', spec: 'string' as const, hist: { linear: { min: -100, max: 600, step: 50 } } as HistSpec },
  { kind: 'labels', spec: { labels: ['route', 'code'] }, hist: { buckets: [0, 50, 300] } as HistSpec },
  { kind: 'u64', spec: 'u64' as const, hist: undefined },
])('3 child processes and this one sharing $kind keys', ({ kind, spec, hist }) => {
  it('every process reads the merged view, equal to a JS computation', async () => {
    const name = segmentName();
    const agg = new Aggregator<AggKey>({ key: spec, hist, shared: { name, flushMs: 0 } });
    const n = 5000;
    const children = [0, 1, 2].map((id) => child({ id, n, kind, spec, hist, name }));
    stream(3, n, kind, (key, v) => agg.record(key, v));
    expect(await Promise.all(children.map(exited))).toEqual([0, 0, 0]);

    const layout = hist === undefined ? undefined : histogramLayout(hist);
    const want = new Map<string, { count: number; sum: number; min: number; max: number; hist: number[] }>();
    const id = (key: AggKey): string => (typeof key === 'object' ? JSON.stringify(key) : String(key));
    for (let p = 0; p <= 3; p++) {
      stream(p, n, kind, (key, v) => {
        let e = want.get(id(key));
        if (e === undefined) {
          e = { count: 0, sum: 0, min: Infinity, max: -Infinity, hist: new Array<number>(layout?.size ?? 0).fill(0) };
          want.set(id(key), e);
        }
        e.count++;
        e.sum += v;
        e.min = Math.min(e.min, v);
        e.max = Math.max(e.max, v);
        if (layout) e.hist[layout.index(v)]++;
      });
    }
    expect(agg.size).toBe(want.size);
    let events = 0;
    for (const [key, got] of agg.entries()) {
      const normal =
        kind === 'labels'
          ? { route: (key as { route: string }).route, code: Number((key as { code: string }).code) }
          : key;
      const e = want.get(id(normal));
      expect(e, `key ${id(normal)}`).toBeDefined();
      expect(got.count).toBe(e!.count);
      expect(got.sum).toBeCloseTo(e!.sum, 6);
      expect(got.min).toBe(e!.min);
      expect(got.max).toBe(e!.max);
      if (layout) expect(Array.from(got.hist!)).toEqual(e!.hist);
      events += got.count;
    }
    expect(events).toBe(4 * n);
    // A second reader process sees the same text.
    const reader = new Aggregator<AggKey>({ key: spec, hist, shared: { name } });
    const opts = { name: 'm', help: 'h' };
    expect(await reader.toPrometheusAsync(opts)).toBe(agg.toPrometheus(opts));
    reader.close();
    agg.close();
  });
});

describe.runIf(onLinux)('faults', () => {
  it('a child killed with SIGKILL mid-stream leaves every event of its last flush counted', async () => {
    const name = segmentName();
    const agg = new Aggregator<number>({ key: 'u64', shared: { name, flushMs: 0 } });
    const p = child({ mode: 'kill', spec: 'u64', name });
    let acknowledged = 0;
    await new Promise<void>((resolve) => {
      p.on('message', (m) => {
        acknowledged = m as number;
        if (acknowledged >= 50000) {
          p.kill('SIGKILL');
          resolve();
        }
      });
    });
    expect(await exited(p)).toBe(null);
    const count = agg.get(1)!.count;
    // Flushes happen every 1000 events; the child may have completed more after its last message.
    expect(count % 1000).toBe(0);
    expect(count).toBeGreaterThanOrEqual(acknowledged);
    // Its shard is adopted by the next process, still counted once.
    const next = new Aggregator<number>({ key: 'u64', shared: { name } });
    expect(agg.get(1)!.count).toBe(count);
    next.record(1, 1);
    next.flush();
    expect(agg.get(1)!.count).toBe(count + 1);
    next.close();
    agg.close();
  });

  const shmPath = (name: string): string => `/dev/shm/${name}`;

  it('a damaged header, a wrong version and a truncated file are clear errors', () => {
    const name = segmentName();
    new Aggregator({ key: 'string', shared: { name } }).close();
    const good = fs.readFileSync(shmPath(name));
    const open = (): unknown => new Aggregator({ key: 'string', shared: { name } });

    const version = Buffer.from(good);
    version.writeUInt32LE(99, 8);
    fs.writeFileSync(shmPath(name), version);
    expect(thrown(open)).toMatchObject({
      code: 'ERR_SEGMENT_VERSION',
      message: expect.stringMatching(/layout version 99/) as string,
    });

    const damaged = Buffer.from(good);
    damaged[60] ^= 0xff; // the shard count, under the checksum
    fs.writeFileSync(shmPath(name), damaged);
    expect(thrown(open)).toMatchObject({
      code: 'ERR_SEGMENT_CORRUPT',
      message: expect.stringMatching(/damaged/) as string,
    });

    const foreign = Buffer.from(good);
    foreign.write('notours!', 0, 'latin1');
    fs.writeFileSync(shmPath(name), foreign);
    expect(thrown(open)).toMatchObject({
      code: 'ERR_SEGMENT_CORRUPT',
      message: expect.stringMatching(/not a tophash segment/) as string,
    });

    fs.writeFileSync(shmPath(name), good.subarray(0, good.length - 4096));
    expect(open).toThrow(expect.objectContaining({ code: 'ERR_SEGMENT_TRUNCATED' }));
    fs.writeFileSync(shmPath(name), good.subarray(0, 100));
    expect(open).toThrow(expect.objectContaining({ code: 'ERR_SEGMENT_TRUNCATED' }));

    fs.writeFileSync(shmPath(name), good);
    expect(thrown(() => new Aggregator({ key: 'u64', shared: { name } }))).toMatchObject({
      code: 'ERR_SEGMENT_SPEC',
      message: expect.stringMatching(/key kind differs/) as string,
    });
    expect(thrown(() => new Aggregator({ key: 'string', hist: { log2: {} }, shared: { name } }))).toMatchObject({
      code: 'ERR_SEGMENT_SPEC',
      message: expect.stringMatching(/histogram differs/) as string,
    });
    const ok = new Aggregator<string>({ key: 'string', shared: { name } });
    ok.record('a', 1);
    expect(ok.get('a')?.count).toBe(1);
    ok.close();
  });

  it('refuses bad names and per-process mutations, and unlinks', () => {
    expect(() => new Aggregator({ key: 'u64', shared: { name: 'a/b' } })).toThrow(/options\.shared\.name/);
    expect(() => new Aggregator({ key: 'u64', shared: { name: '' } })).toThrow(/options\.shared\.name/);
    expect(() => Aggregator.unlinkShared('..')).toThrow(/letter or digit/);
    const name = segmentName();
    const agg = new Aggregator<number>({ key: 'u64', shared: { name } });
    agg.record(1, 1);
    for (const f of [() => agg.clear(), () => agg.delete(1), () => agg.zero(), () => agg.lookupAndDeleteBatch()]) {
      expect(f).toThrow(expect.objectContaining({ code: 'ENOTSUP' }));
    }
    agg.close();
    expect(Aggregator.unlinkShared(name)).toBe(true);
    expect(Aggregator.unlinkShared(name)).toBe(false);
  });
});
