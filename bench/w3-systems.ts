// The systems W3 compares: how each one aggregates the events, resets between
// samples, reads its totals back, and renders a scrape.
//
// tophash's Aggregator and its prom-client drop-in (`tophash/prom`) are looked
// up at run time and typed here by the shape the contract fixes
// (the README's Aggregator and tophash/prom sections), so the workload still
// runs — baselines only, the missing rows marked "not available" — against a
// build that does not export them.
import * as path from 'node:path';
import { AggregationType, MeterProvider, MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import type { Histogram as OtelHistogram } from '@opentelemetry/api';
import { Histogram as PromHistogram, Registry } from 'prom-client';
import * as tophash from '../src/index';
import {
  BUCKET_SLOTS,
  DEFAULT_BUCKETS,
  LABEL_NAMES,
  bucketSlot,
  type Events,
  type LabelSpace,
  type ReportedSeries,
} from './w3-events';

export const METRIC_NAME = 'http_request_duration_seconds';
export const METRIC_HELP = 'HTTP request latency (W3 benchmark)';
/** Events per recordBatch call: the Aggregator's default batchSize, one native crossing each. */
export const RECORD_BATCH_EVENTS = 4096;

/** One label set's totals as a system reports them; buckets are per slot, not cumulative. */
export type SeriesTotals = ReportedSeries;

export interface System {
  id: string;
  /** Table label: the letter WORKLOADS.md gives the system, and the API. */
  label: string;
  /** Chart label. */
  short: string;
  group: 'baseline' | 'tophash';
  /** null when it can run here, else why not (shown in the report row). */
  unavailable(): string | null;
  /** Untimed, before every sample: fresh, empty state (and anything resolved per combo). */
  setup(ev: Events): void;
  /** The timed region: every event into the aggregation, staged events flushed. */
  run(ev: Events): void;
  /** The state after the last sample, for verification. */
  readout(ev: Events): Promise<SeriesTotals[]>;
  teardown(): void;
}

// ---------------------------------------------------------------------------
// tophash, looked up at run time

type LabelValues = Record<string, string>;

interface AggValueLike {
  count: number;
  sum: number;
  hist?: ArrayLike<number>;
}

interface AggregatorLike {
  record(key: unknown, value: number): void;
  recordBatch(keys: Uint32Array, values: Float64Array): void;
  handle(key: unknown): { record(value: number): void };
  flush(): void;
  entries(): IterableIterator<[unknown, AggValueLike]>;
  readonly size: number;
  toPrometheus(opts: { name: string; help: string }): string;
  close(): void;
}

type AggregatorCtor = new (options: {
  key: 'u64' | { labels: readonly string[] };
  hist: { buckets: readonly number[] };
}) => AggregatorLike;

interface DropInHistogram {
  observe(labels: LabelValues, value: number): void;
  labels(...values: string[]): { observe(value: number): void };
  get(): Promise<{ values: { labels: Record<string, string | number>; value: number; metricName?: string }[] }>;
  flush?(): void;
}

type DropInHistogramCtor = new (config: {
  name: string;
  help: string;
  labelNames: readonly string[];
  buckets: readonly number[];
  registers: Registry[];
}) => DropInHistogram;

function findAggregator(): AggregatorCtor | null {
  const ctor = (tophash as unknown as { Aggregator?: unknown }).Aggregator;
  return typeof ctor === 'function' ? (ctor as AggregatorCtor) : null;
}

interface DropInModule {
  Histogram: DropInHistogramCtor;
  /** tophash/prom's own Registry (renders its metrics with tophash's exposition code), if it has one. */
  Registry: (new () => Registry) | null;
  from: string;
}

/** Where 'tophash/prom' was found, or why not. */
let dropIn: DropInModule | { missing: string } | null = null;

function findDropIn(): DropInModule | { missing: string } {
  if (dropIn !== null) return dropIn;
  // The package's own name first (package.json "exports" './prom'), then the
  // compiled module beside dist/src/index.js.
  const candidates = ['tophash/prom', path.join(__dirname, '../src/prom'), path.join(__dirname, '../src/prom/index')];
  for (const spec of candidates) {
    let mod: { Histogram?: unknown; Registry?: unknown };
    try {
      // A module found at run time among candidates: only require() tries a computed name.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(spec) as { Histogram?: unknown; Registry?: unknown };
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') continue;
      throw e;
    }
    if (typeof mod.Histogram === 'function') {
      const registry = typeof mod.Registry === 'function' ? (mod.Registry as new () => Registry) : null;
      dropIn = { Histogram: mod.Histogram as DropInHistogramCtor, Registry: registry, from: spec };
      return dropIn;
    }
  }
  dropIn = { missing: "not available: the build exports no 'tophash/prom' Histogram" };
  return dropIn;
}

const AGG_MISSING = 'not available: the build exports no Aggregator';

export function aggregatorUnavailable(): string | null {
  return findAggregator() === null ? AGG_MISSING : null;
}

/** The scrape row needs toPrometheus() as well, which may land after the Aggregator itself. */
export function expositionUnavailable(): string | null {
  const Aggregator = findAggregator();
  if (Aggregator === null) return AGG_MISSING;
  const proto = Aggregator.prototype as Partial<AggregatorLike>;
  return typeof proto.toPrometheus === 'function' ? null : 'not available: the build has no Aggregator#toPrometheus';
}

// ---------------------------------------------------------------------------
// read-outs

type PromValues = { labels: Record<string, string | number>; value: number; metricName?: string }[];

/** prom-client's `get()` shape (also the drop-in's): _bucket (cumulative, with le), _sum, _count. */
function fromPromValues(values: PromValues, space: LabelSpace): SeriesTotals[] {
  const bySeries = new Map<number, { combo: number; count: number; sum: number; cumulative: Float64Array }>();
  for (const v of values) {
    const l = v.labels;
    const combo = space.index.get(`${l.route}|${l.method}|${l.status}`);
    if (combo === undefined) throw new Error(`W3: read-out has an unknown label set ${JSON.stringify(l)}`);
    let s = bySeries.get(combo);
    if (s === undefined) {
      s = { combo, count: 0, sum: 0, cumulative: new Float64Array(BUCKET_SLOTS) };
      bySeries.set(combo, s);
    }
    const name = v.metricName ?? '';
    if (name.endsWith('_count')) s.count = v.value;
    else if (name.endsWith('_sum')) s.sum = v.value;
    else if (name.endsWith('_bucket')) {
      const slot = l.le === '+Inf' ? DEFAULT_BUCKETS.length : DEFAULT_BUCKETS.indexOf(Number(l.le));
      if (slot < 0) throw new Error(`W3: read-out has an unknown bucket le=${String(l.le)}`);
      s.cumulative[slot] = v.value;
    }
  }
  const out: SeriesTotals[] = [];
  for (const s of bySeries.values()) {
    const buckets = new Float64Array(BUCKET_SLOTS);
    for (let i = 0; i < BUCKET_SLOTS; i++) buckets[i] = s.cumulative[i] - (i > 0 ? s.cumulative[i - 1] : 0);
    out.push({ combo: s.combo, count: s.count, sum: s.sum, buckets });
  }
  return out;
}

function fromAggregator(agg: AggregatorLike, comboOf: (key: unknown) => number | undefined): SeriesTotals[] {
  const out: SeriesTotals[] = [];
  for (const [key, v] of agg.entries()) {
    const combo = comboOf(key);
    if (combo === undefined) throw new Error(`W3: Aggregator read-out has an unknown key ${JSON.stringify(key)}`);
    out.push({ combo, count: v.count, sum: v.sum, buckets: v.hist === undefined ? null : Float64Array.from(v.hist) });
  }
  return out;
}

function labelKeyToCombo(space: LabelSpace): (key: unknown) => number | undefined {
  return (key) => {
    const l = key as LabelValues;
    return space.index.get(`${l.route}|${l.method}|${l.status}`);
  };
}

// ---------------------------------------------------------------------------
// every system: one state object, made afresh before each sample

type SystemInfo = Pick<System, 'id' | 'short' | 'label' | 'group' | 'unavailable'>;

/**
 * A system around state S: `make` builds it (untimed, before every sample), `run` is the timed
 * loop, `readout` reads the last sample's totals, `dispose` frees it. Each caller passes its own
 * `run` literal, so every system's hot loop is a function of its own whose call sites stay
 * monomorphic (a loop shared by prom-client and tophash would compare them through one
 * polymorphic site).
 */
function stateful<S>(
  info: SystemInfo,
  make: (ev: Events) => S,
  run: (state: S, ev: Events) => void,
  readout: (state: S, ev: Events) => Promise<SeriesTotals[]> | SeriesTotals[],
  dispose: (state: S) => void = () => {},
): System {
  let state: S | null = null;
  const drop = () => {
    if (state !== null) dispose(state);
    state = null;
  };
  return {
    ...info,
    setup(ev) {
      drop();
      state = make(ev);
    },
    run: (ev) => run(state!, ev),
    readout: async (ev) => readout(state!, ev),
    teardown: drop,
  };
}

/** A histogram and its children, one per combo. */
function childrenOf<H extends { labels(...values: string[]): { observe(v: number): void } }>(
  hist: H,
  space: LabelSpace,
): { hist: H; children: { observe(v: number): void }[] } {
  const { route, method, status } = space;
  return { hist, children: route.map((_, c) => hist.labels(route[c], method[c], status[c])) };
}

// ---------------------------------------------------------------------------
// baselines

function promHistogram(registry: Registry): PromHistogram<string> {
  return new PromHistogram({
    name: METRIC_NAME,
    help: METRIC_HELP,
    labelNames: [...LABEL_NAMES],
    buckets: [...DEFAULT_BUCKETS],
    registers: [registry],
  });
}

const promReadout = async (hist: { get(): Promise<{ values: unknown }> }, ev: Events) =>
  fromPromValues((await hist.get()).values as PromValues, ev.space);

function promLabelObjects(): System {
  return stateful(
    {
      id: 'prom-client',
      short: '(a) prom-client observe(labels)',
      label: '(a) prom-client Histogram observe(labels, v), fresh label object',
      group: 'baseline',
      unavailable: () => null,
    },
    () => promHistogram(new Registry()),
    (h, ev) => {
      const { route, method, status } = ev.space;
      const { combo, latency } = ev;
      for (let i = 0; i < combo.length; i++) {
        const c = combo[i];
        h.observe({ route: route[c], method: method[c], status: status[c] }, latency[i]);
      }
    },
    promReadout,
  );
}

function promChildren(): System {
  return stateful(
    {
      id: 'prom-client-child',
      short: '(b) prom-client child',
      label: '(b) prom-client child labels(...) cached per combo',
      group: 'baseline',
      unavailable: () => null,
    },
    (ev) => childrenOf(promHistogram(new Registry()), ev.space),
    ({ children }, ev) => {
      const { combo, latency } = ev;
      for (let i = 0; i < combo.length; i++) children[combo[i]].observe(latency[i]);
    },
    ({ hist }, ev) => promReadout(hist, ev),
  );
}

/** A reader that exports nowhere: collect() is the only way out, as with a pull exporter. */
class NoExportReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

export interface OtelState {
  reader: NoExportReader;
  histogram: OtelHistogram;
}

export function otelState(): OtelState {
  const reader = new NoExportReader();
  const provider = new MeterProvider({
    readers: [reader],
    views: [
      {
        instrumentName: METRIC_NAME,
        aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...DEFAULT_BUCKETS] } },
        // The SDK's default limit (2000) would fold the 10k-series scrape into an overflow series.
        aggregationCardinalityLimit: 1_000_000,
      },
    ],
  });
  const histogram = provider
    .getMeter('tophash-bench-w3')
    .createHistogram(METRIC_NAME, { description: METRIC_HELP, unit: 's' });
  return { reader, histogram };
}

