// W9 (c)'s node:cluster worker: records its slice of W3's scrape events
// (every one of the 1000 label sets, the same number of events each) into a
// Histogram, publishes, says 'ready' and stays up until the primary says 'stop'.
//
//   prom-client: a prom-client Histogram in the global registry, and an
//     AggregatorRegistry constructed here: prom-client 15 installs the worker's
//     IPC listener (answering the primary's clusterMetrics()) in that
//     constructor, not on import.
//   tophash: tophash/prom's Histogram with `shared: { name, flushMs: 0 }` in a
//     ClusterRegistry; one clusterMetrics() here publishes this process's shard
//     before 'ready', and nothing publishes after it (flushMs: 0).
//
// The primary passes everything in the environment (see W9ClusterEnv).
import { AggregatorRegistry, Histogram as PromHistogram } from 'prom-client';
import { ClusterRegistry, Histogram as TopHistogram } from '../src/prom';
import { generateScrapeEvents } from './w3-events';
import { w9HistogramConfig } from './w9-histogram';

/** The environment the primary forks a worker with (all strings). */
export interface W9ClusterEnv {
  W9_CLUSTER_SYSTEM: 'prom-client' | 'tophash';
  /** tophash: the `shared.name` of the cluster. */
  W9_CLUSTER_NAME: string;
  /** W3's route count: the label space is routes × 4 methods × 5 statuses. */
  W9_CLUSTER_ROUTES: string;
  /** Events per series of the whole stream (every worker records its share). */
  W9_CLUSTER_PER_SERIES: string;
  /** This worker's index and the worker count: it records events [k·N/W, (k+1)·N/W). */
  W9_CLUSTER_INDEX: string;
  W9_CLUSTER_WORKERS: string;
}

/** What a worker sends once its events are recorded (and, for tophash, published). */
export interface W9ClusterReady {
  w9: 'ready';
  /** Events this worker recorded. */
  events: number;
  /** ms from the start of the worker's module to 'ready' (building events, recording, publishing). */
  setupMs: number;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const env = process.env as unknown as W9ClusterEnv;
  const system = env.W9_CLUSTER_SYSTEM;
  const ev = generateScrapeEvents(Number(env.W9_CLUSTER_ROUTES), Number(env.W9_CLUSTER_PER_SERIES));
  const k = Number(env.W9_CLUSTER_INDEX);
  const workers = Number(env.W9_CLUSTER_WORKERS);
  const start = Math.floor((k * ev.n) / workers);
  const end = Math.floor(((k + 1) * ev.n) / workers);
  const { route, method, status } = ev.space;
  const { combo, latency } = ev;

  const config = w9HistogramConfig();
  let hist: { observe(labels: Record<string, string>, value: number): void };
  let publish = (): Promise<unknown> => Promise.resolve();
  let stop = (): void => undefined;
  if (system === 'prom-client') {
    new AggregatorRegistry(); // installs the listener that answers the primary's clusterMetrics()
    hist = new PromHistogram(config); // in the global registry, the one the listener reports
  } else if (system === 'tophash') {
    const registry = new ClusterRegistry();
    hist = new TopHistogram({ ...config, registers: [registry], shared: { name: env.W9_CLUSTER_NAME, flushMs: 0 } });
    publish = () => registry.clusterMetrics(); // publishes this process's shard
    stop = () => registry.clear();
  } else {
    throw new Error(`W9 (c) worker: unknown system '${String(system)}'`);
  }
  for (let i = start; i < end; i++) {
    const c = combo[i];
    hist.observe({ route: route[c], method: method[c], status: status[c] }, latency[i]);
  }
  await publish();

  process.on('message', (m: unknown) => {
    if (m === 'stop') {
      stop();
      process.disconnect();
    }
  });
  const ready: W9ClusterReady = { w9: 'ready', events: end - start, setupMs: performance.now() - t0 };
  process.send!(ready);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
