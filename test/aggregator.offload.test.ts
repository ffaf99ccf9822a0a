// The offloaded Aggregator on one thread: the offload thread exists only
// while an offloaded aggregator is open, a full ring drops (counted exactly)
// or flushes (nothing lost), reads see a burst recorded just before them,
// the async scrape equals the sync one, and the options and tokens are checked.
import * as fs from 'node:fs';

import { describe, expect, it } from 'vitest';

import { Aggregator, type AggregatorToken, type LabelKey } from '../src/index';
import { Histogram, Registry } from '../src/prom';

const onLinux = process.platform === 'linux';
const threadCount = (): number => fs.readdirSync('/proc/self/task').length;

describe('offload thread', () => {
  it.runIf(onLinux)('starts with the first offloaded aggregator and stops with the last', () => {
    const before = threadCount();
    const inline = new Aggregator({ key: 'u64' });
    expect(threadCount()).toBe(before);
    const a = new Aggregator({ key: 'u64', offload: true });
    expect(threadCount()).toBe(before + 1);
    const b = new Aggregator({ key: 'string', offload: true });
    expect(threadCount()).toBe(before + 1);
    a.close();
    expect(threadCount()).toBe(before + 1);
    b.close();
    expect(threadCount()).toBe(before);
    inline.close();
  });
});

describe('a full ring', () => {
  it("'drop' counts exactly the events it did not aggregate", () => {
    const agg = new Aggregator<number>({ key: 'u64', offload: true, ringSize: 16, onRingFull: 'drop' });
    const h = agg.handle(1);
    const n = 200000;
    for (let i = 0; i < n; i++) h.record(1);
    for (let i = 0; i < 1000; i++) agg.record(2, 1);
    const s = agg.stats();
    const got = (agg.get(1)?.count ?? 0) + (agg.get(2)?.count ?? 0);
    expect(s.dropped).toBeGreaterThan(0);
    expect(got + s.dropped).toBe(n + 1000);
    expect(s.flushed).toBe(n + 1000);
    agg.close();
  });

  it("'flush' aggregates on the recording thread and loses nothing", () => {
    const agg = new Aggregator<string>({ key: 'string', offload: true, ringSize: 16 });
    const n = 100000;
    for (let i = 0; i < n; i++) agg.record(i % 2 === 0 ? 'even' : 'odd', i);
    expect(agg.get('even')?.count).toBe(n / 2);
    expect(agg.get('odd')?.max).toBe(n - 1);
    expect(agg.stats().dropped).toBe(0);
    agg.close();
  });
});

describe('reads', () => {
  it('see every event of a burst recorded just before them (read-your-writes)', () => {
    const agg = new Aggregator<LabelKey>({ key: { labels: ['route'] }, offload: true, hist: { log2: {} } });
    const h = agg.handle({ route: '/a' });
    for (let round = 1; round <= 20; round++) {
      for (let i = 0; i < 5000; i++) h.record(i);
      expect(agg.get({ route: '/a' })?.count).toBe(round * 5000);
      expect(agg.stats().staged).toBe(0);
    }
    for (let i = 0; i < 777; i++) agg.record({ route: '/b' }, 1);
    expect([...agg.entries()].find(([k]) => (k as Record<string, string>).route === '/b')?.[1].count).toBe(777);
    expect(agg.lookupBatch().count).toBe(2);
    expect(agg.toPrometheus({ name: 'x', help: 'h' })).toContain('x_count{route="/b"} 777');
    agg.close();
  });

  it('toPrometheusAsync renders what toPrometheus renders, offloaded or not', async () => {
    for (const offload of [false, true]) {
      const agg = new Aggregator<LabelKey>({ key: { labels: ['r', 'c'] }, offload, hist: { buckets: [1, 10] } });
      for (let i = 0; i < 3000; i++) agg.record({ r: `/r${i % 37}`, c: i % 3 }, i % 20);
      const text = await agg.toPrometheusAsync({ name: 'req', help: 'requests' });
      expect(text).toBe(agg.toPrometheus({ name: 'req', help: 'requests' }));
      expect(text).toContain('req_count{r="/r0",c="0"}');
      agg.close();
      await expect(agg.toPrometheusAsync({ name: 'req', help: 'requests' })).rejects.toMatchObject({
        code: 'ERR_CLOSED',
      });
    }
  });

  it('flushAsync drains the ring on the pool without making the aggregator busy', async () => {
    const agg = new Aggregator<number>({ key: 'u64', offload: true });
    for (let i = 0; i < 10000; i++) agg.record(i % 10, 1);
    const pending = agg.flushAsync();
    agg.record(3, 1); // no EBUSY while it runs
    await pending;
    expect(agg.get(3)?.count).toBe(1001);
    agg.close();
  });
});

describe('options and tokens', () => {
  it('rejects bad offload options naming them', () => {
    expect(() => new Aggregator({ key: 'u64', offload: 1 as unknown as boolean })).toThrow(
      /Expected a boolean for options\.offload but received/,
    );
    expect(() => new Aggregator({ key: 'u64', offload: true, ringSize: 100 })).toThrow(
      /power of two in \[16, 2\^24\] for options\.ringSize/,
    );
    expect(() => new Aggregator({ key: 'u64', offload: true, onRingFull: 'block' as 'drop' })).toThrow(
      /options\.onRingFull/,
    );
    expect(() => new Aggregator({ key: 'u64', syncTimeoutMs: -1 })).toThrow(/options\.syncTimeoutMs/);
  });

  it('share() needs offload; attach() checks the token', () => {
    const inline = new Aggregator({ key: 'u64' });
    expect(() => inline.share()).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    inline.close();
    const agg = new Aggregator({ key: 'u64', offload: true });
    const token = agg.share();
    expect(token).toMatchObject({ tophash: 'Aggregator.share', version: 1, pid: process.pid });
    expect(() => Aggregator.attach({} as AggregatorToken)).toThrow(TypeError);
    expect(() => Aggregator.attach({ ...token, pid: token.pid + 1 })).toThrow(/made in this process/);
    expect(() => Aggregator.attach({ ...token, version: 2 as 1 })).toThrow(/version 1/);
    // An attached recorder on the same thread works like one on a worker.
    const rec = Aggregator.attach<number>(token);
    rec.record(5, 2);
    expect(agg.get(5)?.sum).toBe(2);
    expect(rec.stats().offloaded).toEqual({ owner: false });
    rec.close();
    agg.record(5, 3);
    expect(agg.get(5)?.sum).toBe(5);
    agg.close();
    expect(() => Aggregator.attach(token)).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
  });
});

describe('tophash/prom Histogram with offload: true', () => {
  it('scrapes the same text as an inline one, rendered off the event loop', async () => {
    const texts: string[] = [];
    for (const offload of [false, true]) {
      const registry = new Registry();
      const h = new Histogram({
        name: 'req_seconds',
        help: 'h',
        labelNames: ['route'],
        buckets: [0.1, 1],
        registers: [registry],
        offload,
      });
      for (let i = 0; i < 5000; i++) h.observe({ route: `/r${i % 7}` }, (i % 13) / 10);
      h.labels('/x').observe(0.5);
      texts.push(await registry.metrics());
    }
    expect(texts[1]).toBe(texts[0]);
    expect(texts[1]).toContain('req_seconds_count{route="/x"} 1');
    expect(() => new Histogram({ name: 'bad', help: 'h', offload: 'yes' as unknown as boolean })).toThrow(
      /config\.offload/,
    );
  });
});
