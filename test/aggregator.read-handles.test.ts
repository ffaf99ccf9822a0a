// READ_HANDLES, the bulk read tophash/prom's protobuf scrape and tophash/otel use: rows in the
// handles' order, zeros for a key without an entry, and a handle id that is not live refused.
import { describe, expect, it } from 'vitest';

import { Aggregator, READ_HANDLES } from '../src/metrics/aggregator';

describe('Aggregator READ_HANDLES', () => {
  it("reads each handle's row in the handles' order, zeros for a key without an entry", () => {
    const agg = new Aggregator({ key: { labels: ['route'] }, hist: { buckets: [1, 10] } });
    const a = agg.handle(['/a']);
    const b = agg.handle(['/b']);
    const c = agg.handle(['/c']);
    a.record(0.5);
    a.record(5);
    b.record(50);
    c.record(2);
    agg.delete(['/c']);
    const { rows, stride } = agg[READ_HANDLES]([b, c, a]);
    expect(stride).toBe(4 + 3);
    expect([...rows]).toEqual([1, 50, 50, 50, 0, 0, 1, ...[0, 0, 0, 0, 0, 0, 0], 2, 5.5, 0.5, 5, 1, 1, 0]);
    agg.close();
  });

  it('reads staged events (it flushes first) and an empty list', () => {
    const agg = new Aggregator({ key: 'u64' });
    const h = agg.handle(7);
    h.record(3);
    expect([...agg[READ_HANDLES]([h]).rows]).toEqual([1, 3, 3, 3]);
    expect(agg[READ_HANDLES]([]).rows).toHaveLength(0);
    agg.close();
  });

  it("refuses another aggregator's handle id that is not live here", () => {
    const agg = new Aggregator({ key: 'u64' });
    const other = new Aggregator({ key: 'u64' });
    for (let i = 0; i < 3; i++) other.handle(i);
    const foreign = other.handle(99);
    expect(() => agg[READ_HANDLES]([foreign])).toThrow(/Expected a live handle id for handleIds\[0\]/);
    agg.close();
    other.close();
  });
});