/**
 * A fresh OTel state with every event of ev recorded, and each combo's attributes (the scrape
 * rows' starting point).
 */
export function recordedOtelState(ev: Events): { state: OtelState; attrs: Record<string, string>[] } {
  const state = otelState();
  const { route, method, status } = ev.space;
  const attrs = route.map((_, c) => ({ route: route[c], method: method[c], status: status[c] }));
  for (let i = 0; i < ev.n; i++) state.histogram.record(ev.latency[i], attrs[ev.combo[i]]);
  return { state, attrs };
}

export async function otelReadout(reader: MetricReader, space: LabelSpace): Promise<SeriesTotals[]> {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new Error(`W3: OTel collect() reported ${errors.length} errors: ${String(errors[0])}`);
  const out: SeriesTotals[] = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      for (const dp of (metric as HistogramMetricData).dataPoints) {
        const a = dp.attributes;
        const combo = space.index.get(`${String(a.route)}|${String(a.method)}|${String(a.status)}`);
        if (combo === undefined) throw new Error(`W3: OTel read-out has an unknown attribute set ${JSON.stringify(a)}`);
        out.push({
          combo,
          count: dp.value.count,
          sum: dp.value.sum ?? NaN,
          buckets: Float64Array.from(dp.value.buckets.counts),
        });
      }
    }
  }
  return out;
}

