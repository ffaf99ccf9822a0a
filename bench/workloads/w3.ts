// W3 — aggregation: 1e7 events (route × method × status, lognormal latency in
// seconds) into count / sum / histogram per label set, by prom-client, OTel,
// hand-written JS and tophash's Aggregator and prom-client drop-in; then the
// scrape (one exposition / collect) at 1000 and 10,000 series.
//
// Every sample aggregates all N events into fresh, empty state (built in the
// untimed setup, with anything resolved per combo: children, handles); the
// events are typed arrays generated before anything is timed. After the last
// sample each system's series are read back and compared with the oracle
// (series set, count, sum and bucket counts per series).
import { Histogram, Registry } from 'prom-client';
import { gc, measure, median, type Measurement, type Plan } from '../harness';
import { fmtDuration, fmtMops, fmtN, fmtNs, fmtRatio, mdTable } from '../report';
import {
  BUCKET_SLOTS,
  DEFAULT_BUCKETS,
  generateEvents,
  generateScrapeEvents,
  selfTestEvents,
  verifyExposition,
  verifyTotals,
  type Events,
  type Verified,
} from '../w3-events';
import {
  BASELINE_ID,
  METRIC_HELP,
  METRIC_NAME,
  RECORD_BATCH_EVENTS,
  aggregatorReadout,
  expositionUnavailable,
  dropInSource,
  dropInState,
  dropInFlushNote,
  dropInRegistryUnavailable,
  dropInUnavailable,
  labelsAggregator,
  otelReadout,
  recordedOtelState,
  systems,
  type System,
} from '../w3-systems';
import { protobufAndProducerScrapes } from '../w3-scrape-otel-proto';
import { pickSizes, type BenchContext, type Workload, type WorkloadResult } from './types';

/** Routes of the aggregation workload: 50 × 4 methods × 5 statuses = 1000 label sets. */
const ROUTES = 50;
/**
 * A sample is one pass over the events. As the suite's timing rule: 5 samples + 1 warm-up below
 * 1e6 events, 3 samples from there on (a 1e7-event pass of prom-client takes seconds, and its JIT
 * warm-up is a few ms of it); --quick (a CI smoke run) takes 3 + 1.
 */
function planFor(n: number, quick: boolean): Plan {
  if (quick) return { reps: 1, samples: 3, warmup: 1 };
  return n < 1e6 ? { reps: 1, samples: 5, warmup: 1 } : { reps: 1, samples: 3, warmup: 0 };
}
/** Scrapes at these series counts (routes = series / 20). */
const SCRAPE_SERIES = [1000, 10_000];
/** Events per series in the scrape state. */
const SCRAPE_EVENTS_PER_SERIES = 20;
/** --quick fills the scrape state with fewer events: the text has the same lines either way. */
const QUICK_SCRAPE_EVENTS_PER_SERIES = 5;
interface ScrapePlan {
  samples: number;
  warmup: number;
}
const SCRAPE_PLAN: ScrapePlan = { samples: 11, warmup: 3 };
/** --quick keeps CI short: prom-client needs ~1 s per 10k-series scrape. */
function quickScrapePlan(series: number): ScrapePlan {
  return series > 1000 ? { samples: 1, warmup: 0 } : { samples: 3, warmup: 1 };
}

/** W3's targets, checked in the report. */
const TARGETS = {
  handles: 30,
  dropIn: 5,
  exposition: 5,
  protobuf: 5,
  producer: 5,
};

interface SystemResult {
  id: string;
  label: string;
  short: string;
  group: 'baseline' | 'tophash';
  available: boolean;
  note: string | null;
  measurement: Measurement | null;
  verified: Verified | null;
}

interface SizeResult {
  n: number;
  plan: Plan;
  routes: number;
  labelSets: number;
  checksum: string;
  eventsBuildMs: number;
  latencySum: number;
  bucketTotals: number[];
  systems: SystemResult[];
}

interface ScrapeRow {
  id: string;
  label: string;
  group: 'baseline' | 'tophash';
  what: string;
  versus?: string;
  available: boolean;
  note: string | null;
  samplesMs: number[];
  medianMs: number;
  /** Exposition text length (collect() has none). */
  bytes: number | null;
}

