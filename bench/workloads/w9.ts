// W9 — offload across cores: what recording costs the thread that records when
// an offloaded Aggregator hands its events to the native offload thread, 4
// worker_threads recording into one aggregation, and the event loop's delay
// while 10,000 series are scraped every 100 ms. W3's events throughout.
//
//   (a) W3's events through cached handles into an offloaded Aggregator, an
//       inline one, and prom-client (observe(labels, v), the baseline, and a
//       cached child): wall time of the recording loop, the CPU time of the
//       main thread (Linux: /proc schedstat) and of the process over it, and
//       the time until every event is aggregated.
//   (b) 4 worker_threads recording W3's events split by index into one
//       offloaded Aggregator (attached by token) vs 4 prom-client Histograms
//       merged with AggregatorRegistry.aggregate(); end to end, from posting
//       'go' to the merged result.
//   (c) the merged scrape of 4 node:cluster worker processes × 1000 series:
//       prom-client's AggregatorRegistry.clusterMetrics() in the primary (asks
//       every worker over IPC) vs tophash/prom's ClusterRegistry.clusterMetrics()
//       in the primary (reads every worker's shard of a shared-memory segment),
//       and the shared Aggregator's toPrometheusAsync() without a registry.
//   (d) event-loop delay (monitorEventLoopDelay, 1 ms resolution) while
//       registry.metrics() runs every 100 ms over 10,000 series.
//
// Every system's totals are checked against W3's oracle after its last sample.
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { AggregatorRegistry, Histogram as PromHistogram, Registry as PromRegistry } from 'prom-client';
import { Aggregator, type LabelKey } from '../../src/index';
import { ClusterRegistry, Histogram as TopHistogram, Registry as TopRegistry } from '../../src/prom';
import { segmentName } from '../../src/prom/cluster';
import { gc, median } from '../harness';
import { fmtDuration, fmtN, fmtNs, fmtRatio, mdTable } from '../report';
import {
  BUCKET_SLOTS,
  DEFAULT_BUCKETS,
  LABEL_NAMES,
  expositionTotals,
  generateEvents,
  generateScrapeEvents,
  selfTestEvents,
  verifyExposition,
  verifyTotals,
  type Events,
  type LabelSpace,
  type ReportedSeries,
  type Verified,
} from '../w3-events';
import { METRIC_HELP, METRIC_NAME, aggregatorReadout } from '../w3-systems';
import type { W9ClusterEnv, W9ClusterReady } from '../w9-cluster-worker';
import { w9HistogramConfig } from '../w9-histogram';
import type { W9WorkerData, W9WorkerDone } from '../w9-worker';
import { pickSizes, type BenchContext, type Workload, type WorkloadResult } from './types';

/** W3's label space: 50 routes × 4 methods × 5 statuses = 1000 label sets. */
const ROUTES = 50;
/** (b): worker_threads recording at once. */
const WORKERS = 4;
/** (b): the compiled worker, beside this file's folder (dist/bench/w9-worker.js). */
const WORKER_FILE = path.join(__dirname, '..', 'w9-worker.js');
/** (c): the compiled node:cluster worker (dist/bench/w9-cluster-worker.js), and W3's scrape events per series of the stream the workers share. */
const CLUSTER_WORKER_FILE = path.join(__dirname, '..', 'w9-cluster-worker.js');
const CLUSTER_EVENTS_PER_SERIES = 40;
const QUICK_CLUSTER_EVENTS_PER_SERIES = 8;
/** (d): W3's 10,000-series label space (500 routes) and its events per series. */
const DELAY_ROUTES = 500;
const DELAY_EVENTS_PER_SERIES = 20;
const QUICK_DELAY_EVENTS_PER_SERIES = 5;
/** (d): one scrape every this many ms, for this long. */
const SCRAPE_PERIOD_MS = 100;
const DELAY_RUN_MS = 3000;
const QUICK_DELAY_RUN_MS = 1000;
/** (d): monitorEventLoopDelay's timer period; its histogram holds period + delay. */
const ELD_RESOLUTION_MS = 1;
/** (a): the larger ring of the second offloaded row. */
const BIG_RING = 1 << 20;

/** The targets W9 is measured against; printed beside the measured values, never enforced. */
const TARGETS = {
  recording: 100,
  workers: 20,
  clusterScrape: 20,
  delayP99Ms: 1,
};

/** Samples of (a): W3's rule (1e7 events: 3 samples, no warm-up); --quick 3 + 1. */
function recordPlan(n: number, quick: boolean): { samples: number; warmup: number } {
  if (quick) return { samples: 3, warmup: 1 };
  return n < 1e6 ? { samples: 5, warmup: 1 } : { samples: 3, warmup: 0 };
}
/** Samples of (b): fresh workers every sample, so a warm-up sample would warm nothing in them. */
const WORKER_SAMPLES = 3;

// ---------------------------------------------------------------------------
// CPU time per thread (Linux): process.threadCpuUsage arrived after Node 20.

const TASKS = '/proc/self/task';

/** Thread ids of this process, or null off Linux. */
function threadIds(): Set<string> | null {
  try {
    return new Set(fs.readdirSync(TASKS));
  } catch {
    return null;
  }
}

