// A small node:http service instrumented the prom-client way: per-route
// request latency in a Histogram, a request Counter and an in-flight Gauge,
// served at /metrics for Prometheus to scrape. The metrics come from
// tophash/prom instead of prom-client: that import is the only change (in an
// installed package it reads `from 'tophash/prom'`). tophash's Registry also
// renders them with tophash's exposition code; prom-client's would work too.
//
//   npm run example                 # http://127.0.0.1:9464/
//   npm run example -- --port 8080  # or PORT=8080 npm run example
//
// Routes: /api/items (fast), /api/slow?ms=N (waits N ms), /api/error (500),
// anything else 404. Each response carries the latency it was recorded with
// in `x-observed-seconds`, so a test can check what Prometheus scraped.
// The latency histogram also keeps native buckets: a Prometheus started with
// --enable-feature=native-histograms asks for the protobuf format and gets them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ClusterRegistry, Counter, Gauge, Histogram, Registry } from '../src/prom';

/** What {@link startServer} returns. */
export interface ExampleServer {
  /** The base URL, e.g. `http://127.0.0.1:9464/`. */
  url: string;
  /** The registry /metrics serves. */
  registry: Registry;
  /** Stops accepting connections and resolves once the server is closed. */
  close(): Promise<void>;
}

const ROUTES = new Set(['/api/items', '/api/slow', '/api/error']);

/** The metrics' names, for a cluster's primary to clear their shared segments. */
export const METRIC_NAMES = ['http_request_duration_seconds', 'http_requests_total', 'http_requests_in_flight'];

/**
 * Starts the example service.
 *
 * @param port - the TCP port (0 picks a free one)
 * @param host - the interface to listen on
 * @param cluster - share the metrics between processes under this name (examples/cluster-server.ts):
 *   every process's /metrics then serves the merged view
 */
export async function startServer(port: number, host = '127.0.0.1', cluster?: string): Promise<ExampleServer> {
  const registry = cluster === undefined ? new Registry() : new ClusterRegistry();
  // Published every 250 ms (and on each scrape), so any worker's /metrics is at most that stale.
  const shared = cluster === undefined ? undefined : { name: cluster, flushMs: 250 };
  const latency = new Histogram({
    name: METRIC_NAMES[0],
    help: 'HTTP request latency by route, method and status code',
    labelNames: ['route', 'method', 'status_code'],
    registers: [registry],
    shared,
    // Eight buckets per power of two, each about 9 % wide; per process, so not across a cluster.
    native: cluster === undefined ? { schema: 3 } : undefined,
  });
  const requests = new Counter({
    name: METRIC_NAMES[1],
    help: 'HTTP requests handled',
    labelNames: ['route', 'method', 'status_code'],
    registers: [registry],
    shared,
  });
  const inFlight = new Gauge({
    name: METRIC_NAMES[2],
    help: 'Requests being handled',
    registers: [registry],
    shared,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/metrics') {
      // Protobuf (with any native buckets) when the scraper asks for it, else text; a
      // ClusterRegistry's is the merged view of every process.
      const { contentType, body } = await registry.metricsFor(req.headers.accept);
      res.writeHead(200, { 'content-type': contentType });
      res.end(body);
      return;
    }
    // Unknown paths share one label value, so a scanner cannot blow up the series count.
    const route = ROUTES.has(url.pathname) ? url.pathname : '(unmatched)';
    const method = req.method ?? 'GET';
    const end = latency.startTimer({ route, method });
    inFlight.inc();
    let status = 200;
    if (route === '/api/slow') {
      const ms = Math.min(Number(url.searchParams.get('ms')) || 0, 10_000);
      await new Promise((resolve) => setTimeout(resolve, ms));
    } else if (route === '/api/error') {
      status = 500;
    } else if (route === '(unmatched)') {
      status = 404;
    }
    const labels = { route, method, status_code: String(status) };
    const seconds = end({ status_code: labels.status_code });
    requests.inc(labels);
    inFlight.dec();
    res.writeHead(status, { 'content-type': 'application/json', 'x-observed-seconds': String(seconds) });
    res.end(JSON.stringify({ route, status, seconds }));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/`,
    registry,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

/** The port from `--port N` / `--port=N`, else `$PORT`, else 9464 (the OpenTelemetry Prometheus exporter's). */
export function portFrom(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  let text: string | undefined = env.PORT;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') text = argv[i + 1];
    else if (argv[i].startsWith('--port=')) text = argv[i].slice('--port='.length);
  }
  if (text === undefined || text === '') return 9464;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Expected a port in 0..65535 for --port/PORT but received '${text}'`);
  }
  return port;
}

/**
 * Runs the example until SIGINT or SIGTERM, then closes the server and lets the process exit on
 * its own (exit code 0).
 */
export async function main(argv: readonly string[] = process.argv.slice(2), env = process.env): Promise<ExampleServer> {
  const app = await startServer(portFrom(argv, env), env.HOST ?? '127.0.0.1');
  console.log(`tophash example listening on ${app.url} (metrics at ${app.url}metrics)`);
  const stop = (signal: NodeJS.Signals) => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    console.log(`${signal}: closing`);
    app.close().catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return app;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