interface ScrapeResult {
  series: number;
  routes: number;
  eventsPerSeries: number;
  plan: ScrapePlan;
  rows: ScrapeRow[];
}

interface Target {
  id: string;
  text: string;
  want: number;
  got: number | null;
  met: boolean | null;
}

async function runSystem(sys: System, ev: Events, plan: Plan, ctx: BenchContext): Promise<SystemResult> {
  const base = { id: sys.id, label: sys.label, short: sys.short, group: sys.group };
  const missing = sys.unavailable();
  ctx.progress.step(`W3 N=${fmtN(ev.n)} ${sys.label}`);
  if (missing !== null) return { ...base, available: false, note: missing, measurement: null, verified: null };
  try {
    const measurement = measure({
      name: `W3 N=${fmtN(ev.n)} ${sys.id}`,
      n: ev.n,
      plan,
      before: () => sys.setup(ev),
      run: () => sys.run(ev),
    });
    const verified = verifyTotals(`W3 N=${fmtN(ev.n)} ${sys.label}`, await sys.readout(ev), ev.oracle);
    return { ...base, available: true, note: null, measurement, verified };
  } finally {
    sys.teardown();
    gc();
  }
}

// ---------------------------------------------------------------------------
// scrape

export interface ScrapeSystem {
  id: string;
  label: string;
  group: 'baseline' | 'tophash';
  what: string;
  /** The row this one's ratio is against (default prom-client's). */
  versus?: string;
  unavailable(): string | null;
  /**
   * Builds the state holding every series of `ev` (untimed); returns the timed call, what runs
   * untimed before each call (if anything), and a check of the last call's output.
   */
  prepare(ev: Events): {
    scrape: () => unknown;
    beforeSample?: () => void;
    check: (out: unknown) => Promise<void> | void;
    dispose: () => void;
  };
}

function scrapeSystems(): ScrapeSystem[] {
  return [
    {
      id: 'prom-client',
      label: 'prom-client',
      group: 'baseline',
      what: 'registry.metrics()',
      unavailable: () => null,
      prepare(ev) {
        const registry = new Registry();
        const hist = new Histogram({
          name: METRIC_NAME,
          help: METRIC_HELP,
          labelNames: ['route', 'method', 'status'],
          buckets: [...DEFAULT_BUCKETS],
          registers: [registry],
        });
        const { route, method, status } = ev.space;
        const children = route.map((_, c) => hist.labels(route[c], method[c], status[c]));
        for (let i = 0; i < ev.n; i++) children[ev.combo[i]].observe(ev.latency[i]);
        return {
          scrape: () => registry.metrics(),
          check: (out) =>
            verifyExposition(`W3 scrape ${ev.space.series} prom-client`, out as string, METRIC_NAME, ev.oracle),
          dispose: () => registry.clear(),
        };
      },
    },
    {
      id: 'otel',
      label: 'OpenTelemetry sdk-metrics',
      group: 'baseline',
      what: 'reader.collect() (no text)',
      unavailable: () => null,
      prepare(ev) {
        const { state } = recordedOtelState(ev);
        return {
          scrape: () => state.reader.collect(),
          // Cumulative temporality: a second collect reads the same totals.
          check: async () =>
            void verifyTotals(
              `W3 scrape ${ev.space.series} OTel`,
              await otelReadout(state.reader, ev.space),
              ev.oracle,
            ),
          dispose: () => {},
        };
      },
    },
    {
      id: 'agg',
      label: 'tophash Aggregator',
      group: 'tophash',
      what: 'toPrometheus()',
      unavailable: expositionUnavailable,
      prepare(ev) {
        const agg = labelsAggregator();
        const { route, method, status } = ev.space;
        const handles = route.map((_, c) => agg.handle({ route: route[c], method: method[c], status: status[c] }));
        for (let i = 0; i < ev.n; i++) handles[ev.combo[i]].record(ev.latency[i]);
        agg.flush();
        verifyTotals(`W3 scrape ${ev.space.series} Aggregator entries`, aggregatorReadout(agg, ev.space), ev.oracle);
        return {
          scrape: () => agg.toPrometheus({ name: METRIC_NAME, help: METRIC_HELP }),
          check: (out) =>
            verifyExposition(`W3 scrape ${ev.space.series} Aggregator`, out as string, METRIC_NAME, ev.oracle),
          dispose: () => agg.close(),
        };
      },
    },
    dropInScrape('prom-drop-in', 'tophash/prom Histogram, prom-client Registry', false),
    dropInScrape('prom-drop-in-registry', 'tophash/prom Histogram and Registry', true),
    ...protobufAndProducerScrapes(),
  ];
}

