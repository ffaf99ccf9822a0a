// A Histogram's MetricFamily written field by field with protobufjs' Writer, the fast road of a
// protobuf scrape: no message objects per bucket, each series' label pairs encoded once and
// reused, and varint lengths computed rather than forked for the many small bucket messages.
// Field numbers are the schema's (metrics-proto.ts); test/prom.native-histogram.test.ts decodes the result with
// the schema-driven decoder.
import * as protobuf from 'protobufjs';

import type { DenseBuckets, NativeCounts } from './native-buckets';
import { METRIC_TYPE } from './protobuf';

// Tags: field number << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited).
const FAMILY_NAME = 10;
const FAMILY_HELP = 18;
const FAMILY_TYPE = 24;
const FAMILY_METRIC = 34;
const METRIC_LABEL = 10;
const METRIC_HISTOGRAM = 58;
const SAMPLE_COUNT = 8;
const SAMPLE_SUM = 17;
const BUCKET = 26;
const BUCKET_COUNT = 8;
const BUCKET_BOUND = 17;
const SCHEMA = 40;
const ZERO_THRESHOLD = 49;
const ZERO_COUNT = 56;
const NEGATIVE_SPAN = 74;
const NEGATIVE_DELTA = 82;
const POSITIVE_SPAN = 98;
const POSITIVE_DELTA = 106;
const SPAN_OFFSET = 8;
const SPAN_LENGTH = 16;

/** One series as the writer takes it. */
export interface HistogramProtoSeries {
  labels: Record<string, string | number>;
  count: number;
  sum: number;
  /** Per-bucket counts (not cumulative) for the classic bounds, if any were recorded. */
  hist: ArrayLike<number> | undefined;
  native: NativeCounts | undefined;
}

function varintLength(n: number): number {
  let length = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    length++;
  }
  return length;
}

// uint32 is protobufjs' fast path; larger counts (past 2^32) take uint64's.
function writeCount(w: protobuf.Writer, n: number): void {
  if (n < 4294967296) w.uint32(n);
  else w.uint64(n);
}

const labelCache = new WeakMap<object, { defaults: object; bytes: Uint8Array[] }>();

/** A series' LabelPair messages, encoded once per label object (and default labels). */
function labelBytes(labels: Record<string, string | number>, defaults: Record<string, string | number>): Uint8Array[] {
  const cached = labelCache.get(labels);
  if (cached !== undefined && cached.defaults === defaults) return cached.bytes;
  const bytes: Uint8Array[] = [];
  const pair = (name: string, value: string | number) =>
    bytes.push(protobuf.Writer.create().uint32(10).string(name).uint32(18).string(String(value)).finish());
  for (const name in labels) pair(name, labels[name]);
  for (const name in defaults) if (!(name in labels)) pair(name, defaults[name]);
  labelCache.set(labels, { defaults, bytes });
  return bytes;
}

function writeSpan(w: protobuf.Writer, tag: number, offset: number, length: number): void {
  // sint32's zigzag: (offset << 1) ^ (offset >> 31).
  const zigzag = offset >= 0 ? offset * 2 : -offset * 2 - 1;
  w.uint32(tag).uint32(2 + varintLength(zigzag) + varintLength(length));
  w.uint32(SPAN_OFFSET).sint32(offset).uint32(SPAN_LENGTH).uint32(length);
}

/**
 * One sign's buckets as spans (runs of populated buckets: the first's offset is its index, each
 * later one's the gap since the previous run) and packed deltas (each count minus the one
 * before): two scans of the dense counts, with no span or delta arrays per series.
 */
function writeSide(w: protobuf.Writer, spanTag: number, deltaTag: number, buckets: DenseBuckets): void {
  const { counts, offset } = buckets;
  let runStart = -1;
  let previousEnd = 0;
  let populated = 0;
  for (let at = 0; at <= counts.length; at++) {
    const filled = at < counts.length && counts[at] !== 0;
    if (filled) populated++;
    if (filled && runStart < 0) runStart = at;
    else if (!filled && runStart >= 0) {
      writeSpan(w, spanTag, populated === at - runStart ? offset + runStart : runStart - previousEnd, at - runStart);
      previousEnd = at;
      runStart = -1;
    }
  }
  if (populated === 0) return;
  w.uint32(deltaTag).fork();
  let previous = 0;
  for (let at = 0; at < counts.length; at++) {
    const count = counts[at];
    if (count === 0) continue;
    // Deltas between bucket counts fit sint32, whose zigzag varint is sint64's for the same value.
    const d = count - previous;
    if (d >= -2147483648 && d <= 2147483647) w.sint32(d);
    else w.sint64(d);
    previous = count;
  }
  w.ldelim();
}

/** The family as one length-delimited MetricFamily message. */
export function encodeHistogramFamily(
  name: string,
  help: string,
  bounds: readonly number[],
  series: Iterable<HistogramProtoSeries>,
  defaults: Record<string, string | number>,
): Uint8Array {
  const w = protobuf.Writer.create();
  w.fork();
  w.uint32(FAMILY_NAME).string(name).uint32(FAMILY_HELP).string(help).uint32(FAMILY_TYPE).uint32(METRIC_TYPE.histogram);
  for (const s of series) {
    w.uint32(FAMILY_METRIC).fork();
    for (const pair of labelBytes(s.labels, defaults)) w.uint32(METRIC_LABEL).bytes(pair);
    w.uint32(METRIC_HISTOGRAM).fork();
    // With native buckets, count and sum come from the native counts, so they agree with them exactly.
    const native = s.native;
    w.uint32(SAMPLE_COUNT);
    writeCount(w, native === undefined ? s.count : native.count);
    w.uint32(SAMPLE_SUM).double(native === undefined ? s.sum : native.sum);
    let cumulative = 0;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += s.hist === undefined ? 0 : s.hist[i];
      w.uint32(BUCKET)
        .uint32(10 + varintLength(cumulative))
        .uint32(BUCKET_COUNT);
      writeCount(w, cumulative);
      w.uint32(BUCKET_BOUND).double(bounds[i]);
    }
    if (native !== undefined) {
      w.uint32(SCHEMA).sint32(native.schema).uint32(ZERO_THRESHOLD).double(native.zeroThreshold);
      w.uint32(ZERO_COUNT);
      writeCount(w, native.zeroCount);
      writeSide(w, NEGATIVE_SPAN, NEGATIVE_DELTA, native.negative);
      writeSide(w, POSITIVE_SPAN, POSITIVE_DELTA, native.positive);
    }
    w.ldelim();
    w.ldelim();
  }
  w.ldelim();
  return w.finish();
}
