// The histogram every W9 system creates: W3's metric name, help, label names
// and prom-client's default buckets, as the options prom-client's Histogram and
// tophash/prom's take (fresh arrays each call: prom-client keeps what it gets).
import { DEFAULT_BUCKETS, LABEL_NAMES } from './w3-events';
import { METRIC_HELP, METRIC_NAME } from './w3-systems';

export function w9HistogramConfig(): { name: string; help: string; labelNames: string[]; buckets: number[] } {
  return { name: METRIC_NAME, help: METRIC_HELP, labelNames: [...LABEL_NAMES], buckets: [...DEFAULT_BUCKETS] };
}