function otel(): System {
  return stateful(
    {
      id: 'otel',
      short: '(c) OTel record(v, attrs)',
      label: '(c) OpenTelemetry sdk-metrics histogram.record(v, attrs)',
      group: 'baseline',
      unavailable: () => null,
    },
    otelState,
    ({ histogram: h }, ev) => {
      const { route, method, status } = ev.space;
      const { combo, latency } = ev;
      for (let i = 0; i < combo.length; i++) {
        const c = combo[i];
        h.record(latency[i], { route: route[c], method: method[c], status: status[c] });
      }
    },
    (state, ev) => otelReadout(state.reader, ev.space),
  );
}

interface JsEntry {
  count: number;
  sum: number;
  buckets: Float64Array;
}

function newEntry(): JsEntry {
  return { count: 0, sum: 0, buckets: new Float64Array(BUCKET_SLOTS) };
}

function addTo(e: JsEntry, v: number): void {
  e.count++;
  e.sum += v;
  e.buckets[bucketSlot(v)]++;
}

function jsEntriesReadout(entries: Iterable<[number, JsEntry]>): SeriesTotals[] {
  const out: SeriesTotals[] = [];
  for (const [combo, e] of entries) out.push({ combo, count: e.count, sum: e.sum, buckets: e.buckets });
  return out;
}

