// The ES module entry for 'tophash/prom'. It re-exports the CommonJS build so
// both module systems share one prom-client instance and one set of classes.
export {
  Histogram,
  Counter,
  Gauge,
  Summary,
  Registry,
  ClusterRegistry,
  renderPrometheus,
  renderOpenMetrics,
  escapeLabelValue,
  PROMETHEUS_CONTENT_TYPE,
  OPENMETRICS_CONTENT_TYPE,
  PROTOBUF_CONTENT_TYPE,
} from './prom.js';
export type {
  LabelValues,
  HistogramChild,
  HistogramOptions,
  SharedMetricOptions,
  SeriesLimitOptions,
  RegistryOptions,
  Exposition,
  NativeHistogramOptions,
  CounterChild,
  GaugeChild,
  SummaryChild,
  ExpositionFamily,
  ExpositionSeries,
} from './prom.js';
