// ttl: a series not updated for ttl ms is gone from the next read; handles
// keep working and create it again, a counter from 0. Time is vitest's fake
// clock (Date and the timer that refreshes the metrics' coarse clock).
import * as client from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Counter, Gauge, Histogram, Registry, Summary } from '../src/prom';
import { seriesKey, storedSamples } from './exposition-parser';

const TTL = 1000;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  client.register.clear();
});

function sample(text: string, name: string, labels: Record<string, string>): number | string | undefined {
  return storedSamples(text).get(`${name} ${seriesKey(labels)} `);
}

describe('ttl on a Counter', () => {
  it('removes a series idle for ttl before the next read; its handle re-creates it from 0', async () => {
    const c = new Counter({ name: 'jobs_total', help: 'Jobs', labelNames: ['queue'], ttl: TTL });
    const idle = c.labels('idle');
    idle.inc(5);
    c.inc({ queue: 'busy' }, 2);
    for (let t = 0; t < 4; t++) {
      vi.advanceTimersByTime(TTL / 2);
      c.inc({ queue: 'busy' });
    }
    expect((await c.get()).values).toEqual([{ value: 6, labels: { queue: 'busy' } }]);
    idle.inc();
    expect((await c.get()).values).toEqual([
      { value: 6, labels: { queue: 'busy' } },
      { value: 1, labels: { queue: 'idle' } },
    ]);
  });

  it('keeps a series until ttl has passed since its last update, however the clock ticks', async () => {
    const c = new Counter({ name: 'jobs_total', help: 'Jobs', labelNames: ['queue'], ttl: TTL });
    vi.advanceTimersByTime(3); // off the refresh timer's phase
    c.inc({ queue: 'a' });
    vi.advanceTimersByTime(TTL);
    expect((await c.get()).values).toHaveLength(1);
    vi.advanceTimersByTime(TTL);
    expect((await c.get()).values).toHaveLength(0);
  });

  it('expires an unlabelled counter too, which then restarts from 0', async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'ticks_total', help: 'Ticks', ttl: TTL, registers: [registry] });
    c.inc(3);
    vi.advanceTimersByTime(2 * TTL);
    expect(sample(await registry.metrics(), 'ticks_total', {})).toBeUndefined();
    c.inc();
    expect(sample(await registry.metrics(), 'ticks_total', {})).toBe(1);
  });
});

describe('ttl on a Gauge', () => {
  it('removes an idle series from the text; set() through a handle brings it back', async () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'depth', help: 'Depth', labelNames: ['queue'], ttl: TTL, registers: [registry] });
    const child = g.labels('a');
    child.set(4);
    g.set({ queue: 'b' }, 1);
    vi.advanceTimersByTime(TTL / 2);
    g.inc({ queue: 'b' });
    vi.advanceTimersByTime(TTL);
    let text = await registry.metrics();
    expect(sample(text, 'depth', { queue: 'a' })).toBeUndefined();
    expect(sample(text, 'depth', { queue: 'b' })).toBe(2);
    child.inc();
    text = await registry.metrics();
    expect(sample(text, 'depth', { queue: 'a' })).toBe(1);
  });
});

describe('ttl on a Summary', () => {
  it('removes an idle series and frees its window; observing re-creates it empty', async () => {
    const registry = new Registry({ selfMetrics: true });
    const s = new Summary({
      name: 'rpc_seconds',
      help: 'RPC',
      labelNames: ['route'],
      percentiles: [0.5],
      ttl: TTL,
      registers: [registry] as Registry[],
    });
    const idle = s.labels('/idle');
    idle.observe(7);
    idle.observe(9);
    for (let t = 0; t < 4; t++) {
      vi.advanceTimersByTime(TTL / 2);
      s.observe({ route: '/busy' }, 1);
    }
    let text = await registry.metrics();
    expect(sample(text, 'rpc_seconds_count', { route: '/idle' })).toBeUndefined();
    expect(sample(text, 'rpc_seconds_count', { route: '/busy' })).toBe(4);
    expect(sample(text, 'tophash_expired_series_total', { metric: 'rpc_seconds' })).toBe(1);
    expect(sample(text, 'tophash_series', { metric: 'rpc_seconds' })).toBe(1);
    idle.observe(100);
    text = await registry.metrics();
    // Re-created empty: the earlier 7 and 9 are not in its count, sum or quantiles.
    expect(sample(text, 'rpc_seconds_count', { route: '/idle' })).toBe(1);
    expect(sample(text, 'rpc_seconds_sum', { route: '/idle' })).toBe(100);
    expect(Number(sample(text, 'rpc_seconds', { route: '/idle', quantile: '0.5' }))).toBeCloseTo(100, 0);
  });
});

describe('ttl on a Histogram', () => {
  for (const offload of [false, true]) {
    it(`removes an idle series and its aggregate; observing re-creates it empty${offload ? ' (offload)' : ''}`, async () => {
      const registry = new Registry();
      const h = new Histogram({
        name: 'latency_seconds',
        help: 'Latency',
        labelNames: ['route'],
        buckets: [1],
        ttl: TTL,
        offload,
        registers: [registry],
      });
      const idle = h.labels('/idle');
      idle.observe(0.5);
      idle.observe(0.5);
      h.observe({ route: '/busy' }, 2);
      vi.advanceTimersByTime(TTL / 2);
      h.observe({ route: '/busy' }, 2); // the compiled hot path stamps too
      vi.advanceTimersByTime(TTL);
      let text = await registry.metrics();
      expect(sample(text, 'latency_seconds_count', { route: '/idle' })).toBeUndefined();
      expect(sample(text, 'latency_seconds_count', { route: '/busy' })).toBe(2);
      idle.observe(3);
      text = await registry.metrics();
      expect(sample(text, 'latency_seconds_count', { route: '/idle' })).toBe(1);
      expect(sample(text, 'latency_seconds_sum', { route: '/idle' })).toBe(3);
      const json = await h.get();
      expect(json.values.filter((v) => v.metricName === 'latency_seconds_count')).toHaveLength(2);
    });
  }

  it('expires the overflow series like any other', async () => {
    const registry = new Registry();
    const h = new Histogram({
      name: 'h',
      help: 'h',
      labelNames: ['k'],
      buckets: [1],
      maxSeries: 1,
      ttl: TTL,
      registers: [registry],
    });
    h.observe({ k: 'a' }, 1);
    h.observe({ k: 'b' }, 1);
    expect(await registry.metrics()).toContain('otel_metric_overflow="true"');
    for (let t = 0; t < 4; t++) {
      vi.advanceTimersByTime(TTL / 2);
      h.observe({ k: 'a' }, 1);
    }
    expect(await registry.metrics()).not.toContain('otel_metric_overflow');
    h.observe({ k: 'b' }, 5);
    const text = await registry.metrics();
    expect(sample(text, 'h_count', { otel_metric_overflow: 'true' })).toBe(1);
    expect(h.overflowEvents).toBe(2);
  });
});

describe('ttl with shared', () => {
  it('throws at construction', () => {
    expect(() => new Counter({ name: 'c', help: 'c', ttl: TTL, shared: { name: 'x' } })).toThrow(
      'Expected no ttl on a metric shared between processes (a process can expire only its own part of a series, and the merged value would go down) for config.ttl but received 1000',
    );
  });
});
