// W3's scrape rows for tophash/prom's protobuf exposition and tophash/otel's producer, beside the
// text scrapes and the OpenTelemetry SDK's collect in workloads/w3.ts:
//
// - native histograms (schema 3; by default no classic buckets in the protobuf) served as protobuf
//   through `registry.metricsFor(accept)`, against prom-client's text scrape of classic buckets;
// - `TophashMetricProducer.collect()` over a tophash/prom Histogram, against the SDK's own
//   `reader.collect()` with the same events recorded through its Histogram instrument.
//
// The SDK's cumulative collect returns its accumulations as they are when nothing was recorded
// since the previous collect, so the producer is compared twice: repeated collects of
// unchanged state, and collects after one new event per series (recorded untimed before each
// sample, as a periodic reader collects after an interval of recording). Each output is checked
// against the oracle of every event recorded so far.
import { MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import * as protobuf from 'protobufjs';

import { TophashMetricProducer } from '../src/otel';
import { Histogram, Registry } from '../src/prom';
import { metricFamilyType } from '../src/prom/protobuf';
import { DEFAULT_BUCKETS, LABEL_NAMES, oracleOf, verifyTotals, type Events } from './w3-events';
import { METRIC_HELP, METRIC_NAME, recordedOtelState, type SeriesTotals } from './w3-systems';
import type { ScrapeSystem } from './workloads/w3';

/** What Prometheus sends with native histograms enabled. */
const PROTOBUF_ACCEPT =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,' +
  'text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
/** The native schema of the protobuf row: 8 buckets per power of two, as Prometheus' docs suggest starting with. */
const NATIVE_SCHEMA = 3;
/** The latency of the events recorded between samples of an "after updates" row. */
const UPDATE_LATENCY = 0.07;

/** The events so far: the scrape state's, then one per series per update. */
class Recorded {
  private updates = 0;
  constructor(private readonly ev: Events) {}

  update(record: (combo: number, value: number) => void): void {
    for (let c = 0; c < this.ev.space.series; c++) record(c, UPDATE_LATENCY);
    this.updates++;
  }

  oracle(): Events['oracle'] {
    const { ev } = this;
    const extra = this.updates * ev.space.series;
    const combo = new Uint32Array(ev.n + extra);
    const latency = new Float64Array(ev.n + extra);
    combo.set(ev.combo);
    latency.set(ev.latency);
    for (let i = 0; i < extra; i++) {
      combo[ev.n + i] = i % ev.space.series;
      latency[ev.n + i] = UPDATE_LATENCY;
    }
    return oracleOf(combo, latency, ev.space.series);
  }
}

function comboOf(ev: Events, attributes: Record<string, unknown>): number {
  const combo = ev.space.index.get(
    `${String(attributes.route)}|${String(attributes.method)}|${String(attributes.status)}`,
  );
  if (combo === undefined) throw new Error(`W3: unknown attribute set ${JSON.stringify(attributes)}`);
  return combo;
}

/** A collect's histogram points as series totals. */
function collectedTotals(ev: Events, metrics: readonly unknown[]): SeriesTotals[] {
  const out: SeriesTotals[] = [];
  for (const metric of metrics as HistogramMetricData[]) {
    if (metric.descriptor.name !== METRIC_NAME) continue;
    for (const p of metric.dataPoints) {
      out.push({
        combo: comboOf(ev, p.attributes),
        count: p.value.count,
        sum: p.value.sum ?? NaN,
        buckets: Float64Array.from(p.value.buckets.counts),
      });
    }
  }
  return out;
}

/**
 * The protobuf body's histogram series as totals. Native buckets do not line up with the classic
 * slots, so a series' native bucket counts are checked to add up to its count here, and the
 * classic slot comparison is left out (the protobuf carries no classic buckets by default).
 */
function protobufTotals(ev: Events, body: Uint8Array): SeriesTotals[] {
  const type = metricFamilyType();
  const reader = protobuf.Reader.create(body);
  const out: SeriesTotals[] = [];
  while (reader.pos < reader.len) {
    const family = type.toObject(type.decodeDelimited(reader), { longs: Number, defaults: true }) as {
      metric: {
        label: { name: string; value: string }[];
        histogram: { sampleCount: number; sampleSum: number; zeroCount: number; positiveDelta: number[] };
      }[];
    };
    for (const m of family.metric) {
      const attributes = Object.fromEntries(m.label.map((l) => [l.name, l.value]));
      const h = m.histogram;
      let inBuckets = h.zeroCount;
      let bucket = 0;
      for (const delta of h.positiveDelta) inBuckets += bucket += delta;
      if (inBuckets !== h.sampleCount) {
        throw new Error(
          `W3: native buckets of ${JSON.stringify(attributes)} hold ${inBuckets}, count ${h.sampleCount}`,
        );
      }
      out.push({ combo: comboOf(ev, attributes), count: h.sampleCount, sum: h.sampleSum, buckets: null });
    }
  }
  return out;
}

function tophashHistogram(ev: Events, native: boolean) {
  const registry = new Registry();
  const histogram = new Histogram({
    name: METRIC_NAME,
    help: METRIC_HELP,
    labelNames: [...LABEL_NAMES],
    buckets: [...DEFAULT_BUCKETS],
    registers: [registry],
    ...(native ? { native: { schema: NATIVE_SCHEMA } } : {}),
  });
  const { route, method, status } = ev.space;
  const children = route.map((_, c) => histogram.labels(route[c], method[c], status[c]));
  for (let i = 0; i < ev.n; i++) children[ev.combo[i]].observe(ev.latency[i]);
  return { registry, record: (combo: number, value: number) => children[combo].observe(value) };
}

/** A reader that exports nowhere, over the producer. */
class ProducerReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** The SDK's collect after updates (its collect of unchanged state is workloads/w3.ts' `otel` row). */
function sdkCollect(): ScrapeSystem {
  return {
    id: 'otel-updates',
    label: 'OpenTelemetry sdk-metrics, after one event per series',
    group: 'baseline',
    what: 'reader.collect()',
    unavailable: () => null,
    prepare(ev) {
      const { state, attrs } = recordedOtelState(ev);
      const recorded = new Recorded(ev);
      return {
        beforeSample: () => recorded.update((c, v) => state.histogram.record(v, attrs[c])),
        scrape: () => state.reader.collect(),
        check: (out) =>
          void verifyTotals(
            `W3 scrape ${ev.space.series} ${this.label}`,
            collectedTotals(
              ev,
              (out as Awaited<ReturnType<MetricReader['collect']>>).resourceMetrics.scopeMetrics.flatMap(
                (s) => s.metrics,
              ),
            ),
            recorded.oracle(),
          ),
        dispose: () => {},
      };
    },
  };
}

