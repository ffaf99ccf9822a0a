// A histogram family over a readout's rows. A cumulative collect reads the rows directly; only a
// delta collect, which keeps each series' previous reading, needs a Reading per series, and it
// gets them on first use.
import type { FamilyReading, Reading, SeriesRows } from './readings';

// Where a row's per-bucket counts start: after count, sum, min and max.
const ROW_BUCKETS = 4;

function readingsOf({ keys, attributes, rows, stride }: SeriesRows): Reading[] {
  const series = new Array<Reading>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const row = i * stride;
    // A plain array, which a data point can carry as its counts without another copy.
    const buckets = new Array<number>(stride - ROW_BUCKETS);
    for (let j = 0; j < buckets.length; j++) buckets[j] = rows[row + ROW_BUCKETS + j];
    series[i] = {
      key: keys[i],
      attributes: attributes[i],
      value: rows[row],
      sum: rows[row + 1],
      min: NaN,
      max: NaN,
      buckets,
    };
  }
  return series;
}

export class RowsFamily implements FamilyReading {
  readonly unit = '';
  readonly kind = 'histogram';
  #series: Reading[] | undefined;

  constructor(
    readonly name: string,
    readonly description: string,
    readonly bounds: readonly number[],
    readonly rows: SeriesRows,
  ) {}

  get series(): Reading[] {
    return (this.#series ??= readingsOf(this.rows));
  }
}
