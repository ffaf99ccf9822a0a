// tophash/prom metrics created with `shared`: two sets of the same metrics
// (as two cluster workers would create them; here in one process, each with
// its own shard) render one merged exposition through ClusterRegistry.
import { afterAll, describe, expect, it } from 'vitest';

import { ClusterRegistry, Counter, Gauge, Histogram } from '../src/prom';

const onLinux = process.platform === 'linux';
const cluster = `tophash-test-cluster-${process.pid}`;
const names = ['req_seconds', 'req_total', 'busy', 'idle'];
afterAll(() => ClusterRegistry.unlinkShared(cluster, names));

function worker() {
  const registry = new ClusterRegistry();
  const shared = { name: cluster, flushMs: 0 };
  return {
    registry,
    latency: new Histogram({
      name: 'req_seconds',
      help: 'h',
      labelNames: ['route'],
      buckets: [0.1, 1],
      registers: [registry],
      shared,
    }),
    requests: new Counter({ name: 'req_total', help: 'c', labelNames: ['route'], registers: [registry], shared }),
    busy: new Gauge({ name: 'busy', help: 'g', registers: [registry], shared }),
    idle: new Gauge({ name: 'idle', help: 'g', registers: [registry], shared }),
  };
}

describe.runIf(onLinux)('ClusterRegistry', () => {
  it('renders every worker’s series merged, from either worker', async () => {
    const a = worker();
    const b = worker();
    a.latency.observe({ route: '/a' }, 0.05);
    a.latency.observe({ route: '/a' }, 0.5);
    b.latency.observe({ route: '/a' }, 2);
    b.latency.observe({ route: '/b' }, 0.01);
    a.requests.inc({ route: '/a' }, 2);
    b.requests.inc({ route: '/a' });
    b.requests.inc({ route: '/b' }, 5);
    a.busy.set(3);
    b.busy.inc(4);
    b.busy.dec(1);
    // A worker publishes its own series on each of its scrapes (and every flushMs, off here).
    await b.registry.clusterMetrics();
    for (const w of [a, b]) {
      const text = await w.registry.clusterMetrics();
      expect(text).toContain('req_seconds_count{route="/a"} 3');
      expect(text).toContain('req_seconds_bucket{route="/a",le="0.1"} 1');
      expect(text).toContain('req_seconds_bucket{route="/a",le="1"} 2');
      expect(text).toContain('req_seconds_count{route="/b"} 1');
      expect(text).toContain('req_total{route="/a"} 3');
      expect(text).toContain('req_total{route="/b"} 5');
      expect(text).toContain('busy 6');
      // An unlabelled metric nobody changed still has its one series.
      expect(text).toContain('idle 0');
    }
    // A later change replaces what was synced (a gauge is the sum of the workers' current values).
    a.busy.set(0);
    await a.registry.clusterMetrics();
    expect(await b.registry.clusterMetrics()).toContain('busy 3');
    expect((await a.requests.get()).values).toEqual(
      expect.arrayContaining([
        { value: 3, labels: { route: '/a' } },
        { value: 5, labels: { route: '/b' } },
      ]),
    );
    expect(() => a.requests.reset()).toThrow(expect.objectContaining({ code: 'ENOTSUP' }));
    expect(() => a.latency.remove({ route: '/a' })).toThrow(expect.objectContaining({ code: 'ENOTSUP' }));
    expect(
      () => new Counter({ name: 'x_total', help: 'c', registers: [], shared: 'no' as unknown as { name: string } }),
    ).toThrow(/config\.shared/);
  });
});