/** ns a thread of this process has run on a CPU (schedstat's first field), NaN if unknown. */
function threadCpuNs(tid: string | null): number {
  if (tid === null) return NaN;
  try {
    return Number(fs.readFileSync(`${TASKS}/${tid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

/** The main thread's id is the process id on Linux. */
const MAIN_TID = String(process.pid);

function processCpuNs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) * 1e3;
}

// ---------------------------------------------------------------------------
// read-outs

type PromValues = { labels: Record<string, string | number>; value: number; metricName?: string }[];

/** prom-client's get() values (cumulative _bucket with le, _sum, _count) as per-series totals. */
function fromPromValues(values: PromValues, space: LabelSpace): ReportedSeries[] {
  const bySeries = new Map<number, { count: number; sum: number; cumulative: Float64Array }>();
  for (const v of values) {
    const l = v.labels;
    const combo = space.index.get(`${l.route}|${l.method}|${l.status}`);
    if (combo === undefined) throw new Error(`W9: read-out has an unknown label set ${JSON.stringify(l)}`);
    let s = bySeries.get(combo);
    if (s === undefined) bySeries.set(combo, (s = { count: 0, sum: 0, cumulative: new Float64Array(BUCKET_SLOTS) }));
    const name = v.metricName ?? '';
    if (name.endsWith('_count')) s.count = v.value;
    else if (name.endsWith('_sum')) s.sum = v.value;
    else if (name.endsWith('_bucket')) {
      const slot = l.le === '+Inf' ? DEFAULT_BUCKETS.length : DEFAULT_BUCKETS.indexOf(Number(l.le));
      if (slot < 0) throw new Error(`W9: read-out has an unknown bucket le=${String(l.le)}`);
      s.cumulative[slot] = v.value;
    }
  }
  return [...bySeries].map(([combo, s]) => {
    const buckets = new Float64Array(BUCKET_SLOTS);
    for (let i = 0; i < BUCKET_SLOTS; i++) buckets[i] = s.cumulative[i] - (i > 0 ? s.cumulative[i - 1] : 0);
    return { combo, count: s.count, sum: s.sum, buckets };
  });
}

async function promReadout(
  hist: { get(): Promise<{ values: unknown }> },
  space: LabelSpace,
): Promise<ReportedSeries[]> {
  return fromPromValues((await hist.get()).values as PromValues, space);
}

function promHistogram(registry: PromRegistry): PromHistogram<string> {
  return new PromHistogram({ ...w9HistogramConfig(), registers: [registry] });
}

function labelsAggregator(offload: boolean, ringSize?: number): Aggregator<LabelKey> {
  return new Aggregator<LabelKey>({
    key: { labels: LABEL_NAMES },
    hist: { buckets: DEFAULT_BUCKETS },
    offload,
    ringSize,
  });
}

function handlesOf(agg: Aggregator<LabelKey>, space: LabelSpace) {
  const { route, method, status } = space;
  return route.map((_, c) => agg.handle({ route: route[c], method: method[c], status: status[c] }));
}

// ---------------------------------------------------------------------------
// (a) cost on the recording thread

interface RecState {
  /** The timed recording loop. */
  loop(): void;
  /** After the loop: makes every event visible to a read (flush; nothing for prom-client). */
  finish(): void;
  readout(): Promise<ReportedSeries[]> | ReportedSeries[];
  dispose(): void;
}

interface RecSystem {
  id: string;
  label: string;
  offloaded: boolean;
  /** Untimed: fresh, empty state with everything resolved per combo. */
  make(ev: Events): RecState;
}

function aggState(agg: Aggregator<LabelKey>, loop: () => void, ev: Events): RecState {
  return {
    loop,
    finish: () => agg.flush(),
    readout: () => aggregatorReadout(agg, ev.space),
    dispose: () => agg.close(),
  };
}

/** Offloaded rows share this loop: their handles are all of one class, so its call site stays monomorphic. */
function offloadedHandles(id: string, label: string, ringSize?: number): RecSystem {
  return {
    id,
    label,
    offloaded: true,
    make(ev) {
      const agg = labelsAggregator(true, ringSize);
      const handles = handlesOf(agg, ev.space);
      const { combo, latency } = ev;
      return aggState(
        agg,
        () => {
          for (let i = 0; i < combo.length; i++) handles[combo[i]].record(latency[i]);
        },
        ev,
      );
    },
  };
}

/**
 * The systems of (a). Each `loop` is a function literal of its own, so every system's hot call
 * site stays monomorphic (the inline and the offloaded handles are different classes).
 */
function recordSystems(): RecSystem[] {
  return [
    {
      id: 'prom-client',
      label: '(a) prom-client observe(labels, v), fresh label object',
      offloaded: false,
      make(ev) {
        const h = promHistogram(new PromRegistry());
        const { route, method, status } = ev.space;
        const { combo, latency } = ev;
        return {
          loop() {
            for (let i = 0; i < combo.length; i++) {
              const c = combo[i];
              h.observe({ route: route[c], method: method[c], status: status[c] }, latency[i]);
            }
          },
          finish() {},
          readout: () => promReadout(h, ev.space),
          dispose() {},
        };
      },
    },
    {
      id: 'prom-client-child',
      label: '(b) prom-client child labels(...) cached per combo',
      offloaded: false,
      make(ev) {
        const h = promHistogram(new PromRegistry());
        const { route, method, status } = ev.space;
        const children = route.map((_, c) => h.labels(route[c], method[c], status[c]));
        const { combo, latency } = ev;
        return {
          loop() {
            for (let i = 0; i < combo.length; i++) children[combo[i]].observe(latency[i]);
          },
          finish() {},
          readout: () => promReadout(h, ev.space),
          dispose() {},
        };
      },
    },
    {
      id: 'agg-inline',
      label: '(c) Aggregator handle(labels).record(v), inline (offload: false)',
      offloaded: false,
      make(ev) {
        const agg = labelsAggregator(false);
        const handles = handlesOf(agg, ev.space);
        const { combo, latency } = ev;
        return aggState(
          agg,
          () => {
            for (let i = 0; i < combo.length; i++) handles[combo[i]].record(latency[i]);
          },
          ev,
        );
      },
    },
    offloadedHandles('agg-offload', '(d) Aggregator handle(labels).record(v), offload: true (ring 65,536)'),
    offloadedHandles(
      'agg-offload-big-ring',
      `(e) the same, offload: true, ringSize ${BIG_RING.toLocaleString('en-US')}`,
      BIG_RING,
    ),
  ];
}

/** One sample of (a); every time is ns for all n events. */
interface RecSample {
  /** Wall time of the recording loop. */
  loopNs: number;
  /** CPU time of the main thread (the event loop) during the loop. */
  mainCpuNs: number;
  /** CPU time of the whole process (every thread) during the loop. */
  processCpuNs: number;
  /** Wall time of the loop and the flush after it, until every event is aggregated. */
  aggregatedNs: number;
  /** Process CPU time over the same. */
  processCpuAggregatedNs: number;
  /** CPU time of the offload thread over the same (offloaded rows, Linux). */
  offloadCpuNs: number;
}

interface RecResult {
  id: string;
  label: string;
  offloaded: boolean;
  samples: RecSample[];
  /** Per-column medians, ns per event. */
  perEvent: { [K in keyof RecSample]: number };
  verified: Verified;
}

function recordSample(sys: RecSystem, ev: Events): { sample: RecSample; state: RecState } {
  const before = sys.offloaded ? threadIds() : null;
  const state = sys.make(ev);
  // The offload thread starts with the first offloaded aggregator, so it is the thread that
  // appeared (nothing else starts one here: no worker, no libuv pool work).
  let offloadTid: string | null = null;
  if (before !== null) {
    const added = [...(threadIds() ?? [])].filter((t) => !before.has(t));
    if (added.length === 1) offloadTid = added[0];
  }
  gc();
  const cpu0 = process.cpuUsage();
  const main0 = threadCpuNs(MAIN_TID);
  const off0 = threadCpuNs(offloadTid);
  const t0 = process.hrtime.bigint();
  state.loop();
  const t1 = process.hrtime.bigint();
  const main1 = threadCpuNs(MAIN_TID);
  const cpu1 = processCpuNs(cpu0);
  state.finish();
  const t2 = process.hrtime.bigint();
  const cpu2 = processCpuNs(cpu0);
  const off2 = threadCpuNs(offloadTid);
  return {
    state,
    sample: {
      loopNs: Number(t1 - t0),
      mainCpuNs: main1 - main0,
      processCpuNs: cpu1,
      aggregatedNs: Number(t2 - t0),
      processCpuAggregatedNs: cpu2,
      offloadCpuNs: off2 - off0,
    },
  };
}

async function runRecordSystem(sys: RecSystem, ev: Events, quick: boolean, ctx: BenchContext): Promise<RecResult> {
  ctx.progress.step(`W9 (a) N=${fmtN(ev.n)} ${sys.label}`);
  const plan = recordPlan(ev.n, quick);
  const samples: RecSample[] = [];
  let verified: Verified | null = null;
  for (let k = 0; k < plan.warmup + plan.samples; k++) {
    const { sample, state } = recordSample(sys, ev);
    try {
      if (k >= plan.warmup) samples.push(sample);
      if (k === plan.warmup + plan.samples - 1) {
        verified = verifyTotals(`W9 (a) N=${fmtN(ev.n)} ${sys.label}`, await state.readout(), ev.oracle);
      }
    } finally {
      state.dispose();
      gc();
    }
  }
  const col = (f: (s: RecSample) => number): number => median(samples.map(f)) / ev.n;
  return {
    id: sys.id,
    label: sys.label,
    offloaded: sys.offloaded,
    samples,
    perEvent: {
      loopNs: col((s) => s.loopNs),
      mainCpuNs: col((s) => s.mainCpuNs),
      processCpuNs: col((s) => s.processCpuNs),
      aggregatedNs: col((s) => s.aggregatedNs),
      processCpuAggregatedNs: col((s) => s.processCpuAggregatedNs),
      offloadCpuNs: sys.offloaded ? col((s) => s.offloadCpuNs) : NaN,
    },
    verified: verified!,
  };
}

// ---------------------------------------------------------------------------
// (b) 4 worker_threads

interface SharedEvents {
  combo: Uint32Array;
  latency: Float64Array;
}

/** The events on SharedArrayBuffers: every worker reads its slice of the one copy. */
function sharedEvents(ev: Events): SharedEvents {
  const combo = new Uint32Array(new SharedArrayBuffer(ev.combo.byteLength));
  const latency = new Float64Array(new SharedArrayBuffer(ev.latency.byteLength));
  combo.set(ev.combo);
  latency.set(ev.latency);
  return { combo, latency };
}

type WorkerSystemId = W9WorkerData['system'];

interface WorkerSample {
  /** Posting 'go' to the merged result. */
  wallNs: number;
  /** Process CPU (all threads) over the same. */
  processCpuNs: number;
}

interface WorkerResult {
  id: WorkerSystemId;
  label: string;
  samples: WorkerSample[];
  medianNs: number;
  eventsPerSec: number;
  processCpuNsPerEvent: number;
  verified: Verified;
}

/** The next message of a worker; rejects if it fails or exits first. */
function nextMessage(w: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const off = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (m: unknown) => {
      off();
      resolve(m);
    };
    const onError = (e: Error) => {
      off();
      reject(e);
    };
    const onExit = (code: number) => {
      off();
      reject(new Error(`W9: a worker exited with code ${code} before it answered`));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  });
}

async function workerSample(
  system: WorkerSystemId,
  ev: Events,
  shared: SharedEvents,
  last: boolean,
): Promise<{ sample: WorkerSample; verified: Verified | null }> {
  const agg = system === 'tophash' ? labelsAggregator(true) : null;
  const workers: Worker[] = [];
  try {
    for (let w = 0; w < WORKERS; w++) {
      const workerData: W9WorkerData = {
        system,
        name: METRIC_NAME,
        help: METRIC_HELP,
        token: agg === null ? null : agg.share(),
        routes: ev.space.routes,
        combo: shared.combo,
        latency: shared.latency,
        start: Math.floor((w * ev.n) / WORKERS),
        end: Math.floor(((w + 1) * ev.n) / WORKERS),
      };
      workers.push(new Worker(WORKER_FILE, { workerData }));
    }
    const ready = await Promise.all(workers.map(nextMessage));
    if (!ready.every((m) => m === 'ready')) throw new Error(`W9: a worker said ${JSON.stringify(ready)}`);
    const exited = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)));
    gc();

    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const answers = workers.map(nextMessage);
    for (const w of workers) w.postMessage('go');
    const done = (await Promise.all(answers)) as W9WorkerDone[];
    let merged: PromRegistry | null = null;
    if (agg !== null) agg.flush();
    else merged = AggregatorRegistry.aggregate(done.map((d) => d.json as object));
    const wallNs = Number(process.hrtime.bigint() - t0);
    const cpuNs = processCpuNs(cpu0);
    await Promise.all(exited);

    let verified: Verified | null = null;
    if (last) {
      const what = `W9 (b) ${WORKERS} workers N=${fmtN(ev.n)} ${system}`;
      if (agg !== null) verified = verifyTotals(what, aggregatorReadout(agg, ev.space), ev.oracle);
      else {
        const hist = merged!.getSingleMetric(METRIC_NAME);
        if (hist === undefined) throw new Error(`bench verification failed: ${what}: no merged ${METRIC_NAME}`);
        verified = verifyTotals(what, await promReadout(hist, ev.space), ev.oracle);
      }
    }
    return { sample: { wallNs, processCpuNs: cpuNs }, verified };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    agg?.close();
    gc();
  }
}

const WORKER_LABELS: Record<WorkerSystemId, string> = {
  'prom-client': `prom-client Histogram observe(labels, v) per worker, getMetricsAsJSON() merged by AggregatorRegistry.aggregate()`,
  tophash: 'one offloaded Aggregator, Aggregator.attach(token) per worker, handle(labels).record(v)',
};

async function runWorkerSystem(
  system: WorkerSystemId,
  ev: Events,
  shared: SharedEvents,
  ctx: BenchContext,
): Promise<WorkerResult> {
  ctx.progress.step(`W9 (b) ${WORKERS} workers N=${fmtN(ev.n)} ${system}`);
  const samples: WorkerSample[] = [];
  let verified: Verified | null = null;
  for (let k = 0; k < WORKER_SAMPLES; k++) {
    const r = await workerSample(system, ev, shared, k === WORKER_SAMPLES - 1);
    samples.push(r.sample);
    verified ??= r.verified;
  }
  const medianNs = median(samples.map((s) => s.wallNs));
  return {
    id: system,
    label: WORKER_LABELS[system],
    samples,
    medianNs,
    eventsPerSec: (ev.n * 1e9) / medianNs,
    processCpuNsPerEvent: median(samples.map((s) => s.processCpuNs)) / ev.n,
    verified: verified!,
  };
}

// ---------------------------------------------------------------------------
// (c) merged scrape of 4 processes

/** One row of (c): a merged scrape of the 4 workers' series, timed in the primary. */
interface ClusterRow {
  id: 'prom-client' | 'tophash-registry' | 'tophash-aggregator';
  label: string;
  call: string;
  /** ms per merged scrape, every timed sample. */
  samplesMs: number[];
  medianMs: number;
  /** Length of the merged text (characters). */
  chars: number;
  /** Series and Σ _count of the merged text (checked against the oracle). */
  series: number;
  count: number;
  /** ms until the workers were ready (fork, build events, record, publish), the slowest worker. */
  setupMs: number;
}

/** Warm-up and timed scrapes of (c), in the primary. */
function clusterPlan(quick: boolean): { samples: number; warmup: number } {
  return quick ? { samples: 5, warmup: 1 } : { samples: 11, warmup: 2 };
}

/** The next W9ClusterReady of a cluster worker; rejects if it exits first. */
function clusterReady(w: ClusterWorker): Promise<W9ClusterReady> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (typeof m !== 'object' || m === null || (m as { w9?: unknown }).w9 !== 'ready') return;
      w.off('message', onMessage);
      w.off('exit', onExit);
      resolve(m as W9ClusterReady);
    };
    const onExit = (code: number, signal: string | null) => {
      w.off('message', onMessage);
      reject(new Error(`W9 (c): a cluster worker ended (${signal ?? code}) before it was ready`));
    };
    w.on('message', onMessage);
    w.once('exit', onExit);
  });
}

/** Forks the workers of one system and waits until each has recorded (and published) its share. */
async function forkClusterWorkers(
  system: W9ClusterEnv['W9_CLUSTER_SYSTEM'],
  clusterName: string,
  perSeries: number,
): Promise<{ workers: ClusterWorker[]; setupMs: number; events: number }> {
  cluster.setupPrimary({ exec: CLUSTER_WORKER_FILE, args: [] });
  const t0 = performance.now();
  const workers: ClusterWorker[] = [];
  const ready: Promise<W9ClusterReady>[] = [];
  try {
    for (let k = 0; k < WORKERS; k++) {
      const env: W9ClusterEnv = {
        W9_CLUSTER_SYSTEM: system,
        W9_CLUSTER_NAME: clusterName,
        W9_CLUSTER_ROUTES: String(ROUTES),
        W9_CLUSTER_PER_SERIES: String(perSeries),
        W9_CLUSTER_INDEX: String(k),
        W9_CLUSTER_WORKERS: String(WORKERS),
      };
      const w = cluster.fork(env);
      workers.push(w);
      ready.push(clusterReady(w));
    }
    const done = await Promise.all(ready);
    return { workers, setupMs: performance.now() - t0, events: done.reduce((s, d) => s + d.events, 0) };
  } catch (err) {
    await stopClusterWorkers(workers);
    throw err;
  }
}

/** Asks every worker to stop and waits for it to exit (kills it after 5 s). */
async function stopClusterWorkers(workers: readonly ClusterWorker[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.isDead()) return;
      const exited = new Promise((resolve) => w.once('exit', resolve));
      if (w.isConnected()) w.send('stop');
      else w.process.kill();
      const timer = setTimeout(() => w.process.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/** Warm-up, then the timed merged scrapes, each after a full GC; checks the last text. */
async function timeMergedScrape(
  what: string,
  scrape: () => Promise<string>,
  ev: Events,
  quick: boolean,
): Promise<{ samplesMs: number[]; text: string }> {
  const plan = clusterPlan(quick);
  const samplesMs: number[] = [];
  let text = '';
  for (let k = 0; k < plan.warmup + plan.samples; k++) {
    gc();
    const t0 = performance.now();
    text = await scrape();
    const ms = performance.now() - t0;
    if (k === 0) verifyExposition(what, text, METRIC_NAME, ev.oracle);
    if (k >= plan.warmup) samplesMs.push(ms);
  }
  verifyExposition(what, text, METRIC_NAME, ev.oracle);
  return { samplesMs, text };
}

function clusterRow(
  id: ClusterRow['id'],
  label: string,
  call: string,
  timed: { samplesMs: number[]; text: string },
  setupMs: number,
): ClusterRow {
  const t = expositionTotals(timed.text, METRIC_NAME);
  return {
    id,
    label,
    call,
    samplesMs: timed.samplesMs,
    medianMs: median(timed.samplesMs),
    chars: timed.text.length,
    series: t.series,
    count: t.count,
    setupMs,
  };
}

/** (c), prom-client: 4 cluster workers with a Histogram each; the primary's AggregatorRegistry asks them over IPC. */
async function runClusterPromClient(ev: Events, perSeries: number, quick: boolean, ctx: BenchContext) {
  ctx.progress.step(
    `W9 (c) ${WORKERS} cluster workers × ${fmtN(ev.space.series)} series: prom-client clusterMetrics()`,
  );
  const { workers, setupMs, events } = await forkClusterWorkers('prom-client', '', perSeries);
  try {
    if (events !== ev.n)
      throw new Error(`bench verification failed: W9 (c) workers recorded ${events}, expected ${ev.n}`);
    const registry = new AggregatorRegistry();
    const timed = await timeMergedScrape(
      'W9 (c) prom-client clusterMetrics()',
      () => registry.clusterMetrics(),
      ev,
      quick,
    );
    return [
      clusterRow(
        'prom-client',
        `prom-client: ${WORKERS} node:cluster workers, a Histogram each; AggregatorRegistry in the primary`,
        'await registry.clusterMetrics()',
        timed,
        setupMs,
      ),
    ];
  } finally {
    await stopClusterWorkers(workers);
  }
}

/** (c), tophash: 4 cluster workers with a shared tophash/prom Histogram each; the primary reads the segment. */
async function runClusterTophash(ev: Events, perSeries: number, quick: boolean, ctx: BenchContext) {
  ctx.progress.step(`W9 (c) ${WORKERS} cluster workers × ${fmtN(ev.space.series)} series: tophash shared segments`);
  // Unique per run; unlinked first, so nothing an earlier run left is counted, and at the end.
  const clusterName = `tophash-bench-w9-${process.pid}`;
  ClusterRegistry.unlinkShared(clusterName, [METRIC_NAME]);
  let agg: Aggregator<LabelKey> | null = null;
  let registry: ClusterRegistry | null = null;
  const { workers, setupMs, events } = await forkClusterWorkers('tophash', clusterName, perSeries);
  try {
    if (events !== ev.n)
      throw new Error(`bench verification failed: W9 (c) workers recorded ${events}, expected ${ev.n}`);
    const reg = (registry = new ClusterRegistry());
    new TopHistogram({ ...w9HistogramConfig(), registers: [reg], shared: { name: clusterName, flushMs: 0 } });
    const viaRegistry = await timeMergedScrape(
      'W9 (c) tophash ClusterRegistry.clusterMetrics()',
      () => reg.clusterMetrics(),
      ev,
      quick,
    );
    const a = (agg = new Aggregator<LabelKey>({
      key: { labels: LABEL_NAMES },
      hist: { buckets: DEFAULT_BUCKETS },
      shared: { name: segmentName(clusterName, METRIC_NAME), flushMs: 0 },
    }));
    const viaAggregator = await timeMergedScrape(
      'W9 (c) tophash shared Aggregator toPrometheusAsync()',
      () => a.toPrometheusAsync({ name: METRIC_NAME, help: METRIC_HELP }),
      ev,
      quick,
    );
    return [
      clusterRow(
        'tophash-registry',
        `tophash/prom: ${WORKERS} node:cluster workers, a Histogram each with \`shared\`; ClusterRegistry in the primary`,
        'await registry.clusterMetrics()',
        viaRegistry,
        setupMs,
      ),
      clusterRow(
        'tophash-aggregator',
        'tophash: the same segment opened by a shared Aggregator in the primary, no registry',
        'await agg.toPrometheusAsync()',
        viaAggregator,
        setupMs,
      ),
    ];
  } finally {
    await stopClusterWorkers(workers);
    agg?.close();
    registry?.clear();
    ClusterRegistry.unlinkShared(clusterName, [METRIC_NAME]);
  }
}

