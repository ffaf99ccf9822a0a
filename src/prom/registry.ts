// tophash/prom's Registry, and the fast text path it gives the prom-client registries that a
// tophash metric registers in.
import * as client from 'prom-client';

import { renderFamilyBody, renderFamilySamples } from '../metrics/exposition';
import { typeError } from '../runtime/errors';
import { registerSelfMetrics } from './self-metrics';
import { acceptsProtobuf } from './negotiate';
import { encodeFamilies, familyFromJSON, PROTOBUF_CONTENT_TYPE } from './protobuf';
import { FAMILY, isObject, PROTO, TEXT, type RendersFamily, type RendersText } from './shared';

/** What {@link Registry.metricsFor} returns: the scrape's `Content-Type` and body. */
export interface Exposition {
  /** The `Content-Type` header to send with `body`. */
  contentType: string;
  /** Text in the registry's own format, or length-delimited protobuf MetricFamily messages. */
  body: string | Uint8Array;
}

const NO_LABELS: Record<string, string | number> = Object.freeze({});

interface EncodesProto {
  [PROTO](defaults: Record<string, string | number>): Promise<Uint8Array>;
}

function encodesProto(metric: unknown): metric is EncodesProto {
  return isObject(metric) && PROTO in metric;
}

/** tophash's options for {@link Registry}. */
export interface RegistryOptions {
  /**
   * Adds metrics about the registry's tophash metrics, each labelled `metric="<name>"`:
   * `tophash_series` (series held, the overflow series included), `tophash_overflow_events_total`
   * (events sent to the overflow series past `maxSeries`), `tophash_expired_series_total` (series
   * removed by `ttl`) and `tophash_memory_bytes` (the aggregator's off-heap bytes plus an estimate
   * of the series' JavaScript heap). Default false.
   */
  selfMetrics?: boolean;
}

function rendersFamily(metric: unknown): metric is RendersFamily {
  return isObject(metric) && FAMILY in metric;
}

function rendersText(metric: unknown): metric is RendersText {
  return isObject(metric) && TEXT in metric;
}

type FormatMetric = (this: client.Registry, metric: unknown) => Promise<string>;

const FAST_FORMAT = Symbol('tophash.prom.fastFormat');

/**
 * A registry's text for one metric: tophash metrics rendered from the aggregator by
 * src/metrics/exposition.ts, anything else (and everything once default labels are set) by prom-client.
 */
async function formatMetric(registry: client.Registry, metric: unknown, promClient: FormatMetric): Promise<string> {
  const defaults = (registry as unknown as { _defaultLabels?: object })._defaultLabels;
  const ours = rendersText(metric) || rendersFamily(metric);
  if (!ours || (defaults !== undefined && Object.keys(defaults).length > 0)) {
    return promClient.call(registry, metric);
  }
  const openMetrics = (registry.contentType as string) === client.Registry.OPENMETRICS_CONTENT_TYPE;
  // Without the final newline: prom-client's metrics() joins the families itself.
  if (rendersText(metric)) return (await metric[TEXT](openMetrics)).slice(0, -1);
  const [family, ...more] = await metric[FAMILY]();
  let text = renderFamilyBody(family, openMetrics);
  for (const part of more) text += '\n' + renderFamilySamples(part, openMetrics);
  return text;
}

/**
 * Gives a prom-client registry that a tophash metric registers into the fast text path: its
 * `getMetricsAsString` (what `metrics()` calls per metric) gets an own override that renders
 * tophash metrics itself and calls the original for the rest. Only that one method of that one
 * instance changes; `get()`, `getMetricsAsJSON()`, `merge` and prom-client's own metrics are
 * untouched. A prom-client without that method keeps the (slower) compatible path.
 */
