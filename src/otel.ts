/**
 * `tophash/otel`: {@link TophashMetricProducer}, a `MetricProducer` for `@opentelemetry/sdk-metrics`
 * that feeds tophash/prom metrics, prom-client registries and {@link tophash!Aggregator}s into
 * OpenTelemetry pipelines (an OTLP exporter to a collector, for one).
 *
 * `@opentelemetry/sdk-metrics` is an optional peer dependency of tophash: this entry point uses
 * its types only and loads nothing of it, so it runs wherever the SDK's reader does.
 *
 * @packageDocumentation
 * @module tophash/otel
 */
export { TophashMetricProducer } from './otel/producer';
export type { TophashMetricProducerOptions } from './otel/options';
export type { AggregatorSource } from './otel/aggregator-readings';
export type { PromRegistryLike } from './otel/registry-readings';