// ---------------------------------------------------------------------------
// (d) event-loop delay while scraping

interface DelaySystem {
  id: string;
  label: string;
  /** null: the idle floor (no scrape). */
  prepare(ev: Events): { scrape: () => Promise<string>; dispose: () => void } | null;
}

function delaySystems(): DelaySystem[] {
  const fill = (child: (c: number) => { observe(v: number): void }, ev: Events) => {
    const children = ev.space.route.map((_, c) => child(c));
    for (let i = 0; i < ev.n; i++) children[ev.combo[i]].observe(ev.latency[i]);
  };
  const topHistogram = (ev: Events, offload: boolean) => {
    const registry = new TopRegistry();
    const hist = new TopHistogram({ ...w9HistogramConfig(), registers: [registry], offload });
    const { route, method, status } = ev.space;
    fill((c) => hist.labels(route[c], method[c], status[c]), ev);
    return { scrape: () => registry.metrics(), dispose: () => registry.clear() };
  };
  return [
    { id: 'idle', label: 'no scrape (the floor: timers only)', prepare: () => null },
    {
      id: 'prom-client',
      label: 'prom-client Histogram, prom-client Registry',
      prepare(ev) {
        const registry = new PromRegistry();
        const hist = promHistogram(registry);
        const { route, method, status } = ev.space;
        fill((c) => hist.labels(route[c], method[c], status[c]), ev);
        return { scrape: () => registry.metrics(), dispose: () => registry.clear() };
      },
    },
    {
      id: 'tophash-inline',
      label: 'tophash/prom Histogram (offload: false), tophash/prom Registry',
      prepare: (ev) => topHistogram(ev, false),
    },
    {
      id: 'tophash-offload',
      label: 'tophash/prom Histogram (offload: true), tophash/prom Registry',
      prepare: (ev) => topHistogram(ev, true),
    },
    {
      id: 'agg-offload',
      label: 'tophash Aggregator (offload: true), toPrometheusAsync() without a registry',
      prepare(ev) {
        const agg = labelsAggregator(true);
        const handles = handlesOf(agg, ev.space);
        for (let i = 0; i < ev.n; i++) handles[ev.combo[i]].record(ev.latency[i]);
        return {
          scrape: () => agg.toPrometheusAsync({ name: METRIC_NAME, help: METRIC_HELP }),
          dispose: () => agg.close(),
        };
      },
    },
  ];
}

