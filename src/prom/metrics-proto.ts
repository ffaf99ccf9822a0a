// The schema of Prometheus' protobuf exposition (package io.prometheus.client), the messages a
// scrape carries, written from the published format description. It lives in a module, not a
// .proto file beside the code, so that an installed package and a bundle find it without a
// file-system lookup.

/** The .proto text protobufjs parses on the first protobuf scrape. */
export const METRICS_PROTO = `// The part of Prometheus' exposition schema (package io.prometheus.client) that tophash/prom
// writes, written from the public specification of the protobuf exposition format. Field numbers
// and types follow that specification; exemplars and timestamps are left out, since tophash writes
// neither. Repeated numbers are marked packed: every conforming parser accepts packed and unpacked
// encodings alike, and packed ones are smaller.
syntax = "proto2";

package io.prometheus.client;

message LabelPair {
  optional string name = 1;
  optional string value = 2;
}

enum MetricType {
  COUNTER = 0;
  GAUGE = 1;
  SUMMARY = 2;
  UNTYPED = 3;
  HISTOGRAM = 4;
  GAUGE_HISTOGRAM = 5;
}

message Gauge {
  optional double value = 1;
}

message Counter {
  optional double value = 1;
}

message Quantile {
  optional double quantile = 1;
  optional double value = 2;
}

message Summary {
  optional uint64 sample_count = 1;
  optional double sample_sum = 2;
  repeated Quantile quantile = 3;
}

message Untyped {
  optional double value = 1;
}

message Histogram {
  optional uint64 sample_count = 1;
  optional double sample_sum = 2;
  // Classic buckets, cumulative, in increasing upper_bound order.
  repeated Bucket bucket = 3;

  // Native buckets: bucket i holds (base^(i-1), base^i] with base = 2^(2^-schema).
  optional sint32 schema = 5;
  optional double zero_threshold = 6;
  optional uint64 zero_count = 7;
  repeated BucketSpan negative_span = 9;
  // Each populated bucket's count minus the previous one's (the first: minus zero).
  repeated sint64 negative_delta = 10 [packed = true];
  repeated BucketSpan positive_span = 12;
  repeated sint64 positive_delta = 13 [packed = true];
}

message Bucket {
  optional uint64 cumulative_count = 1;
  optional double upper_bound = 2;
}

// A run of consecutive bucket indexes: offset is the gap to the previous span's end (for the
// first span, the index of its first bucket), length the number of buckets in the run.
message BucketSpan {
  optional sint32 offset = 1;
  optional uint32 length = 2;
}

message Metric {
  repeated LabelPair label = 1;
  optional Gauge gauge = 2;
  optional Counter counter = 3;
  optional Summary summary = 4;
  optional Untyped untyped = 5;
  optional Histogram histogram = 7;
}

message MetricFamily {
  optional string name = 1;
  optional string help = 2;
  optional MetricType type = 3;
  repeated Metric metric = 4;
}
`;
