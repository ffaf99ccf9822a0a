// A Histogram's MetricFamily written field by field, the fast road of a protobuf scrape: into
// one byte buffer kept between scrapes (proto-buffer.ts), with no message objects at all, each
// series' label pairs encoded once and reused, and the small bucket and span messages' lengths
// computed rather than forked. Field numbers are the schema's (metrics-proto.ts);
// test/prom.native-histogram.test.ts decodes the result with protobufjs' schema-driven decoder.
import * as protobuf from 'protobufjs';

import type { DenseBuckets, NativeCounts } from './native-buckets';
import { METRIC_TYPE } from './protobuf';
import { ProtoBuffer, putVarint, varintLength, zigzag } from './proto-buffer';

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

/**
 * A family's series as the writer takes them: series i has labels[i], its aggregator row at
 * rows[i * stride] (count, sum, min, max, then the classic per-bucket counts, not cumulative) and,
 * with native buckets, native[i].
 */
export interface HistogramProtoSeries {
  labels: readonly Record<string, string | number>[];
  rows: Float64Array;
  stride: number;
  native: readonly (NativeCounts | undefined)[] | undefined;
  /** Write the classic buckets (always without native counts). */
  classic: boolean;
}

// Where the classic bucket counts start in a row: after count, sum, min and max.
const ROW_BUCKETS = 4;

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

// The most bytes one dense bucket can add: a span message (tag, length, two tagged varints of at
// most 5 bytes) and a delta (a zigzag varint of at most 10 bytes).
const MAX_BYTES_PER_BUCKET = 2 + 6 + 6 + 10;

/**
 * One sign's buckets as spans (runs of populated buckets: the first's offset is its index, each
 * later one's the gap since the previous run) and packed deltas (each count minus the one
 * before), in one scan of the dense counts: spans are written as their runs end, deltas after
 * them into room reserved up front (protobuf fields may come in any order; Prometheus' own
 * client writes spans first too).
 */
function writeSide(w: ProtoBuffer, spanTag: number, deltaTag: number, buckets: DenseBuckets): void {
  const { counts, offset } = buckets;
  const n = counts.length;
  w.reserve(n * MAX_BYTES_PER_BUCKET + 8);
  const buf = w.buf;
  let pos = w.pos;
  let populated = 0;
  // The end of the previous run, -1 before the first (whose offset is its index).
  let previousEnd = -1;
  let at = 0;
  for (;;) {
    while (at < n && counts[at] === 0) at++;
    if (at === n) break;
    const runStart = at;
    while (at < n && counts[at] !== 0) at++;
    const length = at - runStart;
    populated += length;
    const spanOffset = zigzag(previousEnd < 0 ? offset + runStart : runStart - previousEnd);
    previousEnd = at;
    buf[pos++] = spanTag;
    buf[pos++] = 2 + varintLength(spanOffset) + varintLength(length);
    buf[pos++] = SPAN_OFFSET;
    pos = putVarint(buf, pos, spanOffset);
    buf[pos++] = SPAN_LENGTH;
    pos = putVarint(buf, pos, length);
  }
  w.pos = pos;
  if (populated === 0) return;
  w.varint(deltaTag).fork();
  w.reserve(populated * 10);
  const out = w.buf;
  pos = w.pos;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const count = counts[i];
    if (count === 0) continue;
    const delta = zigzag(count - previous);
    if (delta < 128) out[pos++] = delta;
    else pos = putVarint(out, pos, delta);
    previous = count;
  }
  w.pos = pos;
  w.ldelim();
}

const writer = new ProtoBuffer();

/** A family's classic bounds, each as the bytes that end its Bucket message: the bound's tag and double. */
interface BoundBytes {
  readonly count: number;
  readonly bytes: Uint8Array;
}

const BOUND_BYTES = 9;
// A Bucket: tag, length, count's tag, a count varint of at most 10 bytes, then BOUND_BYTES.
const MAX_BUCKET_BYTES = 3 + 10 + BOUND_BYTES;

