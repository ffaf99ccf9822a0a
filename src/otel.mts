// The ES module entry for 'tophash/otel'. It re-exports the CommonJS build so both module
// systems share one set of classes (and one Aggregator class for its instanceof check).
export { TophashMetricProducer } from './otel.js';
export type { TophashMetricProducerOptions, AggregatorSource, PromRegistryLike } from './otel.js';
