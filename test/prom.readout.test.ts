// A scrape reads every series of a tophash/prom histogram from one bulk
// readout of its aggregator (rows matched to series by key text). These cases
// cover each way a series can map to a row: ASCII keys (decoded as one
// buffer), non-ASCII keys (decoded per key), the u64 key of an unlabelled
// histogram, and a series with no row at all (zero()ed, or removed and
// observed again). Results must equal prom-client's.
import fc from 'fast-check';
import * as client from 'prom-client';
import { describe, expect, it } from 'vitest';

import * as prom from '../src/prom';
import { storedSamples } from './exposition-parser';

type Impl = { Histogram: typeof client.Histogram };
type Op = { op: 'observe' | 'zero' | 'remove'; route: string; value: number } | { op: 'bare'; value: number };

const routeArb = fc.constantFrom('/a', '/b', 'é', '☃', 'x"y', '/a/é/b');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('observe' as const), route: routeArb, value: fc.constantFrom(0.5, 3, 20) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constantFrom('zero' as const, 'remove' as const),
      route: routeArb,
      value: fc.constant(0),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('bare' as const), value: fc.constantFrom(0.5, 3, 20) }) },
);

async function run(impl: Impl, ops: Op[]): Promise<[unknown, string]> {
  const registry = new client.Registry();
  const labelled = new impl.Histogram({
    name: 'l',
    help: 'l',
    labelNames: ['route'],
    buckets: [1, 10],
    registers: [registry],
  });
  const bare = new impl.Histogram({ name: 'b', help: 'b', buckets: [1, 10], registers: [registry] });
  for (const o of ops) {
    if (o.op === 'bare') bare.observe(o.value);
    else if (o.op === 'observe') labelled.observe({ route: o.route }, o.value);
    else if (o.op === 'zero') labelled.zero({ route: o.route });
    else labelled.remove({ route: o.route });
  }
  return [JSON.parse(JSON.stringify(await registry.getMetricsAsJSON())), await registry.metrics()];
}

describe('scrape readout', () => {
  it('reads every series as prom-client does, whatever its key and whether it has a row', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), async (ops) => {
        const [theirJson, theirText] = await run(client, ops);
        const [ourJson, ourText] = await run(prom, ops);
        expect(ourJson).toEqual(theirJson);
        expect(storedSamples(ourText)).toEqual(storedSamples(theirText));
      }),
      { numRuns: 200 },
    );
  });
});