function boundBytes(bounds: readonly number[]): BoundBytes {
  const bytes = new Uint8Array(bounds.length * BOUND_BYTES);
  const view = new DataView(bytes.buffer);
  for (let b = 0; b < bounds.length; b++) {
    bytes[b * BOUND_BYTES] = BUCKET_BOUND;
    view.setFloat64(b * BOUND_BYTES + 1, bounds[b], true);
  }
  return { count: bounds.length, bytes };
}

/** The classic buckets, cumulative, each a Bucket message whose bound bytes are copied, not encoded. */
function writeClassic(w: ProtoBuffer, bounds: BoundBytes, rows: Float64Array, row: number): void {
  w.reserve(bounds.count * MAX_BUCKET_BYTES);
  const buf = w.buf;
  const template = bounds.bytes;
  let pos = w.pos;
  let cumulative = 0;
  for (let b = 0; b < bounds.count; b++) {
    cumulative += rows[row + ROW_BUCKETS + b];
    buf[pos++] = BUCKET;
    buf[pos++] = 1 + varintLength(cumulative) + BOUND_BYTES;
    buf[pos++] = BUCKET_COUNT;
    pos = putVarint(buf, pos, cumulative);
    for (let k = b * BOUND_BYTES, end = k + BOUND_BYTES; k < end; k++) buf[pos++] = template[k];
  }
  w.pos = pos;
}

// The bytes the last Metric and Histogram messages' lengths took: the next series of a family is
// about as long, so reserving as much room for its length saves moving its bytes.
const lengthBytes = { metric: 1, histogram: 1 };

/** One Metric message: label pairs, then the histogram, classic buckets cumulative. */
function writeMetric(
  w: ProtoBuffer,
  labelPairs: readonly Uint8Array[],
  bounds: BoundBytes,
  rows: Float64Array,
  row: number,
  native: NativeCounts | undefined,
): void {
  w.varint(FAMILY_METRIC).fork(lengthBytes.metric);
  for (const pair of labelPairs) w.varint(METRIC_LABEL).bytes(pair);
  w.varint(METRIC_HISTOGRAM).fork(lengthBytes.histogram);
  // With native buckets, count and sum come from the native counts, so they agree with them exactly.
  w.varint(SAMPLE_COUNT).varint(native === undefined ? rows[row] : native.count);
  w.varint(SAMPLE_SUM).double(native === undefined ? rows[row + 1] : native.sum);
  writeClassic(w, bounds, rows, row);
  if (native !== undefined) {
    w.varint(SCHEMA).sint(native.schema).varint(ZERO_THRESHOLD).double(native.zeroThreshold);
    w.varint(ZERO_COUNT).varint(native.zeroCount);
    writeSide(w, NEGATIVE_SPAN, NEGATIVE_DELTA, native.negative);
    writeSide(w, POSITIVE_SPAN, POSITIVE_DELTA, native.positive);
  }
  lengthBytes.histogram = w.ldelim();
  lengthBytes.metric = w.ldelim();
}

/**
 * The family as one length-delimited MetricFamily message. The per-series work is its own
 * function: as one loop body here V8 compiled it on-stack and then bailed out of that code at the
 * end of every later call.
 */
export function encodeHistogramFamily(
  name: string,
  help: string,
  bounds: readonly number[],
  series: HistogramProtoSeries,
  defaults: Record<string, string | number>,
): Uint8Array {
  const w = writer;
  // A failed encode may have left a message open: start clean.
  w.finish();
  const { labels, rows, stride, native } = series;
  const classic = boundBytes(series.classic || native === undefined ? bounds : []);
  w.fork();
  w.varint(FAMILY_NAME).string(name).varint(FAMILY_HELP).string(help).varint(FAMILY_TYPE).varint(METRIC_TYPE.histogram);
  for (let i = 0; i < labels.length; i++) {
    writeMetric(w, labelBytes(labels[i], defaults), classic, rows, i * stride, native?.[i]);
  }
  w.ldelim();
  return w.finish();
}
