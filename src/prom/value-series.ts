// Counter and Gauge: one number per series, kept in the series object itself. An aggregator key
// holds count/sum/min/max per event stream, which a gauge's set() cannot express and a counter
// does not need; adding to a cached number is the cheapest hot path there is.
import type { ExpositionFamily, ExpositionSeries } from '../metrics/exposition';
import { LabelIndex, type IndexedSeries, type LabelObject } from '../metrics/label-index';
import { checkLabelNames, labelsFromArgs, runCollect } from './shared';

export interface ValueSeries extends IndexedSeries {
  value: number;
}

export function valueIndex(names: readonly string[]): LabelIndex<ValueSeries> {
  return new LabelIndex<ValueSeries>(names, (labels, values) => ({ labels, values, alive: true, value: 0 }));
}

export function valueFamily(
  metric: { name: string; help: string },
  type: 'counter' | 'gauge',
  index: LabelIndex<ValueSeries>,
): ExpositionFamily {
  const series: ExpositionSeries[] = [];
  for (const s of index.series()) series.push({ labelValues: s.values, value: s.value });
  return { name: metric.name, help: metric.help, type, labelNames: index.names, series };
}

function valueValues(index: LabelIndex<ValueSeries>): { value: number; labels: Record<string, string | number> }[] {
  const values: { value: number; labels: Record<string, string | number> }[] = [];
  for (const s of index.series()) values.push({ value: s.value, labels: s.labels });
  return values;
}

/** What Counter and Gauge share of prom-client's metric fields. */
export interface ValueMetric {
  name: string;
  help: string;
  type: unknown;
  aggregator: unknown;
  labelNames: readonly string[];
  collect?: (this: never) => unknown;
}

/** Whether a series' reported labels are exactly a label object's defined values. */
export function sameLabels(stored: Record<string, string | number>, labels: LabelObject): boolean {
  let count = 0;
  for (const label in labels) {
    const value = labels[label];
    if (value === undefined) continue;
    if (stored[label] !== value) return false;
    count++;
  }
  return count === Object.keys(stored).length;
}

/** `remove(...)` of a Counter or Gauge: drops one label set's series. */
export function removeValueSeries(metric: ValueMetric, index: LabelIndex<ValueSeries>, args: unknown[]): void {
  const labels = labelsFromArgs(metric.labelNames, args);
  checkLabelNames(metric.labelNames, labels);
  index.remove(labels);
}

/** `reset()` of a Counter or Gauge: every series goes; an unlabelled one restarts at 0, as in prom-client. */
export function resetValueSeries(index: LabelIndex<ValueSeries>): void {
  index.clear();
  if (index.names.length === 0) index.resolve({});
}

/** `get()` of a Counter or Gauge, in prom-client's shape. */
export async function valueMetricObject(metric: ValueMetric, index: LabelIndex<ValueSeries>): Promise<unknown> {
  await runCollect(metric);
  return {
    help: metric.help,
    name: metric.name,
    type: metric.type,
    values: valueValues(index),
    aggregator: metric.aggregator,
  };
}
