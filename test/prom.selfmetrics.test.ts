// Registry({ selfMetrics: true }): series held, overflowed events, expired
// series and memory per tophash metric, in every way the registry renders,
// and valid for Prometheus' own checker (promtool, where installed).
import { spawnSync } from 'node:child_process';

import * as client from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Counter, Gauge, Histogram, Registry } from '../src/prom';
import { seriesKey, storedSamples } from './exposition-parser';

const haveProm = spawnSync('promtool', ['--version']).status === 0;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  client.register.clear();
});

function sample(text: string, name: string, metric: string): number | string | undefined {
  return storedSamples(text).get(`${name} ${seriesKey({ metric })} `);
}

/** A registry with one metric of each kind, limited and expiring, in a known state. */
function populated(registry: Registry<client.RegistryContentType>): void {
  const registers = [registry] as Registry[];
  const h = new Histogram({ name: 'latency_seconds', help: 'l', labelNames: ['route'], maxSeries: 2, registers });
  const c = new Counter({ name: 'jobs_total', help: 'j', labelNames: ['queue'], ttl: 1000, registers });
  const g = new Gauge({ name: 'depth', help: 'd', registers });
  for (const route of ['/a', '/b', '/c', '/d']) h.observe({ route }, 1); // 2 overflow
  h.labels('/e').observe(1); // 1 more
  c.inc({ queue: 'a' });
  c.inc({ queue: 'b' });
  vi.advanceTimersByTime(600);
  c.inc({ queue: 'a' });
  vi.advanceTimersByTime(600); // b expires at the next read
  g.set(1);
  // Not a tophash metric: not reported.
  new client.Counter({ name: 'plain_total', help: 'p', registers });
}

describe('Registry selfMetrics', () => {
  it('reports series, overflowed events, expired series and memory per tophash metric', async () => {
    const registry = new Registry({ selfMetrics: true });
    populated(registry);
    const text = await registry.metrics();
    expect(sample(text, 'tophash_series', 'latency_seconds')).toBe(3);
    expect(sample(text, 'tophash_series', 'jobs_total')).toBe(1);
    expect(sample(text, 'tophash_series', 'depth')).toBe(1);
    expect(sample(text, 'tophash_overflow_events_total', 'latency_seconds')).toBe(3);
    expect(sample(text, 'tophash_overflow_events_total', 'jobs_total')).toBe(0);
    expect(sample(text, 'tophash_expired_series_total', 'jobs_total')).toBe(1);
    expect(sample(text, 'tophash_expired_series_total', 'latency_seconds')).toBe(0);
    // The histogram's aggregator holds off-heap memory; every metric with series holds some heap.
    expect(sample(text, 'tophash_memory_bytes', 'latency_seconds')).toBeGreaterThan(1000);
    expect(sample(text, 'tophash_memory_bytes', 'depth')).toBeGreaterThan(0);
    expect(text).not.toContain('metric="plain_total"');
    expect(text).toContain('# TYPE tophash_overflow_events_total counter\n');
    expect(text).toContain('# TYPE tophash_series gauge\n');
  });

  it('takes the options as the second argument, and renders in OpenMetrics and JSON', async () => {
    const registry = new Registry(Registry.OPENMETRICS_CONTENT_TYPE, { selfMetrics: true });
    populated(registry);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE tophash_overflow_events counter\n');
    expect(text).toContain('tophash_overflow_events_total{metric="latency_seconds"} 3\n');
    const json = await registry.getMetricsAsJSON();
    const series = json.find((m) => m.name === 'tophash_series');
    expect(series?.values).toContainEqual({ value: 3, labels: { metric: 'latency_seconds' } });
  });

  it('is absent by default', async () => {
    const registry = new Registry();
    populated(registry);
    expect(await registry.metrics()).not.toContain('tophash_');
  });

  it.skipIf(!haveProm)('passes promtool check metrics', async () => {
    const registry = new Registry({ selfMetrics: true });
    populated(registry);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: await registry.metrics(), encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('rejects a selfMetrics that is not a boolean', () => {
    expect(() => new Registry({ selfMetrics: 'yes' as unknown as boolean })).toThrow(
      "Expected a boolean for options.selfMetrics but received string 'yes'",
    );
  });
});
