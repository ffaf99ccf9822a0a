// print() against bpftrace's text layout, written out by hand: label in 16
// columns, count right-aligned in 8, ' |', '@' x count/max*52 (truncated),
// '|'; leading and trailing empty buckets trimmed, inner ones kept.
import { describe, expect, it } from 'vitest';
import { Aggregator, type LabelKey } from '../src/index';

describe('print', () => {
  it('prints a log2 histogram', () => {
    using agg = new Aggregator<string>({ key: 'string', hist: { log2: {} } });
    for (const v of [0, 1, 2, 3, 4, 5, 6, 7]) agg.record('a', v);
    expect(agg.print('a')).toBe(
      [
        '[0]                    1 |@@@@@@@@@@@@@                                       |',
        '[1]                    1 |@@@@@@@@@@@@@                                       |',
        '[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |',
        '[4, 8)                 4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|',
        '',
      ].join('\n'),
    );
  });

  it('keeps inner empty buckets and uses K suffixes', () => {
    using agg = new Aggregator<number>({ key: 'u64', hist: { log2: {} } });
    for (const v of [1024, 1500, 2047, 4096, 4097, 5000, 6000, 7000, 8000, 8191]) agg.record(1, v);
    expect(agg.print(1)).toBe(
      [
        '[1K, 2K)               3 |@@@@@@@@@@@@@@@@@@@@@@                              |',
        '[2K, 4K)               0 |                                                    |',
        '[4K, 8K)               7 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|',
        '',
      ].join('\n'),
    );
  });

  it('prints an lhist with its underflow and overflow buckets', () => {
    using agg = new Aggregator<number>({ key: 'u64', hist: { linear: { min: 0, max: 30, step: 10 } } });
    for (const v of [5, 25, 25, 35, -1]) agg.record(7, v);
    expect(agg.print(7)).toBe(
      [
        '(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |',
        '[0, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |',
        '[10, 20)               0 |                                                    |',
        '[20, 30)               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|',
        '[30, ...)              1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |',
        '',
      ].join('\n'),
    );
  });

  it("prints every key as bpftrace prints a map: '@[key]:', the histogram, an empty line, by count", () => {
    using agg = new Aggregator<LabelKey>({ key: { labels: ['route', 'code'] }, hist: { log2: {} } });
    agg.record({ route: '/b', code: 200 }, 1);
    agg.record({ route: '/b', code: 200 }, 1);
    agg.record(['/a', 500], 0);
    expect(agg.print()).toBe(
      [
        '@[/a, 500]:',
        '[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|',
        '',
        '@[/b, 200]:',
        '[1]                    2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|',
        '',
        '',
      ].join('\n'),
    );
  });

  it('prints stats without a histogram, and nothing for a missing key or an empty map', () => {
    using agg = new Aggregator<number>({ key: 'u64' });
    expect(agg.print()).toBe('');
    agg.record(3, 1);
    agg.record(3, 2);
    agg.record(1, 10);
    expect(agg.print(3)).toBe('count 2, average 1.5, total 3');
    expect(agg.print(99)).toBe('');
    expect(agg.print()).toBe('@[1]: count 1, average 10, total 10\n@[3]: count 2, average 1.5, total 3\n');
  });

  it('prints a zeroed key as its header only', () => {
    using agg = new Aggregator<string>({ key: 'string', hist: { log2: {} } });
    agg.record('z', 3);
    agg.zero();
    expect(agg.print()).toBe('@[z]:\n\n');
  });
});