interface DelayResult {
  id: string;
  label: string;
  runMs: number;
  scrapes: number;
  scrapeMedianMs: number;
  scrapeMaxMs: number;
  /** Event-loop delay beyond the 1 ms timer period, ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The histogram's own values (timer period included), ms. */
  raw: { p50: number; p99: number; max: number; count: number };
}

async function runDelaySystem(sys: DelaySystem, ev: Events, runMs: number, ctx: BenchContext): Promise<DelayResult> {
  ctx.progress.step(`W9 (d) event-loop delay, ${fmtN(ev.space.series)} series: ${sys.label}`);
  const state = sys.prepare(ev);
  try {
    // One untimed scrape: checks the text, and the first call's one-off costs stay out of the run.
    if (state !== null) {
      verifyExposition(`W9 (d) ${sys.label}`, await state.scrape(), METRIC_NAME, ev.oracle);
    }
    gc();
    const h = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    const scrapeMs: number[] = [];
    let last = '';
    h.enable();
    const t0 = performance.now();
    let next = t0;
    while (performance.now() - t0 < runMs) {
      if (state !== null) {
        const s = performance.now();
        last = await state.scrape();
        scrapeMs.push(performance.now() - s);
      }
      next += SCRAPE_PERIOD_MS;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else {
        // Overran the tick: start the next scrape at once, but through the timers phase, where the
        // delay monitor's timer fires (awaiting the scrape alone runs only microtasks, and a
        // setImmediate from the check phase would not pass through the timers phase).
        next = performance.now();
        await sleep(0);
      }
    }
    // Lets the monitor's timer fire once more, so the last scrape's block is recorded too.
    await sleep(2 * ELD_RESOLUTION_MS);
    h.disable();
    const elapsed = performance.now() - t0;
    if (state !== null) verifyExposition(`W9 (d) ${sys.label}`, last, METRIC_NAME, ev.oracle);
    const ms = (ns: number) => ns / 1e6;
    const beyond = (ns: number) => Math.max(0, ms(ns) - ELD_RESOLUTION_MS);
    return {
      id: sys.id,
      label: sys.label,
      runMs: elapsed,
      scrapes: scrapeMs.length,
      scrapeMedianMs: median(scrapeMs),
      scrapeMaxMs: scrapeMs.length > 0 ? Math.max(...scrapeMs) : NaN,
      p50Ms: beyond(h.percentile(50)),
      p99Ms: beyond(h.percentile(99)),
      maxMs: beyond(h.max),
      raw: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), count: h.count },
    };
  } finally {
    state?.dispose();
    gc();
  }
}