function producerCollect(updates: boolean): ScrapeSystem {
  return {
    id: updates ? 'otel-producer-updates' : 'otel-producer-steady',
    label: `tophash/otel TophashMetricProducer (cumulative)${updates ? ', after one event per series' : ''}`,
    group: 'tophash',
    what: 'producer.collect()',
    versus: updates ? 'otel-updates' : 'otel',
    unavailable: () => null,
    prepare(ev) {
      const { registry, record } = tophashHistogram(ev, false);
      const producer = new TophashMetricProducer({ registers: [registry] });
      // As a reader holds it: the SDK's own reader, exporting nowhere.
      void new ProducerReader({ metricProducers: [producer] });
      const recorded = new Recorded(ev);
      return {
        beforeSample: updates ? () => recorded.update(record) : undefined,
        scrape: () => producer.collect(),
        check: (out) =>
          void verifyTotals(
            `W3 scrape ${ev.space.series} ${this.label}`,
            collectedTotals(
              ev,
              (out as Awaited<ReturnType<TophashMetricProducer['collect']>>).resourceMetrics.scopeMetrics.flatMap(
                (s) => s.metrics,
              ),
            ),
            recorded.oracle(),
          ),
        dispose: () => registry.clear(),
      };
    },
  };
}

function nativeProtobuf(): ScrapeSystem {
  return {
    id: 'prom-native-protobuf',
    label: `tophash/prom Histogram with native: { schema: ${NATIVE_SCHEMA} } and Registry`,
    group: 'tophash',
    what: 'registry.metricsFor(protobuf)',
    unavailable: () => null,
    prepare(ev) {
      const { registry } = tophashHistogram(ev, true);
      return {
        scrape: async () => (await registry.metricsFor(PROTOBUF_ACCEPT)).body,
        check: (out) =>
          void verifyTotals(
            `W3 scrape ${ev.space.series} ${this.label}`,
            protobufTotals(ev, out as Uint8Array),
            ev.oracle,
          ),
        dispose: () => registry.clear(),
      };
    },
  };
}

/** The rows, in the order the report lists them. */
export function protobufAndProducerScrapes(): ScrapeSystem[] {
  return [nativeProtobuf(), producerCollect(false), sdkCollect(), producerCollect(true)];
}