function jsMap(): System {
  return stateful(
    {
      id: 'js-map',
      short: '(d) JS Map, string key per event',
      label: '(d) hand-written Map<string, {count, sum, buckets}>, key string per event',
      group: 'baseline',
      unavailable: () => null,
    },
    () => new Map<string, JsEntry>(),
    (m, ev) => {
      const { route, method, status } = ev.space;
      const { combo, latency } = ev;
      for (let i = 0; i < combo.length; i++) {
        const c = combo[i];
        const key = `${route[c]}|${method[c]}|${status[c]}`;
        let e = m.get(key);
        if (e === undefined) {
          e = newEntry();
          m.set(key, e);
        }
        addTo(e, latency[i]);
      }
    },
    (map, ev) => jsEntriesReadout([...map].map(([k, e]): [number, JsEntry] => [ev.space.index.get(k) ?? -1, e])),
  );
}

// The cheapest plain-JS design (no key at all), but no lower bound: tophash's
// handles, aggregating natively, measure faster than it.
function preResolved(): System {
  return stateful(
    {
      id: 'js-pre-resolved',
      short: '(e) JS array, pre-resolved entry',
      label: '(e) hand-written JS array of entries indexed by combo (no key lookup)',
      group: 'baseline',
      unavailable: () => null,
    },
    (ev) => ev.space.key.map(() => newEntry()),
    (es, ev) => {
      const { combo, latency } = ev;
      for (let i = 0; i < combo.length; i++) addTo(es[combo[i]], latency[i]);
    },
    (entries) => jsEntriesReadout(entries.map((e, c): [number, JsEntry] => [c, e]).filter(([, e]) => e.count > 0)),
  );
}

// ---------------------------------------------------------------------------
// tophash

export function labelsAggregator(): AggregatorLike {
  const Aggregator = findAggregator();
  if (Aggregator === null) throw new Error(AGG_MISSING);
  return new Aggregator({ key: { labels: LABEL_NAMES }, hist: { buckets: DEFAULT_BUCKETS } });
}

export function aggregatorReadout(agg: AggregatorLike, space: LabelSpace): SeriesTotals[] {
  return fromAggregator(agg, labelKeyToCombo(space));
}

const closeAgg = (agg: AggregatorLike) => agg.close();

function aggHandles(): System {
  return stateful(
    {
      id: 'agg-handle',
      short: '(f) Aggregator handle',
      label: '(f) Aggregator handle(labels).record(v), handle per combo',
      group: 'tophash',
      unavailable: aggregatorUnavailable,
    },
    (ev) => {
      const agg = labelsAggregator();
      const { route, method, status } = ev.space;
      return {
        agg,
        handles: route.map((_, c) => agg.handle({ route: route[c], method: method[c], status: status[c] })),
      };
    },
    ({ agg, handles }, ev) => {
      const { combo, latency } = ev;
      for (let i = 0; i < combo.length; i++) handles[combo[i]].record(latency[i]);
      agg.flush();
    },
    ({ agg }, ev) => aggregatorReadout(agg, ev.space),
    ({ agg }) => agg.close(),
  );
}

function aggRecordLabels(): System {
  return stateful(
    {
      id: 'agg-record',
      short: '(g) Aggregator record(labels)',
      label: '(g) Aggregator record(labels, v), fresh label object',
      group: 'tophash',
      unavailable: aggregatorUnavailable,
    },
    labelsAggregator,
    (a, ev) => {
      const { route, method, status } = ev.space;
      const { combo, latency } = ev;
      for (let i = 0; i < combo.length; i++) {
        const c = combo[i];
        a.record({ route: route[c], method: method[c], status: status[c] }, latency[i]);
      }
      a.flush();
    },
    (agg, ev) => aggregatorReadout(agg, ev.space),
    closeAgg,
  );
}

