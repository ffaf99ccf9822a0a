// What the tophash/prom metric classes share: prom-client's calling conventions
// (label arguments, exemplar rejection, collect callbacks) and the marks the
// Registry uses to render tophash metrics itself.
import { format } from 'node:util';

import type * as client from 'prom-client';

import type { ExpositionFamily } from '../metrics/exposition';
import type { LabelObject } from '../metrics/label-index';
import { typeError } from '../runtime/errors';
import { rejectUnknownOptions } from '../runtime/option-names';

/** prom-client's label object type: label name to value. */
export type LabelValues<T extends string> = client.LabelValues<T>;

/** Marks tophash metrics so {@link Registry} can render them itself. */
export const FAMILY = Symbol('tophash.prom.family');

export interface RendersFamily {
  /** The metric's family, then the families of series with other label names (an overflow series). */
  [FAMILY](): Promise<ExpositionFamily[]>;
}

/** Marks metrics that render their own text (histograms: natively, from the aggregator). */
export const TEXT = Symbol('tophash.prom.text');

export interface RendersText {
  /** The family's text, ending with a newline. */
  [TEXT](openMetrics: boolean): Promise<string>;
}

/** Marks metrics that encode their own protobuf MetricFamily (histograms, with native buckets). */
export const PROTO = Symbol('tophash.prom.proto');

/** Marks tophash metrics that report their series, overflow and expiry to self-metrics. */
export const SERIES_STATS = Symbol('tophash.prom.seriesStats');

/** What a metric reports to its registry's self-metrics. */
export interface SeriesStats {
  series: number;
  overflowEvents: number;
  expiredSeries: number;
  bytes: number;
}

export interface ReportsSeries {
  [SERIES_STATS](): SeriesStats;
}

export function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

export function rejectExemplars(config: { enableExemplars?: boolean } | undefined, className: string): void {
  if (isObject(config) && config.enableExemplars) {
    throw typeError(
      `enableExemplars false (tophash/prom ${className} has no exemplars)`,
      'config.enableExemplars',
      true,
    );
  }
}

// The configuration names prom-client's metric classes take, so that code written for prom-client
// moves over unchanged; anything else is a typo and is rejected with the closest name.
const PROM_CLIENT_CONFIG = ['name', 'help', 'labelNames', 'registers', 'aggregator', 'collect', 'enableExemplars'];

/** Rejects a configuration name that neither prom-client nor tophash's `ours` know. */
export function rejectUnknownConfig(config: unknown, ours: readonly string[]): void {
  if (isObject(config)) rejectUnknownOptions(config, [...PROM_CLIENT_CONFIG, ...ours], 'config');
}

/** prom-client's `labels(...)` arguments: an object, or values in labelNames order. */
export function labelsFromArgs(names: readonly string[], args: readonly unknown[]): LabelObject {
  if (isObject(args[0])) return args[0] as LabelObject;
  if (names.length !== args.length) {
    throw new Error(
      `Invalid number of arguments (${args.length}): "${args.join(', ')}" for label names (${names.length}): "${names.join(', ')}".`,
    );
  }
  const labels: Record<string, string | number> = {};
  for (let i = 0; i < names.length; i++) labels[names[i]] = args[i] as string | number;
  return labels;
}

export function seconds(start: [number, number]): number {
  const delta = process.hrtime(start);
  return delta[0] + delta[1] / 1e9;
}

/**
 * prom-client's `startTimer(labels)`: the returned function records the seconds elapsed since
 * now under `labels` merged with the labels passed to it, and returns them.
 */
export function startTimer<L extends object>(
  labels: L | undefined,
  record: (labels: L, value: number) => void,
): (endLabels?: L) => number {
  const start = process.hrtime();
  return (endLabels?: L) => {
    const value = seconds(start);
    record(Object.assign<L, L | undefined, L | undefined>({} as L, labels, endLabels), value);
    return value;
  };
}

export async function runCollect(metric: { collect?: (this: never) => unknown }): Promise<void> {
  if (metric.collect) {
    const result = (metric.collect as (this: unknown) => unknown).call(metric);
    if (result instanceof Promise) await result;
  }
}

export function checkLabelNames(names: readonly string[], labels: LabelObject): void {
  for (const label in labels) {
    if (!names.includes(label)) {
      throw new Error(`Added label "${label}" is not included in initial labelset: ${format('%O', names)}`);
    }
  }
}
