// W9's worker_thread: records its slice of W3's events, either into the
// offloaded Aggregator the main thread shared (through cached handles) or into
// a prom-client Histogram of its own, whose getMetricsAsJSON() it posts back
// for the main thread to merge.
//
// Protocol: the worker builds its state (untimed) and posts 'ready'; the main
// thread posts 'go' to every worker at once and starts its clock; the worker
// records events [start, end) and posts { done: true, json? }. The events are
// typed arrays on SharedArrayBuffers, shared by every worker, not copied.
import { parentPort, workerData } from 'node:worker_threads';
import { Histogram, Registry } from 'prom-client';
import { Aggregator, type AggregatorToken, type LabelKey } from '../src/index';
import { DEFAULT_BUCKETS, LABEL_NAMES, labelSpace } from './w3-events';

/** What the main thread passes in `workerData`. */
export interface W9WorkerData {
  system: 'tophash' | 'prom-client';
  /** The histogram's name and help (prom-client only). */
  name: string;
  help: string;
  /** Aggregator.share() of the main thread's offloaded aggregator (tophash only). */
  token: AggregatorToken | null;
  /** W3's route count: the label space is routes × 4 methods × 5 statuses. */
  routes: number;
  combo: Uint32Array;
  latency: Float64Array;
  start: number;
  end: number;
}

/** What the worker posts when its slice is recorded. */
export interface W9WorkerDone {
  done: true;
  /** prom-client only: its registry's getMetricsAsJSON(), to merge in the main thread. */
  json: unknown;
}

const data = workerData as W9WorkerData;
const port = parentPort!;
const space = labelSpace(data.routes);
const { route, method, status } = space;

// Each system's loop is a function literal of its own, so its call sites stay monomorphic.
if (data.system === 'tophash') {
  const rec = Aggregator.attach<LabelKey>(data.token!);
  const handles = route.map((_, c) => rec.handle({ route: route[c], method: method[c], status: status[c] }));
  port.once('message', () => {
    const { combo, latency, start, end } = data;
    for (let i = start; i < end; i++) handles[combo[i]].record(latency[i]);
    // Aggregates what this thread's ring still holds, then detaches: the events stay in the aggregation.
    rec.flush();
    rec.close();
    const done: W9WorkerDone = { done: true, json: null };
    port.postMessage(done);
  });
} else {
  const registry = new Registry();
  const hist = new Histogram({
    name: data.name,
    help: data.help,
    labelNames: [...LABEL_NAMES],
    buckets: [...DEFAULT_BUCKETS],
    registers: [registry],
  });
  port.once('message', () => {
    const { combo, latency, start, end } = data;
    for (let i = start; i < end; i++) {
      const c = combo[i];
      hist.observe({ route: route[c], method: method[c], status: status[c] }, latency[i]);
    }
    void registry.getMetricsAsJSON().then((json) => {
      const done: W9WorkerDone = { done: true, json };
      port.postMessage(done);
    });
  });
}
port.postMessage('ready');
