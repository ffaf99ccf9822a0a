// Prometheus' protobuf exposition format: length-delimited io.prometheus.client.MetricFamily
// messages, encoded by protobufjs from the schema in metrics-proto.ts. The schema is parsed on the
// first protobuf scrape, so a server that only ever serves text never reads it.
import * as protobuf from 'protobufjs';

import { METRICS_PROTO } from './metrics-proto';

/** The `Content-Type` of a protobuf scrape, as Prometheus asks for it. */
export const PROTOBUF_CONTENT_TYPE =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/** MetricType's numbers in the schema. */
export const METRIC_TYPE = { counter: 0, gauge: 1, summary: 2, untyped: 3, histogram: 4 } as const;

export interface ProtoLabel {
  name: string;
  value: string;
}

/** A Metric message as protobufjs takes it (field names in camelCase). */
export interface ProtoMetric {
  label: ProtoLabel[];
  counter?: { value: number };
  gauge?: { value: number };
  untyped?: { value: number };
  summary?: { sampleCount: number; sampleSum: number; quantile: { quantile: number; value: number }[] };
  histogram?: ProtoHistogram;
}

export interface ProtoHistogram {
  sampleCount: number;
  sampleSum: number;
  bucket: { cumulativeCount: number; upperBound: number }[];
}

/** A MetricFamily message as protobufjs takes it. */
export interface ProtoFamily {
  name: string;
  help: string;
  type: number;
  metric: ProtoMetric[];
}

let familyType: protobuf.Type | undefined;

/** The MetricFamily message type, parsed from the schema once. */
export function metricFamilyType(): protobuf.Type {
  familyType ??= protobuf.parse(METRICS_PROTO).root.lookupType('io.prometheus.client.MetricFamily');
  return familyType;
}

/** The families, each as a varint length and a MetricFamily message, in one buffer. */
export function encodeFamilies(families: readonly ProtoFamily[]): Uint8Array {
  const type = metricFamilyType();
  const writer = protobuf.Writer.create();
  for (const family of families) type.encodeDelimited(family, writer);
  return writer.finish();
}

/** prom-client's JSON form of a metric (`metric.get()`). */
export interface MetricJSON {
  name: string;
  help: string;
  type: unknown;
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

function labelPairs(labels: Record<string, string | number>, defaults: Record<string, string | number>): ProtoLabel[] {
  const pairs: ProtoLabel[] = [];
  for (const name in labels) pairs.push({ name, value: String(labels[name]) });
  for (const name in defaults) if (!(name in labels)) pairs.push({ name, value: String(defaults[name]) });
  return pairs;
}

/**
 * Any prom-client metric's JSON form as a MetricFamily: counters and gauges sample by sample,
 * histograms and summaries regrouped by their series' labels (without `le` or `quantile`).
 */
export function familyFromJSON(json: MetricJSON | object, defaults: Record<string, string | number>): ProtoFamily {
  const { name, help, type: typeName, values } = json as MetricJSON;
  const type = METRIC_TYPE[String(typeName) as keyof typeof METRIC_TYPE] ?? METRIC_TYPE.untyped;
  const family: ProtoFamily = { name, help, type, metric: [] };
  if (type !== METRIC_TYPE.histogram && type !== METRIC_TYPE.summary) {
    const field = type === METRIC_TYPE.counter ? 'counter' : type === METRIC_TYPE.gauge ? 'gauge' : 'untyped';
    for (const v of values) family.metric.push({ label: labelPairs(v.labels, defaults), [field]: { value: v.value } });
    return family;
  }
  const byLabels = new Map<string, { labels: Record<string, string | number>; samples: MetricJSON['values'] }>();
  for (const v of values) {
    const labels: Record<string, string | number> = {};
    for (const label in v.labels) if (label !== 'le' && label !== 'quantile') labels[label] = v.labels[label];
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let group = byLabels.get(key);
    if (group === undefined) byLabels.set(key, (group = { labels, samples: [] }));
    group.samples.push(v);
  }
  for (const { labels, samples } of byLabels.values()) {
    let count = 0;
    let sum = 0;
    const parts: { bound: number; value: number }[] = [];
    for (const s of samples) {
      if (s.metricName === `${name}_count`) count = s.value;
      else if (s.metricName === `${name}_sum`) sum = s.value;
      else {
        const bound = type === METRIC_TYPE.histogram ? s.labels.le : s.labels.quantile;
        if (bound !== '+Inf') parts.push({ bound: Number(bound), value: s.value });
      }
    }
    const metric: ProtoMetric = { label: labelPairs(labels, defaults) };
    if (type === METRIC_TYPE.summary) {
      metric.summary = {
        sampleCount: count,
        sampleSum: sum,
        quantile: parts.map((p) => ({ quantile: p.bound, value: p.value })),
      };
    } else {
      metric.histogram = {
        sampleCount: count,
        sampleSum: sum,
        bucket: parts.map((p) => ({ cumulativeCount: p.value, upperBound: p.bound })),
      };
    }
    family.metric.push(metric);
  }
  return family;
}