/** The drop-in's scrape, in prom-client's Registry (only the Histogram import changed) or in tophash/prom's. */
function dropInScrape(id: string, label: string, ownRegistry: boolean): ScrapeSystem {
  return {
    id,
    label,
    group: 'tophash',
    what: 'registry.metrics()',
    unavailable: ownRegistry ? dropInRegistryUnavailable : dropInUnavailable,
    prepare(ev) {
      const { registry, histogram } = dropInState(ownRegistry);
      const { route, method, status } = ev.space;
      const children = route.map((_, c) => histogram.labels(route[c], method[c], status[c]));
      for (let i = 0; i < ev.n; i++) children[ev.combo[i]].observe(ev.latency[i]);
      histogram.flush?.();
      return {
        scrape: () => registry.metrics(),
        check: (out) =>
          verifyExposition(`W3 scrape ${ev.space.series} ${label}`, out as string, METRIC_NAME, ev.oracle),
        dispose: () => registry.clear(),
      };
    },
  };
}

async function timeScrape(sys: ScrapeSystem, ev: Events, plan: ScrapePlan, ctx: BenchContext): Promise<ScrapeRow> {
  const base = { id: sys.id, label: sys.label, group: sys.group, what: sys.what, versus: sys.versus };
  ctx.progress.step(`W3 scrape ${fmtN(ev.space.series)} series: ${sys.label} ${sys.what}`);
  const missing = sys.unavailable();
  if (missing !== null) return { ...base, available: false, note: missing, samplesMs: [], medianMs: NaN, bytes: null };
  const { scrape, beforeSample, check, dispose } = sys.prepare(ev);
  try {
    const samplesMs: number[] = [];
    let out: unknown = null;
    for (let k = 0; k < plan.warmup + plan.samples; k++) {
      beforeSample?.();
      gc();
      const t0 = process.hrtime.bigint();
      out = scrape();
      if (out instanceof Promise) out = await out;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (k >= plan.warmup) samplesMs.push(ms);
    }
    await check(out);
    samplesMs.sort((a, b) => a - b);
    return {
      ...base,
      available: true,
      note: null,
      samplesMs,
      medianMs: median(samplesMs),
      bytes: typeof out === 'string' || out instanceof Uint8Array ? out.length : null,
    };
  } finally {
    dispose();
    gc();
  }
}

// ---------------------------------------------------------------------------
// report

function ratioVs(base: SystemResult | undefined, r: SystemResult): number {
  if (base === undefined || base.measurement === null || r.measurement === null) return NaN;
  return base.measurement.medianNs / r.measurement.medianNs;
}

function targetsOf(size: SizeResult | undefined, scrape1k: ScrapeResult | undefined): Target[] {
  const byId = (id: string): SystemResult | undefined => size?.systems.find((s) => s.id === id);
  const base = byId(BASELINE_ID);
  const t = (id: string, text: string, want: number, r: number): Target =>
    Number.isFinite(r) ? { id, text, want, got: r, met: r >= want } : { id, text, want, got: null, met: null };
  const scrapeRow = (id: string): ScrapeRow | undefined => scrape1k?.rows.find((r) => r.id === id);
  const scrapeRatio = (id: string, baseline = 'prom-client'): number => {
    const b = scrapeRow(baseline);
    const r = scrapeRow(id);
    return b?.available && r?.available ? b.medianMs / r.medianMs : NaN;
  };
  const handle = byId('agg-handle');
  const dropIn = byId('prom-drop-in');
  return [
    t(
      'handles',
      '(f) Aggregator handles vs (a) prom-client observe(labels)',
      TARGETS.handles,
      handle ? ratioVs(base, handle) : NaN,
    ),
    t('drop-in', '(i) tophash/prom observe(labels) vs (a)', TARGETS.dropIn, dropIn ? ratioVs(base, dropIn) : NaN),
    t(
      'exposition',
      'Aggregator toPrometheus() vs prom-client registry.metrics(), 1000 series',
      TARGETS.exposition,
      scrapeRatio('agg'),
    ),
    t(
      'exposition-drop-in',
      'tophash/prom Registry.metrics() vs prom-client registry.metrics(), 1000 series',
      TARGETS.exposition,
      scrapeRatio('prom-drop-in-registry'),
    ),
    t(
      'protobuf-native',
      'tophash/prom native histograms, metricsFor(protobuf), vs prom-client registry.metrics() (classic), 1000 series',
      TARGETS.protobuf,
      scrapeRatio('prom-native-protobuf'),
    ),
    t(
      'otel-producer',
      'TophashMetricProducer.collect() vs the OTel SDK reader.collect(), after one event per series, 1000 series',
      TARGETS.producer,
      scrapeRatio('otel-producer-updates', 'otel-updates'),
    ),
  ];
}