function useFastFormat(registry: client.Registry): void {
  if (!isObject(registry) || registry instanceof Registry || FAST_FORMAT in registry) return;
  const original = (registry as unknown as { getMetricsAsString?: unknown }).getMetricsAsString;
  if (typeof original !== 'function') return;
  Object.defineProperty(registry, 'getMetricsAsString', {
    value: function (this: client.Registry, metric: unknown) {
      return formatMetric(this, metric, original as FormatMetric);
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(registry, FAST_FORMAT, { value: true });
}

export function fastFormatRegisters(metric: { registers?: unknown }): void {
  if (Array.isArray(metric.registers))
    for (const registry of metric.registers) useFastFormat(registry as client.Registry);
}

/**
 * A prom-client `Registry` that renders tophash metrics with tophash's own exposition code
 * (several times faster than prom-client's formatting) and everything else as prom-client does.
 * prom-client registries that a tophash metric registers in (the global `register` included) get
 * the same fast path for that metric; this class has it built in, for registries created before
 * any tophash metric or filled by `merge`. `metrics()`, `getMetricsAsJSON()`, `contentType`,
 * `setDefaultLabels` and `Registry.merge` work unchanged. With default labels set, everything is
 * formatted the prom-client way. In the fast text, labels follow `labelNames` order with `le`
 * last, and a missing label is written as `label=""` (the same series for Prometheus).
 */
export class Registry<
  ContentType extends client.RegistryContentType = client.PrometheusContentType,
> extends client.Registry<ContentType> {
  /**
   * Creates an empty registry.
   *
   * @param contentType - `Registry.PROMETHEUS_CONTENT_TYPE` (default) or `Registry.OPENMETRICS_CONTENT_TYPE`
   * @param options - see {@link RegistryOptions}
   */
  constructor(contentType?: ContentType, options?: RegistryOptions);
  /**
   * Creates an empty registry with the default content type.
   *
   * @param options - see {@link RegistryOptions}
   */
  constructor(options: RegistryOptions);
  constructor(contentType?: ContentType | RegistryOptions, options?: RegistryOptions) {
    super();
    if (isObject(contentType)) {
      options = contentType;
      contentType = undefined;
    }
    if (contentType !== undefined) this.setContentType(contentType);
    if (options === undefined) return;
    if (!isObject(options)) throw typeError('an options object', 'options', options);
    const { selfMetrics = false } = options;
    if (typeof selfMetrics !== 'boolean') throw typeError('a boolean', 'options.selfMetrics', selfMetrics);
    if (selfMetrics) registerSelfMetrics(this as unknown as client.Registry);
  }

  /**
   * The exposition text of every metric, as prom-client's `metrics()`. In the Prometheus format the
   * families are joined with `+` rather than `Array#join`: V8 then links the (with thousands of
   * histogram series, many-megabyte) texts instead of copying them on the event loop.
   */
  async metrics(): Promise<string> {
    if ((this.contentType as string) !== client.Registry.PROMETHEUS_CONTENT_TYPE) return super.metrics();
    const parts = await Promise.all(this.getMetricsAsArray().map((metric) => this.getMetricsAsString(metric)));
    let out = '';
    for (let i = 0; i < parts.length; i++) out += i === 0 ? parts[i] : '\n\n' + parts[i];
    return out + '\n';
  }

  /**
   * The exposition a scrape's `Accept` header asks for: Prometheus' protobuf format
   * (`application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited`),
   * which carries native histograms, when the header ranks it at least as high as anything else;
   * otherwise the registry's text (`metrics()` and `contentType`). Every metric is in the protobuf:
   * counters, gauges, summaries and classic histograms as well as native ones.
   *
   * @param accept - the request's `Accept` header (`req.headers.accept`), if any
   * @returns the `Content-Type` to send and the body: a string for text, a `Uint8Array` for protobuf
   *
   * @example
   * ```ts
   * const { contentType, body } = await registry.metricsFor(req.headers.accept);
   * res.writeHead(200, { 'content-type': contentType }).end(body);
   * ```
   */
  async metricsFor(accept?: string): Promise<Exposition> {
    if (!acceptsProtobuf(accept)) return { contentType: this.contentType, body: await this.metrics() };
    // One object while the labels stay, so each series' encoded label pairs can be reused.
    const defaults =
      (this as unknown as { _defaultLabels?: Record<string, string | number> })._defaultLabels ?? NO_LABELS;
    const parts = await Promise.all(
      this.getMetricsAsArray().map(async (metric) =>
        encodesProto(metric)
          ? metric[PROTO](defaults)
          : encodeFamilies([familyFromJSON(await (metric as unknown as client.Metric).get(), defaults)]),
      ),
    );
    return { contentType: PROTOBUF_CONTENT_TYPE, body: parts.length === 1 ? parts[0] : Buffer.concat(parts) };
  }

  /**
   * The text of one metric, without a trailing newline (prom-client joins metrics itself).
   *
   * @param metric - a registered metric
   */
  async getMetricsAsString(metric: unknown): Promise<string> {
    const base = client.Registry.prototype as unknown as { getMetricsAsString: FormatMetric };
    return formatMetric(this as unknown as client.Registry, metric, base.getMetricsAsString);
  }

  /**
   * One registry holding the metrics of all of `registers` (prom-client's `Registry.merge`,
   * returning this class).
   *
   * @param registers - registries with the same content type
   */
  static merge(registers: client.Registry[]): client.Registry {
    const merged = client.Registry.merge(registers);
    const ours = new Registry<client.RegistryContentType>(merged.contentType);
    for (const metric of merged.getMetricsAsArray()) ours.registerMetric(metric as unknown as client.Metric);
    return ours as unknown as client.Registry;
  }
}
