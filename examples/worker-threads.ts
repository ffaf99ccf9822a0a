// Several worker_threads recording into one Aggregator.
//
// The main thread creates the aggregator with `offload: true`: recording then
// only appends to a per-thread ring, and one native thread per process drains
// every ring into the shared aggregation. `agg.share()` returns a plain token
// that can be posted to a worker; `Aggregator.attach(token)` there returns a
// recorder writing into the same aggregation. The main thread reads (or
// scrapes) the whole of it.
//
//   npx tsc -p tsconfig.build.json && node dist/examples/worker-threads.js
//
// (In an installed package, import from 'tophash' instead of '../src/index'.)
import { Worker, isMainThread, workerData } from 'node:worker_threads';

import { Aggregator, type AggregatorToken } from '../src/index';

const WORKERS = 4;
const EVENTS_PER_WORKER = 100_000;
const ROUTES = ['/api/items', '/api/users', '/api/orders'];

if (isMainThread) {
  // Label keys, and a histogram over these bucket bounds (seconds).
  const agg = new Aggregator({
    key: { labels: ['route', 'worker'] },
    hist: { buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1] },
    offload: true,
  });
  // This same file runs as the worker; the token is plain data, safe to post.
  const workers = Array.from({ length: WORKERS }, (_, id) => {
    const w = new Worker(__filename, { workerData: { token: agg.share(), id } });
    return new Promise<void>((resolve, reject) => {
      w.once('error', reject);
      w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${id} exited with ${code}`))));
    });
  });
  void Promise.all(workers).then(async () => {
    // A worker that ends hands in what its ring still held, so every event is here.
    console.log(`${agg.stats().flushed} events in ${agg.size} series`);
    // One series as bpftrace prints a histogram.
    console.log(agg.print({ route: '/api/items', worker: '0' }));
    // The Prometheus text, rendered on the libuv thread pool rather than the event loop.
    const text = await agg.toPrometheusAsync({ name: 'request_duration_seconds', help: 'Request latency' });
    console.log(
      text
        .split('\n')
        .filter((line) => line.includes('_count'))
        .join('\n'),
    );
    agg.close();
  });
} else {
  const { token, id } = workerData as { token: AggregatorToken; id: number };
  const rec = Aggregator.attach(token);
  // A handle resolves its label set once; record() then only writes to this thread's ring.
  const handles = ROUTES.map((route) => rec.handle({ route, worker: String(id) }));
  for (let i = 0; i < EVENTS_PER_WORKER; i++) {
    handles[i % handles.length].record(Math.random() * 0.2);
  }
  rec.close(); // detaches this recorder; its events stay in the aggregation
}
