// toPrometheus: one metric family rendered by src/metrics/exposition.ts, checked
// line for line against prom-client fed the same observations.
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Aggregator, type LabelKey } from '../src/index';

// Sample lines with their labels in name order (prom-client puts `le` first), sorted.
function lines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^([^{ ]+)\{(.*)\} (.*)$/.exec(l);
      if (m === null) return l;
      const pairs = [...m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((p) => p[0]).sort();
      return `${m[1]}{${pairs.join(',')}} ${m[3]}`;
    })
    .sort();
}

describe('toPrometheus', () => {
  it('renders a labelled histogram as prom-client does', async () => {
    const buckets = [0.005, 0.1, 1, 2.5, 10];
    using agg = new Aggregator<LabelKey>({ key: { labels: ['route', 'code'] }, hist: { buckets } });
    const registry = new Registry();
    const h = new Histogram({
      name: 'req_seconds',
      help: 'Request time',
      labelNames: ['route', 'code'],
      buckets,
      registers: [registry],
    });
    const events: [string, number, number][] = [
      ['/a', 200, 0.004],
      ['/a', 200, 0.1],
      ['/a', 500, 3],
      ['/b "q"\\', 200, 0.5],
      ['/b "q"\\', 200, 12],
      ['/a', 200, 1],
    ];
    for (const [route, code, v] of events) {
      agg.record({ route, code }, v);
      h.observe({ route, code }, v);
    }
    expect(lines(agg.toPrometheus({ name: 'req_seconds', help: 'Request time' }))).toEqual(
      lines(await registry.metrics()),
    );
  });

  it('exports u64 and string keys under `label` and renders a summary without a histogram', () => {
    using agg = new Aggregator<number>({ key: 'u64' });
    agg.record(7, 1.5);
    agg.record(7, 2);
    const text = agg.toPrometheus({ name: 'x', help: 'h', label: 'worker' });
    expect(text).toContain('# TYPE x summary');
    expect(text).toContain('x_sum{worker="7"} 3.5');
    expect(text).toContain('x_count{worker="7"} 2');
    using s = new Aggregator<string>({ key: 'string', hist: { log2: {} } });
    s.record('a', 5);
    s.record('a', 9);
    const t = s.toPrometheus({ name: 'y', help: 'h', openMetrics: true });
    // From one empty bucket below the lowest used one to the highest used one, then +Inf.
    expect(t).not.toContain('le="2.0"');
    expect(t).toContain('y_bucket{key="a",le="4.0"} 0');
    expect(t).toContain('y_bucket{key="a",le="8.0"} 1');
    expect(t).toContain('y_bucket{key="a",le="16.0"} 2');
    expect(t).not.toContain('le="32.0"');
    expect(t).toContain('y_bucket{key="a",le="+Inf"} 2');
    expect(s.toPrometheus({ name: 'y', help: 'h', openMetrics: true, allBuckets: true })).toContain(
      'y_bucket{key="a",le="2.0"} 0',
    );
    expect(t.endsWith('# EOF\n')).toBe(true);
  });

  it('rejects bad options', () => {
    using agg = new Aggregator<number>({ key: 'u64' });
    expect(() => agg.toPrometheus({ name: 5 as unknown as string, help: '' })).toThrow(/options\.name/);
    expect(() => agg.toPrometheus({ name: 'bad name', help: '' })).toThrow(/options\.name/);
    expect(() => agg.toPrometheus({ name: 'ok', help: '', label: 'le' })).toThrow(/options\.label/);
    expect(() => agg.toPrometheus({ name: 'ok', help: '', label: '__x' })).toThrow(RangeError);
    expect(() => agg.toPrometheus(null as never)).toThrow(TypeError);
  });
});
