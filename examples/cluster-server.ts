// The example service (examples/server.ts) under node:cluster: N worker
// processes share the port, and their metrics are shared too. Each worker
// creates the same tophash/prom metrics with `shared: { name }`: it records
// into its own memory and publishes to its own shard of a shared-memory
// segment per metric, so whichever worker answers GET /metrics renders every
// worker's series merged, from shared memory, without asking the others (no
// IPC, unlike prom-client's AggregatorRegistry). A worker that crashes keeps
// what it last published counted, and its replacement takes its shard over.
//
//   npx tsc -p tsconfig.build.json && node dist/examples/cluster-server.js --port 9464 --workers 4
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';

import { ClusterRegistry } from '../src/prom';
import { METRIC_NAMES, portFrom, startServer } from './server';

/** The worker count from `--workers N`, else the machine's parallelism. */
export function workersFrom(argv: readonly string[]): number {
  const at = argv.indexOf('--workers');
  const n = at >= 0 ? Number(argv[at + 1]) : availableParallelism();
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new RangeError(`Expected a worker count in 1..256 for --workers but received '${argv[at + 1]}'`);
  }
  return n;
}

function primary(argv: readonly string[]): void {
  // A fresh start: segments left by an earlier run would carry its counts.
  const name = `tophash-example-${process.pid}`;
  ClusterRegistry.unlinkShared(name, METRIC_NAMES);
  const workers = workersFrom(argv);
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork({ TOPHASH_CLUSTER: name });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) ClusterRegistry.unlinkShared(name, METRIC_NAMES);
      return;
    }
    // A worker that dies is replaced; its shard (and its counts) pass to the new one.
    console.log(`worker ${worker.process.pid} ended (${signal ?? code}); starting another`);
    cluster.fork({ TOPHASH_CLUSTER: name });
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`tophash cluster example: ${workers} workers on port ${portFrom(argv, process.env)}`);
}

async function worker(): Promise<void> {
  const app = await startServer(
    portFrom(process.argv.slice(2), process.env),
    process.env.HOST ?? '127.0.0.1',
    process.env.TOPHASH_CLUSTER,
  );
  process.once('SIGTERM', () => {
    app
      .close()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
}

if (require.main === module) {
  if (cluster.isPrimary) {
    primary(process.argv.slice(2));
  } else {
    worker().catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
  }
}