// ---------------------------------------------------------------------------
// report

interface Target {
  text: string;
  want: string;
  got: string;
}

function targetsOf(
  rec: RecResult[],
  workers: WorkerResult[],
  clusterRows: ClusterRow[],
  delay: DelayResult[],
): Target[] {
  const recBase = rec.find((r) => r.id === 'prom-client');
  const recOff = rec.find((r) => r.id === 'agg-offload');
  const wBase = workers.find((r) => r.id === 'prom-client');
  const wTop = workers.find((r) => r.id === 'tophash');
  const cBase = clusterRows.find((r) => r.id === 'prom-client');
  const cTop = clusterRows.find((r) => r.id === 'tophash-registry');
  const dTop = delay.find((r) => r.id === 'tophash-offload');
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? '—' : fmtRatio(a / b);
  return [
    {
      text: '(a) offloaded handles vs prom-client observe(labels, v), recording loop wall time',
      want: `≥ ${TARGETS.recording}×`,
      got: ratio(recBase?.perEvent.loopNs, recOff?.perEvent.loopNs),
    },
    {
      text: `(b) ${WORKERS} workers into one offloaded Aggregator vs ${WORKERS} prom-client Histograms merged, events/s`,
      want: `≥ ${TARGETS.workers}×`,
      got: ratio(wTop?.eventsPerSec, wBase?.eventsPerSec),
    },
    {
      text: `(c) merged scrape of ${WORKERS} processes × 1000 series: ClusterRegistry.clusterMetrics() vs prom-client's AggregatorRegistry.clusterMetrics()`,
      want: `≥ ${TARGETS.clusterScrape}×`,
      got: ratio(cBase?.medianMs, cTop?.medianMs),
    },
    {
      text: '(d) event-loop delay p99 while tophash/prom (offload: true) is scraped every 100 ms',
      want: `< ${TARGETS.delayP99Ms} ms`,
      got: dTop === undefined ? '—' : `${dTop.p99Ms.toFixed(2)} ms`,
    },
  ];
}