function render(sizes: SizeResult[], scrapes: ScrapeResult[], targets: Target[]): string {
  const lines: string[] = [];
  lines.push('## W3 — aggregation: events into count / sum / histogram per label set');
  lines.push('');
  lines.push(
    'Per event two splitmix64(42) draws: combo = hi32(d1) % 1000 → route = combo % 50, method = (combo / 50) % 4, ' +
      'status = combo / 200; latency = exp(ln 0.05 + z) s, z by Box–Muller (u1 = ((d2 >> 11) + 1) / 2^53, u2 = lo32(d1) / 2^32). ' +
      `Histograms use prom-client's default buckets (${DEFAULT_BUCKETS.join(', ')} s) everywhere. ` +
      'Events are pre-generated typed arrays (combo index, latency); label values are precomputed strings per combo, so "fresh label object" ' +
      'rows pay for the object, not for formatting. Each sample aggregates every event into fresh, empty state ' +
      '(children, handles and OTel providers are built untimed), and tophash rows include the final `flush()`. ' +
      "Median of the samples (counts per size below); after the last sample every system's series are read back and " +
      "compared with the oracle: the set of label sets, and each one's count, sum (to 1e-9) and bucket counts. " +
      '"vs (a)" = ns of (a) / ns of the row (> 1× = faster than prom-client).',
  );
  const src = dropInSource();
  if (src !== null) lines.push('', `tophash/prom resolved from \`${src}\`. ${dropInFlushNote() ?? ''}`.trimEnd());
  for (const s of sizes) {
    const base = s.systems.find((r) => r.id === BASELINE_ID);
    lines.push('');
    lines.push(
      `N = ${fmtN(s.n)} events over ${s.labelSets} label sets (events XOR checksum ${s.checksum}, Σ latency ${s.latencySum.toFixed(3)} s, ` +
        `built in ${s.eventsBuildMs.toFixed(0)} ms; per bucket: ${s.bucketTotals.join(' / ')}; ` +
        `${s.plan.samples} samples${s.plan.warmup > 0 ? ` (+${s.plan.warmup} warm-up)` : ''}):`,
    );
    lines.push('');
    const rows = s.systems.map((r) => {
      const m = r.measurement;
      if (m === null) return [r.label, '—', '—', '—', '—', r.note ?? 'not available'];
      const spread = `${fmtNs(m.nsPerOp[0])}–${fmtNs(m.nsPerOp[m.nsPerOp.length - 1])}`;
      const v = r.verified!;
      return [
        r.label,
        fmtNs(m.medianNs),
        fmtMops(m.medianNs),
        r.id === BASELINE_ID ? '1×' : fmtRatio(ratioVs(base, r)),
        spread,
        `✓ ${v.series} series, ${v.count.toLocaleString('en-US')} events${v.buckets ? ', buckets' : ''}`,
      ];
    });
    lines.push(
      mdTable(
        [
          { title: 'system', align: 'left' },
          'ns/event',
          'Mevents/s',
          'vs (a)',
          'ns/event min–max',
          { title: 'verified', align: 'left' },
        ],
        rows,
      ),
    );
  }
  for (const sc of scrapes) {
    const base = sc.rows.find((r) => r.id === 'prom-client');
    lines.push('');
    lines.push(
      `Scrape at ${sc.series.toLocaleString('en-US')} series (${sc.routes} routes × 4 × 5, ${sc.eventsPerSeries} events each; ` +
        `${sc.plan.samples === 1 ? 'one call, no warm-up' : `median of ${sc.plan.samples} (+${sc.plan.warmup} warm-up)`}, gc() before each; each output checked for every series and the totals):`,
    );
    lines.push('');
    const rows = sc.rows.map((r) => {
      if (!r.available) return [r.label, r.what, '—', '—', '—', r.note ?? 'not available'];
      const against = r.versus === undefined ? base : sc.rows.find((b) => b.id === r.versus);
      const ratio = against?.available ? against.medianMs / r.medianMs : NaN;
      return [
        r.label,
        r.what,
        fmtDuration(r.medianMs * 1e6),
        r.id === 'prom-client' ? '1×' : `${fmtRatio(ratio)}${r.versus === undefined ? '' : ` vs ${r.versus}`}`,
        r.bytes === null ? '—' : `${(r.bytes / 1024).toFixed(0)} KiB`,
        `${fmtDuration(r.samplesMs[0] * 1e6)}–${fmtDuration(r.samplesMs[r.samplesMs.length - 1] * 1e6)}`,
      ];
    });
    lines.push(
      mdTable(
        [
          { title: 'system', align: 'left' },
          { title: 'call', align: 'left' },
          'median',
          'vs prom-client (or the row named)',
          'text',
          { title: 'min–max', align: 'left' },
        ],
        rows,
      ),
    );
  }
  lines.push('');
  lines.push('Targets:');
  lines.push('');
  for (const t of targets) {
    const state =
      t.met === null ? 'not measured (system not available)' : `${fmtRatio(t.got!)} — ${t.met ? 'met' : 'NOT met'}`;
    lines.push(`- ${t.text} ≥ ${t.want}×: ${state}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------

export const w3: Workload = {
  id: 'W3',
  title: 'aggregation vs prom-client / OTel',
  sizes: (ctx) => pickSizes(ctx, [1e7], [1e5]),
  steps: (ctx) => w3.sizes(ctx).length * systems().length + SCRAPE_SERIES.length * scrapeSystems().length,
  async run(ctx: BenchContext): Promise<WorkloadResult> {
    selfTestEvents();
    const sizes: SizeResult[] = [];
    for (const n of [...w3.sizes(ctx)].sort((a, b) => a - b)) {
      const ev = generateEvents(n, ROUTES);
      ctx.progress.note(
        `W3 N=${fmtN(n)}: events built in ${ev.buildMs.toFixed(0)} ms; XOR ${ev.checksum}, Σ latency ${ev.oracle.sum.toFixed(3)} s`,
      );
      const plan = planFor(n, ctx.quick);
      const results: SystemResult[] = [];
      for (const sys of systems()) results.push(await runSystem(sys, ev, plan, ctx));
      sizes.push({
        n,
        plan,
        routes: ROUTES,
        labelSets: ev.oracle.series,
        checksum: ev.checksum,
        eventsBuildMs: ev.buildMs,
        latencySum: ev.oracle.sum,
        bucketTotals: [...ev.oracle.buckets],
        systems: results,
      });
    }
    const scrapes: ScrapeResult[] = [];
    for (const series of SCRAPE_SERIES) {
      const perSeries = ctx.quick ? QUICK_SCRAPE_EVENTS_PER_SERIES : SCRAPE_EVENTS_PER_SERIES;
      const ev = generateScrapeEvents(series / 20, perSeries);
      const rows: ScrapeRow[] = [];
      const scrapePlan = ctx.quick ? quickScrapePlan(series) : SCRAPE_PLAN;
      for (const sys of scrapeSystems()) rows.push(await timeScrape(sys, ev, scrapePlan, ctx));
      scrapes.push({ series, routes: series / 20, eventsPerSeries: perSeries, plan: scrapePlan, rows });
    }
    const largest = sizes[sizes.length - 1];
    const targets = targetsOf(
      largest,
      scrapes.find((s) => s.series === 1000),
    );
    return {
      markdown: render(sizes, scrapes, targets),
      data: {
        baseline: BASELINE_ID,
        buckets: DEFAULT_BUCKETS,
        bucketSlots: BUCKET_SLOTS,
        recordBatchEvents: RECORD_BATCH_EVENTS,
        dropInFrom: dropInSource(),
        sizes,
        scrape: scrapes,
        targets,
      },
    };
  },
};