function aggRecordBatch(): System {
  return stateful(
    {
      id: 'agg-batch',
      short: '(h) Aggregator recordBatch',
      label: `(h) Aggregator recordBatch(Uint32Array combo keys, Float64Array), ${RECORD_BATCH_EVENTS} events per call`,
      group: 'tophash',
      unavailable: aggregatorUnavailable,
    },
    () => new (findAggregator()!)({ key: 'u64', hist: { buckets: DEFAULT_BUCKETS } }),
    (a, ev) => {
      const { combo, latency } = ev;
      for (let i = 0; i < combo.length; i += RECORD_BATCH_EVENTS) {
        const end = Math.min(combo.length, i + RECORD_BATCH_EVENTS);
        a.recordBatch(combo.subarray(i, end), latency.subarray(i, end));
      }
      a.flush();
    },
    (agg) => fromAggregator(agg, (key) => (typeof key === 'bigint' ? Number(key) : (key as number))),
    closeAgg,
  );
}

/**
 * A drop-in Histogram registered in a fresh registry: prom-client's own (only the Histogram import
 * changed) or, with `ownRegistry`, tophash/prom's Registry.
 */
export function dropInState(ownRegistry = false): { registry: Registry; histogram: DropInHistogram } {
  const found = findDropIn();
  if ('missing' in found) throw new Error(found.missing);
  if (ownRegistry && found.Registry === null) throw new Error(DROP_IN_REGISTRY_MISSING);
  const registry = ownRegistry && found.Registry !== null ? new found.Registry() : new Registry();
  const histogram = new found.Histogram({
    name: METRIC_NAME,
    help: METRIC_HELP,
    labelNames: LABEL_NAMES,
    buckets: DEFAULT_BUCKETS,
    registers: [registry],
  });
  return { registry, histogram };
}

export function dropInUnavailable(): string | null {
  const found = findDropIn();
  return 'missing' in found ? found.missing : null;
}

const DROP_IN_REGISTRY_MISSING = "not available: 'tophash/prom' exports no Registry";

export function dropInRegistryUnavailable(): string | null {
  const found = findDropIn();
  if ('missing' in found) return found.missing;
  return found.Registry === null ? DROP_IN_REGISTRY_MISSING : null;
}

function dropInLabelObjects(): System {
  return stateful(
    {
      id: 'prom-drop-in',
      short: '(i) tophash/prom observe(labels)',
      label: '(i) tophash/prom Histogram observe(labels, v), fresh label object (drop-in)',
      group: 'tophash',
      unavailable: dropInUnavailable,
    },
    () => dropInState().histogram,
    (h, ev) => {
      const { route, method, status } = ev.space;
      const { combo, latency } = ev;
      for (let i = 0; i < combo.length; i++) {
        const c = combo[i];
        h.observe({ route: route[c], method: method[c], status: status[c] }, latency[i]);
      }
      h.flush?.();
    },
    promReadout,
  );
}

function dropInChildren(): System {
  return stateful(
    {
      id: 'prom-drop-in-child',
      short: '(j) tophash/prom child',
      label: '(j) tophash/prom child labels(...) cached per combo',
      group: 'tophash',
      unavailable: dropInUnavailable,
    },
    (ev) => childrenOf(dropInState().histogram, ev.space),
    ({ hist, children }, ev) => {
      const { combo, latency } = ev;
      for (let i = 0; i < combo.length; i++) children[combo[i]].observe(latency[i]);
      hist.flush?.();
    },
    ({ hist }, ev) => promReadout(hist, ev),
  );
}

/** Run and table order; (a) is the baseline every ratio is taken against. */
export function systems(): System[] {
  return [
    promLabelObjects(),
    promChildren(),
    otel(),
    jsMap(),
    preResolved(),
    aggHandles(),
    aggRecordLabels(),
    aggRecordBatch(),
    dropInLabelObjects(),
    dropInChildren(),
  ];
}

export const BASELINE_ID = 'prom-client';

/**
 * The drop-in may have no public flush(): then up to one batch of staged events (< batchSize) is
 * aggregated at read-out, after the timed region.
 */
export function dropInFlushNote(): string | null {
  const found = findDropIn();
  if ('missing' in found) return null;
  return typeof (found.Histogram.prototype as Partial<DropInHistogram>).flush === 'function'
    ? null
    : 'tophash/prom has no public flush(), so its rows leave the last partial batch (fewer than 4096 events) to the read-out after the timed region.';
}

/** Where the drop-in came from, for the report header (null if missing). */
export function dropInSource(): string | null {
  const found = findDropIn();
  return 'missing' in found ? null : found.from;
}
