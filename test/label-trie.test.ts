// The label-tuple cache the Aggregator and tophash/prom share keys its levels
// by label text in null-prototype objects: names that mean something on an
// ordinary object, and texts that look like numbers, are plain distinct keys.
import { describe, expect, it } from 'vitest';

import { Aggregator, type LabelKey } from '../src/index';
import { Counter, Registry } from '../src/prom';

const TEXTS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '0', '00', '-0', '1e3', '', 'a'];

describe('label trie keys', () => {
  it('keeps every string key apart in the Aggregator', () => {
    using agg = new Aggregator<string>({ key: 'string' });
    TEXTS.forEach((t, i) => {
      for (let k = 0; k <= i; k++) agg.record(t, 1);
    });
    TEXTS.forEach((t, i) => expect(agg.get(t)?.count, t).toBe(i + 1));
    expect(agg.size).toBe(TEXTS.length);
  });

  it('keeps every label tuple apart in the Aggregator', () => {
    using agg = new Aggregator<LabelKey>({ key: { labels: ['a', 'b'] } });
    for (const a of TEXTS) for (const b of TEXTS) agg.record({ a, b }, 1);
    agg.record({ a: '__proto__', b: 'constructor' }, 1);
    expect(agg.size).toBe(TEXTS.length ** 2);
    expect(agg.get(['__proto__', 'constructor'])?.count).toBe(2);
    expect(agg.get(['0', '00'])?.count).toBe(1);
  });

  it('keeps every label set apart in tophash/prom', async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'c', help: 'c', labelNames: ['a'], registers: [registry] });
    TEXTS.forEach((a, i) => c.inc({ a }, i + 1));
    const values = (await c.get()).values.map((v) => [v.labels.a, v.value]);
    expect(values).toEqual(TEXTS.map((a, i) => [a, i + 1]));
  });

  it('counts correctly past the cache bound, where the Aggregator starts its cache over', () => {
    using agg = new Aggregator<LabelKey>({ key: { labels: ['k', 'j'] } });
    for (let round = 0; round < 2; round++) for (let k = 0; k < 5000; k++) agg.record({ k: `${k}`, j: 'x' }, 1);
    expect(agg.size).toBe(5000);
    expect(agg.get(['4999', 'x'])?.count).toBe(2);
    expect(agg.get(['0', 'x'])?.count).toBe(2);
  });
});