function render(
  cores: number,
  ev: Events,
  rec: RecResult[],
  workers: WorkerResult[],
  clusterEv: Events,
  clusterRows: ClusterRow[],
  delayEv: Events,
  delay: DelayResult[],
  runMs: number,
  quick: boolean,
): string {
  const lines: string[] = [];
  const perEv = (ns: number) => fmtNs(ns);
  lines.push('## W9 — offload across cores');
  lines.push('');
  lines.push(
    `Cores available: ${cores} (\`os.availableParallelism()\`). The offload thread (one per process) drains every ring ` +
      `on one of them, so it competes with the recording thread in (a) and with the ${WORKERS} workers and the main ` +
      `thread in (b)${cores < WORKERS + 1 ? `: ${WORKERS} workers + the offload thread on ${cores} cores are oversubscribed` : ''}. ` +
      `W3's events (N = ${fmtN(ev.n)}, XOR checksum ${ev.checksum}) over its 1000 label sets, prom-client's default buckets; ` +
      "every system's series are read back after its last sample and checked against W3's oracle (count, sum, buckets per series).",
  );

  // (a)
  const plan = recordPlan(ev.n, quick);
  lines.push('');
  lines.push(`### (a) cost on the recording thread, N = ${fmtN(ev.n)}`);
  lines.push('');
  lines.push(
    `Median of ${plan.samples} samples${plan.warmup ? ` (+${plan.warmup} warm-up)` : ''}, each into fresh state (handles and children resolved untimed), ns per event. ` +
      '"loop" is the wall time of the recording loop on the main thread; "vs (a)" compares it with (a). ' +
      'Node 20 has no `process.threadCpuUsage`, so "main CPU" is the main thread\'s on-CPU time from `/proc/self/task/<pid>/schedstat` ' +
      '(the event loop\'s share; — off Linux) and "process CPU" is `process.cpuUsage()` (user + system, every thread), both over the loop. ' +
      '"to aggregated" adds the `flush()` after the loop (inline: the last partial batch; offloaded: what the ring still holds, drained on this thread) — ' +
      "wall time, process CPU and the offload thread's CPU (schedstat of the thread that started with the aggregator) over loop + flush. " +
      "An offloaded ring that fills drains on the recording thread (`onRingFull: 'flush'`, the default), inside the loop.",
  );
  lines.push('');
  const base = rec.find((r) => r.id === 'prom-client');
  lines.push(
    mdTable(
      [
        { title: 'system', align: 'left' },
        'loop ns/event',
        'vs (a)',
        'main CPU',
        'process CPU',
        'to aggregated',
        'process CPU, to aggregated',
        'offload thread CPU',
        'loop min–max',
        { title: 'verified', align: 'left' },
      ],
      rec.map((r) => {
        const loops = r.samples.map((s) => s.loopNs / ev.n).sort((a, b) => a - b);
        return [
          r.label,
          perEv(r.perEvent.loopNs),
          base === undefined ? '—' : r === base ? '1×' : fmtRatio(base.perEvent.loopNs / r.perEvent.loopNs),
          perEv(r.perEvent.mainCpuNs),
          perEv(r.perEvent.processCpuNs),
          perEv(r.perEvent.aggregatedNs),
          perEv(r.perEvent.processCpuAggregatedNs),
          perEv(r.perEvent.offloadCpuNs),
          `${perEv(loops[0])}–${perEv(loops[loops.length - 1])}`,
          `✓ ${r.verified.series} series, ${r.verified.count.toLocaleString('en-US')} events`,
        ];
      }),
    ),
  );

  // (b)
  lines.push('');
  lines.push(`### (b) ${WORKERS} worker_threads, N = ${fmtN(ev.n)} events in all`);
  lines.push('');
  lines.push(
    `Worker k records W3's events [k·N/${WORKERS}, (k+1)·N/${WORKERS}) (typed arrays on SharedArrayBuffers). Workers are started and ` +
      'build their state untimed (prom-client: a Histogram in a Registry of its own; tophash: `Aggregator.attach(token)` of the main ' +
      "thread's `offload: true` Aggregator and a handle per label set); the clock runs from posting 'go' to every worker until the merged " +
      'result is available: prom-client: each worker posts `registry.getMetricsAsJSON()` and the main thread merges them with ' +
      "`AggregatorRegistry.aggregate()`; tophash: each worker's `flush()` + `close()` (its ring handed in) and the owner's `flush()`. " +
      `Median of ${WORKER_SAMPLES} samples (fresh workers each); process CPU covers every thread.`,
  );
  lines.push('');
  const wBase = workers.find((r) => r.id === 'prom-client');
  lines.push(
    mdTable(
      [
        { title: 'system', align: 'left' },
        'end to end',
        'Mevents/s',
        'vs prom-client',
        'process CPU ns/event',
        { title: 'min–max', align: 'left' },
        { title: 'verified', align: 'left' },
      ],
      workers.map((r) => {
        const walls = r.samples.map((s) => s.wallNs).sort((a, b) => a - b);
        return [
          r.label,
          fmtDuration(r.medianNs),
          (r.eventsPerSec / 1e6).toFixed(2),
          wBase === undefined ? '—' : r === wBase ? '1×' : fmtRatio(r.eventsPerSec / wBase.eventsPerSec),
          perEv(r.processCpuNsPerEvent),
          `${fmtDuration(walls[0])}–${fmtDuration(walls[walls.length - 1])}`,
          `✓ ${r.verified.series} series, ${r.verified.count.toLocaleString('en-US')} events`,
        ];
      }),
    ),
  );

  // (c)
  const cPlan = clusterPlan(quick);
  const perWorker = clusterEv.n / WORKERS / clusterEv.space.series;
  lines.push('');
  lines.push(`### (c) merged scrape, ${WORKERS} processes × ${clusterEv.space.series.toLocaleString('en-US')} series`);
  lines.push('');
  lines.push(
    `The primary forks ${WORKERS} \`node:cluster\` workers; worker k records events [k·N/${WORKERS}, (k+1)·N/${WORKERS}) of W3's scrape stream ` +
      `over its ${clusterEv.space.series.toLocaleString('en-US')} label sets (N = ${clusterEv.n.toLocaleString('en-US')}, event j in series j mod ${clusterEv.space.series.toLocaleString('en-US')}), ` +
      `so every worker holds all ${clusterEv.space.series.toLocaleString('en-US')} series with ${perWorker} events each and the merged view has ` +
      `${clusterEv.n.toLocaleString('en-US')} events. prom-client: a Histogram per worker (global registry) and an \`AggregatorRegistry\` constructed in the ` +
      "worker (prom-client 15 installs the worker's IPC listener there, not on import); the primary's `AggregatorRegistry.clusterMetrics()` " +
      'asks every worker for `getMetricsAsJSON()` over IPC and merges. tophash: a tophash/prom Histogram per worker with `shared: { name, flushMs: 0 }` ' +
      'in a `ClusterRegistry`, published by one scrape in the worker before it reports ready (the segment is unlinked before the workers start and ' +
      "after the run); the primary creates the same Histogram in a `ClusterRegistry` and its `clusterMetrics()` merges every worker's shard " +
      'from shared memory (and publishes its own, empty one); the last row opens the segment with a shared `Aggregator` and renders it with ' +
      '`toPrometheusAsync()`. The workers stay up, idle, while the primary scrapes. ' +
      `Median of ${cPlan.samples} scrapes (+${cPlan.warmup} warm-up), each after a full GC, ms per merged scrape; the first and the last text of every row ` +
      'are checked against W3\'s oracle (series, Σ _count, Σ _sum). "workers ready" is the untimed set-up: fork to every worker\'s ready.',
  );
  lines.push('');
  const cBase = clusterRows.find((r) => r.id === 'prom-client');
  lines.push(
    mdTable(
      [
        { title: 'system', align: 'left' },
        { title: 'call', align: 'left' },
        'median ms',
        'min–max ms',
        'vs clusterMetrics()',
        'text chars',
        'workers ready',
        { title: 'verified', align: 'left' },
      ],
      clusterRows.map((r) => {
        const sorted = [...r.samplesMs].sort((x, y) => x - y);
        return [
          r.label,
          r.call,
          r.medianMs.toFixed(2),
          `${sorted[0].toFixed(2)}–${sorted[sorted.length - 1].toFixed(2)}`,
          cBase === undefined ? '—' : r === cBase ? '1×' : fmtRatio(cBase.medianMs / r.medianMs),
          r.chars.toLocaleString('en-US'),
          `${(r.setupMs / 1000).toFixed(2)} s`,
          `✓ ${r.series} series, Σ _count ${r.count.toLocaleString('en-US')}`,
        ];
      }),
    ),
  );

  // (d)
  lines.push('');
  lines.push(
    `### (d) event-loop delay while scraping ${delayEv.space.series.toLocaleString('en-US')} series every ${SCRAPE_PERIOD_MS} ms`,
  );
  lines.push('');
  lines.push(
    `W3's ${delayEv.space.series.toLocaleString('en-US')}-series label space (${DELAY_ROUTES} routes), ${delayEv.n / delayEv.space.series} events per series, ` +
      `one Histogram in one Registry; \`await registry.metrics()\` then a wait to the next ${SCRAPE_PERIOD_MS} ms tick ` +
      `(at once if the scrape overran it), for ${(runMs / 1000).toFixed(0)} s, while \`monitorEventLoopDelay({ resolution: ${ELD_RESOLUTION_MS} })\` runs. ` +
      `Delay = the histogram's value minus its ${ELD_RESOLUTION_MS} ms timer period (raw p99 in the last column). ` +
      'Every scrape is checked for every series and the totals (the first one, untimed, and the last one).',
  );
  lines.push('');
  const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');
  lines.push(
    mdTable(
      [
        { title: 'system', align: 'left' },
        'scrapes',
        'scrape median ms',
        'delay p50 ms',
        'delay p99 ms',
        'delay max ms',
        'raw p99 ms',
      ],
      delay.map((r) => [
        r.label,
        String(r.scrapes),
        f2(r.scrapeMedianMs),
        f2(r.p50Ms),
        f2(r.p99Ms),
        f2(r.maxMs),
        f2(r.raw.p99),
      ]),
    ),
  );

  lines.push('');
  lines.push('Targets (reported, not enforced):');
  lines.push('');
  for (const t of targetsOf(rec, workers, clusterRows, delay))
    lines.push(`- ${t.text}: target ${t.want}, measured ${t.got}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------

export const w9: Workload = {
  id: 'W9',
  title: 'offload across cores',
  sizes: (ctx) => pickSizes(ctx, [1e7], [1e5]),
  steps: () => recordSystems().length + 2 + 2 + delaySystems().length,
  async run(ctx: BenchContext): Promise<WorkloadResult> {
    selfTestEvents();
    const cores = os.availableParallelism();
    const n = Math.max(...w9.sizes(ctx));
    const ev = generateEvents(n, ROUTES);
    ctx.progress.note(
      `W9 N=${fmtN(n)}: events built in ${ev.buildMs.toFixed(0)} ms; XOR ${ev.checksum}; ${cores} cores available`,
    );

    const rec: RecResult[] = [];
    for (const sys of recordSystems()) rec.push(await runRecordSystem(sys, ev, ctx.quick, ctx));

    const shared = sharedEvents(ev);
    const workers: WorkerResult[] = [];
    for (const system of ['prom-client', 'tophash'] as const) {
      workers.push(await runWorkerSystem(system, ev, shared, ctx));
    }

    const clusterPerSeries = ctx.quick ? QUICK_CLUSTER_EVENTS_PER_SERIES : CLUSTER_EVENTS_PER_SERIES;
    const clusterEv = generateScrapeEvents(ROUTES, clusterPerSeries);
    const clusterRows: ClusterRow[] = [
      ...(await runClusterPromClient(clusterEv, clusterPerSeries, ctx.quick, ctx)),
      ...(await runClusterTophash(clusterEv, clusterPerSeries, ctx.quick, ctx)),
    ];
    const promCount = clusterRows[0].count;
    for (const r of clusterRows) {
      if (r.count !== promCount) {
        throw new Error(`bench verification failed: W9 (c) ${r.id}: Σ _count ${r.count}, prom-client's ${promCount}`);
      }
    }

    const perSeries = ctx.quick ? QUICK_DELAY_EVENTS_PER_SERIES : DELAY_EVENTS_PER_SERIES;
    const delayEv = generateScrapeEvents(DELAY_ROUTES, perSeries);
    const runMs = ctx.quick ? QUICK_DELAY_RUN_MS : DELAY_RUN_MS;
    const delay: DelayResult[] = [];
    for (const sys of delaySystems()) delay.push(await runDelaySystem(sys, delayEv, runMs, ctx));

    return {
      markdown: render(cores, ev, rec, workers, clusterEv, clusterRows, delayEv, delay, runMs, ctx.quick),
      data: {
        cores,
        n,
        checksum: ev.checksum,
        workers: WORKERS,
        recording: rec,
        threads: workers,
        clusterScrape: {
          workers: WORKERS,
          series: clusterEv.space.series,
          events: clusterEv.n,
          eventsPerSeries: clusterPerSeries,
          rows: clusterRows,
        },
        eventLoopDelay: {
          series: delayEv.space.series,
          eventsPerSeries: perSeries,
          periodMs: SCRAPE_PERIOD_MS,
          runMs,
          resolutionMs: ELD_RESOLUTION_MS,
          rows: delay,
        },
        targets: targetsOf(rec, workers, clusterRows, delay),
      },
    };
  },
};
