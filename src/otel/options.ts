// Validation of TophashMetricProducer's options, with errors that name the offending field.
import { Aggregator } from '../metrics/aggregator';
import { rangeError, typeError } from '../runtime/errors';
import { rejectUnknownOptions } from '../runtime/option-names';
import type { AggregatorSource } from './aggregator-readings';
import type { PromRegistryLike } from './registry-readings';

/** The options of {@link TophashMetricProducer}. */
export interface TophashMetricProducerOptions {
  /**
   * prom-client registries whose counters, gauges and histograms are exported: tophash/prom's
   * `Registry`, prom-client's (its global `register` included) or anything with prom-client's
   * `getMetricsAsJSON()`. Default none.
   */
  registers?: readonly PromRegistryLike[];
  /** Aggregators exported each as one metric. Default none. */
  aggregators?: readonly AggregatorSource[];
  /**
   * `'cumulative'` (default): every collect reports the totals since the producer was created.
   * `'delta'`: every collect reports what changed since the previous one. A MetricProducer is not
   * told its reader's temporality selector, so set this to match the exporter's.
   */
  temporality?: 'cumulative' | 'delta';
}

export interface ParsedOptions {
  registers: PromRegistryLike[];
  aggregators: Required<AggregatorSource>[];
  delta: boolean;
}

// OpenTelemetry's instrument name syntax.
const INSTRUMENT_NAME = /^[A-Za-z][A-Za-z0-9_./-]{0,254}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

function optionalString(value: unknown, what: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw typeError('a string', what, value);
  return value;
}

function parseSource(entry: unknown, at: string, names: Set<string>): Required<AggregatorSource> {
  if (!isObject(entry))
    throw typeError('an object { name, aggregator, description?, unit?, keyAttribute? }', at, entry);
  rejectUnknownOptions(entry, ['name', 'aggregator', 'description', 'unit', 'keyAttribute'], at);
  const { name, aggregator } = entry;
  if (typeof name !== 'string') throw typeError('a string', `${at}.name`, name);
  if (!INSTRUMENT_NAME.test(name)) {
    throw rangeError('an instrument name: a letter, then up to 254 of [A-Za-z0-9_./-]', `${at}.name`, name);
  }
  if (names.has(name)) throw rangeError('a name no other aggregator uses', `${at}.name`, name);
  names.add(name);
  if (!(aggregator instanceof Aggregator)) throw typeError('an Aggregator', `${at}.aggregator`, aggregator);
  const keyAttribute = entry.keyAttribute === undefined ? 'key' : entry.keyAttribute;
  if (typeof keyAttribute !== 'string' || keyAttribute === '') {
    throw typeError('a non-empty string', `${at}.keyAttribute`, keyAttribute);
  }
  return {
    name,
    aggregator: aggregator as Aggregator,
    description: optionalString(entry.description, `${at}.description`),
    unit: optionalString(entry.unit, `${at}.unit`),
    keyAttribute,
  };
}

export function parseOptions(options: unknown): ParsedOptions {
  if (options === undefined) return { registers: [], aggregators: [], delta: false };
  if (!isObject(options)) throw typeError('an options object', 'options', options);
  rejectUnknownOptions(options, ['registers', 'aggregators', 'temporality'], 'options');
  const { registers = [], aggregators = [], temporality = 'cumulative' } = options;
  if (!Array.isArray(registers)) throw typeError('an array of registries', 'options.registers', registers);
  registers.forEach((registry: unknown, i) => {
    if (!isObject(registry) || typeof registry.getMetricsAsJSON !== 'function') {
      throw typeError('a prom-client Registry', `options.registers[${i}]`, registry);
    }
  });
  if (!Array.isArray(aggregators))
    throw typeError('an array of aggregator entries', 'options.aggregators', aggregators);
  const names = new Set<string>();
  const sources = aggregators.map((entry: unknown, i) => parseSource(entry, `options.aggregators[${i}]`, names));
  if (temporality !== 'cumulative' && temporality !== 'delta') {
    throw typeError("'cumulative' or 'delta'", 'options.temporality', temporality);
  }
  return { registers: registers as PromRegistryLike[], aggregators: sources, delta: temporality === 'delta' };
}
