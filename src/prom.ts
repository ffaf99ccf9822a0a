/**
 * `tophash/prom`: prom-client's `Histogram`, `Counter`, `Gauge` and `Summary` with the same options and
 * methods, registered in prom-client registries, whose hot path is tophash's {@link tophash!Aggregator}.
 * Swap the import and keep the rest:
 *
 * @example
 * ```ts
 * import { register } from 'prom-client';
 * import { Histogram } from 'tophash/prom'; // was: from 'prom-client'
 *
 * const latency = new Histogram({
 *   name: 'http_request_duration_seconds',
 *   help: 'Request latency',
 *   labelNames: ['route', 'method', 'status_code'],
 * });
 * latency.observe({ route: '/api', method: 'GET', status_code: 200 }, 0.012);
 * const text = await register.metrics(); // includes it, as before
 * ```
 *
 * prom-client is an optional peer dependency of tophash; this entry point needs it installed.
 *
 * @packageDocumentation
 * @module tophash/prom
 */
import './prom/peer-check';
export { Histogram, type HistogramChild, type HistogramOptions } from './prom/histogram';
export type { NativeHistogramOptions } from './prom/native-buckets';
export { PROTOBUF_CONTENT_TYPE } from './prom/protobuf';
export { ClusterRegistry, type SharedMetricOptions } from './prom/cluster';
export { Counter, type CounterChild } from './prom/counter';
export { Gauge, type GaugeChild } from './prom/gauge';
export { Summary, type SummaryChild } from './prom/summary';
export { Registry, type Exposition, type RegistryOptions } from './prom/registry';
export type { LabelValues } from './prom/shared';
export type { SeriesLimitOptions } from './prom/series-policy';
export {
  renderPrometheus,
  renderOpenMetrics,
  escapeLabelValue,
  PROMETHEUS_CONTENT_TYPE,
  OPENMETRICS_CONTENT_TYPE,
} from './metrics/exposition';
export type { ExpositionFamily, ExpositionSeries } from './metrics/exposition';
