// The MetricProducer: reads every source, applies the temporality, shapes MetricData.
import type {
  AggregationTemporality,
  CollectionResult,
  DataPoint,
  MetricData,
  MetricProducer,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

import { AggregatorReader } from './aggregator-readings';
import { DeltaState } from './delta';
import { toMetricData } from './metric-data';
import { parseOptions, type ParsedOptions, type TophashMetricProducerOptions } from './options';
import type { FamilyReading, HrTime } from './readings';
import { settleRegistry, settling, type RegistryRead } from './registry-readings';

const DELTA = 0 as AggregationTemporality.DELTA;
const CUMULATIVE = 1 as AggregationTemporality.CUMULATIVE;

type Resource = ResourceMetrics['resource'];

// A reader keeps its MeterProvider's resource and takes only the scope metrics of a producer;
// this one stands in for a producer collected directly.
const EMPTY_RESOURCE: Resource = {
  attributes: {},
  merge: (other) => other ?? EMPTY_RESOURCE,
  getRawAttributes: () => [],
};

/** A metric built at an earlier collect, as of a new interval: the same points, new times. */
function restamp(data: MetricData | undefined, startTime: HrTime, endTime: HrTime): MetricData | undefined {
  if (data === undefined) return undefined;
  const points = data.dataPoints as DataPoint<unknown>[];
  const dataPoints = new Array<DataPoint<unknown>>(points.length);
  for (let i = 0; i < points.length; i++) {
    const { attributes, value } = points[i];
    dataPoints[i] = { startTime, endTime, attributes, value };
  }
  return { ...data, dataPoints } as MetricData;
}

// The wall clock as the SDK reads it (timeOrigin + performance.now()), taken once; later times add
// the monotonic clock's progress through process.hrtime.bigint(), which after a full GC cost a
// third of performance.now() (7 against 20 µs, cold). The two are paired at the midpoint of two
// hrtime readings around a warm performance.now(), so the producer's clock is neither ahead of the
// SDK's nor behind it by the time the pairing took.
performance.now();
const CLOCK_PAIR_START_NS = process.hrtime.bigint();
const CLOCK_BASE_MS = performance.timeOrigin + performance.now();
const CLOCK_BASE_NS = (CLOCK_PAIR_START_NS + process.hrtime.bigint()) / 2n;

function now(): HrTime {
  const ms = CLOCK_BASE_MS + Number(process.hrtime.bigint() - CLOCK_BASE_NS) / 1e6;
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/**
 * An OpenTelemetry `MetricProducer` over tophash: add it to a reader's `metricProducers` and
 * every collect (every export of a `PeriodicExportingMetricReader`) carries the counters, gauges
 * and histograms of the given prom-client registries (tophash/prom's metrics among them) and the
 * aggregates of the given Aggregators, in a scope named `tophash`.
 *
 * Counters become monotonic sums, gauges gauges, histograms explicit-bucket histograms with their
 * `le` bounds. An Aggregator becomes an exponential histogram with log2 buckets, an explicit-bucket
 * histogram with linear or `le` buckets, and a histogram without buckets (count, sum, min, max)
 * without a histogram. Summaries are left out: the SDK has no summary point type.
 *
 * @example
 * ```ts
 * import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
 * import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
 * import { register } from 'prom-client';
 * import { TophashMetricProducer } from 'tophash/otel';
 *
 * const producer = new TophashMetricProducer({
 *   registers: [register],
 *   aggregators: [{ name: 'db.query.duration', aggregator: queries, unit: 'us' }],
 * });
 * const reader = new PeriodicExportingMetricReader({
 *   exporter: new OTLPMetricExporter(),
 *   metricProducers: [producer],
 * });
 * new MeterProvider({ readers: [reader] });
 * ```
 */
export class TophashMetricProducer implements MetricProducer {
  readonly #options: ParsedOptions;
  readonly #created = now();
  #lastCollect: HrTime = this.#created;
  readonly #delta = new DeltaState();
  // Per source and family: the family read last and the metric built from it. A source hands out
  // the same family object while nothing in it changed (see registry-readings.ts), and then the
  // metric is not built again.
  #built = new Map<string, { family: FamilyReading; data: MetricData | undefined }>();
  readonly #aggregators: AggregatorReader[];
  // Each registry's source name, made once: it keys the registry's families from collect to collect.
  readonly #sources: string[];

  /**
   * Creates a producer over `options.registers` and `options.aggregators`.
   *
   * @param options - see {@link TophashMetricProducerOptions}
   * @throws TypeError or RangeError naming the offending option
   */
  constructor(options?: TophashMetricProducerOptions) {
    this.#options = parseOptions(options);
    this.#aggregators = this.#options.aggregators.map((source) => new AggregatorReader(source));
    this.#sources = this.#options.registers.map((_, i) => `registry ${i}`);
  }

  /**
   * Reads every source once. A source that fails to read is reported in `errors` and the others
   * are still collected, as the SDK does with a failing observable callback.
   *
   * @returns the metrics in one scope, and the errors met
   */
  async collect(): Promise<CollectionResult> {
    const errors: unknown[] = [];
    // Each family with the source it came from: one name may be in two registries, and a delta
    // must not subtract one's reading from the other's.
    const families: [string, FamilyReading][] = [];
    // Registries whose metrics all read at once are read without a promise: each await costs a
    // trip through the microtask queue, and after a full GC the few of a collect cost about as
    // much as reading the rows. Loops, not forEach: a callback made per collect runs unoptimized
    // after each full GC.
    const registers = this.#options.registers;
    const reads = new Array<RegistryRead | Promise<RegistryRead>>(registers.length);
    let pending = false;
    for (let i = 0; i < registers.length; i++) {
      reads[i] = settleRegistry(registers[i]);
      if (reads[i] instanceof Promise) pending = true;
    }
    const settled = pending ? await Promise.all(settling(reads)) : (reads as RegistryRead[]);
    for (let i = 0; i < registers.length; i++) {
      const read = settled[i];
      if (read.status === 'fulfilled') for (const family of read.value) families.push([this.#sources[i], family]);
      else errors.push(read.reason);
    }
    for (let i = 0; i < this.#aggregators.length; i++) {
      try {
        families.push([`aggregator ${i}`, this.#aggregators[i].read()]);
      } catch (err) {
        errors.push(err);
      }
    }
    const endTime = now();
    const delta = this.#options.delta;
    const startTime = delta ? this.#lastCollect : this.#created;
    this.#lastCollect = endTime;
    const metrics: MetricData[] = [];
    const built = new Map<string, { family: FamilyReading; data: MetricData | undefined }>();
    for (const [source, family] of families) {
      const id = source + '\0' + family.name;
      const last = this.#built.get(id);
      let data: MetricData | undefined;
      if (last?.family === family) {
        // Unchanged: the same totals as of now, or, as a delta, nothing (the SDK reports no point
        // for a series without measurements in the interval); a gauge passes through.
        data = delta && family.kind !== 'gauge' ? undefined : restamp(last.data, startTime, endTime);
        built.set(id, last);
      } else {
        const series = delta ? this.#delta.delta(source, family) : (family.rows ?? family.series);
        data = toMetricData(family, series, delta ? DELTA : CUMULATIVE, startTime, endTime);
        built.set(id, { family, data });
      }
      if (data !== undefined) metrics.push(data);
    }
    this.#built = built;
    // As the SDK does: no scope without metrics.
    const scopeMetrics = metrics.length === 0 ? [] : [{ scope: { name: 'tophash' }, metrics }];
    return { resourceMetrics: { resource: EMPTY_RESOURCE, scopeMetrics }, errors };
  }
}
