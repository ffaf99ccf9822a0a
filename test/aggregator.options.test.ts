// The Aggregator's seed option follows the maps': an integer number or a
// bigint, checked by the same helper, refused with the same errors.
import { describe, expect, it } from 'vitest';

import { Aggregator, U64Map } from '../src/index';

function keyOrder(seed: number | bigint): number[] {
  using agg = new Aggregator<number>({ key: 'u64', seed });
  for (let k = 0; k < 200; k++) agg.record(k * 7919, 1);
  return [...agg.entries()].map(([k]) => k);
}

/** The error a constructor throws, as [class name, message]. */
function thrown(make: () => unknown): [string, string] {
  try {
    make();
  } catch (err) {
    return [(err as Error).constructor.name, (err as Error).message];
  }
  throw new Error('did not throw');
}

describe('Aggregator seed', () => {
  it('takes a number as the bigint of the same value', () => {
    expect(keyOrder(7)).toEqual(keyOrder(7n));
    expect(keyOrder(2 ** 53 - 1)).toEqual(keyOrder(2n ** 53n - 1n));
  });

  it.each<[string, unknown]>([
    ['negative number', -1],
    ['fraction', 1.5],
    ['NaN', NaN],
    ['unsafe integer', 2 ** 53],
    ['negative bigint', -1n],
    ['bigint 2^64', 2n ** 64n],
    ['string', '7'],
    ['null', null],
  ])('refuses a %s seed as the maps do', (_, seed) => {
    const options = { seed } as unknown as { seed: bigint };
    const map = thrown(() => new U64Map(options));
    expect(thrown(() => new Aggregator<number>({ key: 'u64', ...options }))).toEqual(map);
  });
});
