// End to end: the example server and a real Prometheus server scraping it
// every second. Requests with known routes go in; the histogram's _count and
// _sum that Prometheus stored must equal what the server reported recording
// (each response carries its observed latency). Skipped, loudly, where the
// `prometheus` binary is not installed (CI installs the Debian package).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main, portFrom, startServer, type ExampleServer } from '../examples/server';

const haveProm = spawnSync('prometheus', ['--version'], { encoding: 'utf8' }).status === 0;
if (!haveProm) {
  console.warn(
    'SKIPPED Prometheus integration test: `prometheus` is not on PATH (apt-get install prometheus); CI installs it.',
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(base: string, promql: string): Promise<VectorResult[]> {
  const res = await fetch(`${base}api/v1/query?query=${encodeURIComponent(promql)}`);
  if (!res.ok) throw new Error(`query ${promql}: HTTP ${res.status}`);
  const body = (await res.json()) as { status: string; data: { result: VectorResult[] } };
  return body.data.result;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A real Prometheus server scraping `target` every second, in its own temp dir. */
async function startPrometheus(
  target: string,
  job: string,
  flags: readonly string[] = [],
): Promise<{ base: string; log: () => string; stop: () => Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tophash-prom-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      `  - job_name: ${job}`,
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const prom = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...flags,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  prom.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const base = `http://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 150) throw new Error(`Prometheus did not become ready:\n${log}`);
    await sleep(100);
  }
  return {
    base,
    log: () => log,
    stop: async () => {
      if (prom.exitCode === null) {
        const exited = new Promise((resolve) => prom.once('exit', resolve));
        prom.kill('SIGTERM');
        await Promise.race([exited, sleep(5000).then(() => prom.kill('SIGKILL'))]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.skipIf(!haveProm)('Prometheus scrapes the example server', () => {
  let app: ExampleServer;
  let prom: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  let promBase = '';

  beforeAll(async () => {
    app = await startServer(0);
    prom = await startPrometheus(new URL(app.url).host, 'tophash-example');
    promBase = prom.base;
  });

  afterAll(async () => {
    await prom?.stop();
    await app?.close();
  });

  it('stores _count and _sum equal to what the server recorded, per route', async () => {
    const plan: string[] = [];
    for (let i = 0; i < 12; i++) plan.push('api/items');
    for (let i = 0; i < 8; i++) plan.push(`api/slow?ms=${5 * i}`);
    for (let i = 0; i < 5; i++) plan.push('api/error');
    for (let i = 0; i < 3; i++) plan.push('no/such/path');
    const expected = new Map<string, { count: number; sum: number }>();
    await Promise.all(
      plan.map(async (path) => {
        const res = await fetch(app.url + path);
        await res.text();
        const seconds = Number(res.headers.get('x-observed-seconds'));
        const pathname = new URL(app.url + path).pathname;
        const route = ['/api/items', '/api/slow', '/api/error'].includes(pathname) ? pathname : '(unmatched)';
        const e = expected.get(route) ?? { count: 0, sum: 0 };
        e.count++;
        e.sum += seconds;
        expected.set(route, e);
      }),
    );
    const totalCount = plan.length;
    const totalSum = [...expected.values()].reduce((a, e) => a + e.sum, 0);

    let last = '';
    const deadline = Date.now() + 40_000;
    for (;;) {
      const counts = await query(promBase, 'sum by (route) (http_request_duration_seconds_count)');
      const sums = await query(promBase, 'sum by (route) (http_request_duration_seconds_sum)');
      const inf = await query(promBase, 'sum(http_request_duration_seconds_bucket{le="+Inf"})');
      const got = new Map(counts.map((r) => [r.metric.route, Number(r.value[1])]));
      const gotSum = new Map(sums.map((r) => [r.metric.route, Number(r.value[1])]));
      const done =
        got.size === expected.size &&
        [...expected].every(
          ([route, e]) =>
            got.get(route) === e.count && Math.abs(gotSum.get(route)! - e.sum) <= 1e-9 * Math.max(1, e.sum),
        ) &&
        inf.length === 1 &&
        Number(inf[0].value[1]) === totalCount;
      last = JSON.stringify({ counts: [...got], sums: [...gotSum], inf: inf.map((r) => r.value[1]) });
      if (done) break;
      if (Date.now() > deadline) {
        throw new Error(
          `Prometheus never showed the expected values.\nexpected ${JSON.stringify([...expected])}\nlast ${last}\n${prom!.log()}`,
        );
      }
      await sleep(250);
    }
    const [total] = await query(promBase, 'sum(http_request_duration_seconds_sum)');
    expect(Number(total.value[1])).toBeCloseTo(totalSum, 9);
    const [requests] = await query(promBase, 'sum(http_requests_total)');
    expect(Number(requests.value[1])).toBe(totalCount);
    const [up] = await query(promBase, 'up{job="tophash-example"}');
    expect(up.value[1]).toBe('1');
  }, 55_000);
});

// With native histograms enabled, Prometheus asks for the protobuf format and stores the latency
// histogram's native buckets; its histogram functions must agree with what the server recorded.
describe.skipIf(!haveProm)('Prometheus scrapes native histograms from the example server', () => {
  let app: ExampleServer;
  let prom: Awaited<ReturnType<typeof startPrometheus>> | undefined;

  beforeAll(async () => {
    app = await startServer(0);
    prom = await startPrometheus(new URL(app.url).host, 'tophash-native', ['--enable-feature=native-histograms']);
  });

  afterAll(async () => {
    await prom?.stop();
    await app?.close();
  });

  it('histogram_count, histogram_sum and histogram_quantile(0.9) agree with the observations', async () => {
    const plan: string[] = [];
    for (let i = 0; i < 30; i++) plan.push('api/items');
    for (let i = 0; i < 20; i++) plan.push(`api/slow?ms=${2 * i}`);
    const observed = await Promise.all(
      plan.map(async (path) => {
        const res = await fetch(app.url + path);
        await res.text();
        return Number(res.headers.get('x-observed-seconds'));
      }),
    );
    const sum = observed.reduce((a, v) => a + v, 0);
    const sorted = [...observed].sort((a, b) => a - b);
    const exact = sorted[Math.ceil(0.9 * sorted.length) - 1];
    // The schema-3 bucket (2^((i-1)/8), 2^(i/8)] holding the exact quantile.
    const i = Math.ceil(Math.log2(exact) * 8);
    const width = 2 ** (i / 8) - 2 ** ((i - 1) / 8);

    const selector = 'sum(http_request_duration_seconds{job="tophash-native"})';
    const deadline = Date.now() + 40_000;
    let last = '';
    for (;;) {
      const [count] = await query(prom!.base, `histogram_count(${selector})`);
      const [total] = await query(prom!.base, `histogram_sum(${selector})`);
      last = JSON.stringify({ count: count?.value[1], sum: total?.value[1] });
      if (count !== undefined && Number(count.value[1]) === observed.length && total !== undefined) {
        expect(Number(total.value[1])).toBeCloseTo(sum, 9);
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(`Prometheus never showed ${observed.length} observations; last ${last}\n${prom!.log()}`);
      }
      await sleep(250);
    }
    const [q90] = await query(prom!.base, `histogram_quantile(0.9, ${selector})`);
    expect(Math.abs(Number(q90.value[1]) - exact)).toBeLessThanOrEqual(width);
    // Stored as a native histogram: no classic _count series came with it.
    expect(await query(prom!.base, 'http_request_duration_seconds_count{job="tophash-native"}')).toEqual([]);
  }, 55_000);
});

// examples/cluster-server.ts: node:cluster workers sharing the port and, through shared memory,
// their metrics. Prometheus scrapes whichever worker the primary hands the connection to; every
// scrape must show the requests of all workers.
describe.skipIf(!haveProm || process.platform !== 'linux')('Prometheus scrapes the node:cluster example', () => {
  const script = join(__dirname, '..', 'dist', 'examples', 'cluster-server.js');
  let server: ChildProcess | undefined;
  let prom: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  let base = '';

  beforeAll(async () => {
    const port = await freePort();
    server = spawn(process.execPath, [script, '--port', String(port), '--workers', '3'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    base = `http://127.0.0.1:${port}/`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}metrics`)).ok) break;
      } catch {
        // workers not listening yet
      }
      if (i > 200) throw new Error('the cluster example did not start');
      await sleep(50);
    }
    prom = await startPrometheus(`127.0.0.1:${port}`, 'tophash-cluster');
  });

  afterAll(async () => {
    await prom?.stop();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await Promise.race([exited, sleep(5000).then(() => server!.kill('SIGKILL'))]);
    }
  });

  it('stores a _count equal to the requests sent across all workers', async () => {
    const sent = 120;
    // Separate connections, so the primary spreads them over the workers.
    await Promise.all(
      Array.from({ length: sent }, async (_, i) => {
        const res = await fetch(`${base}${i % 4 === 0 ? 'api/error' : 'api/items'}`, {
          headers: { connection: 'close' },
        });
        await res.text();
      }),
    );
    const deadline = Date.now() + 40_000;
    let last = '';
    for (;;) {
      const [count] = await query(prom!.base, 'sum(http_request_duration_seconds_count{job="tophash-cluster"})');
      const [total] = await query(prom!.base, 'sum(http_requests_total{job="tophash-cluster"})');
      last = JSON.stringify({ count: count?.value[1], total: total?.value[1] });
      if (count !== undefined && Number(count.value[1]) === sent && Number(total?.value[1]) === sent) break;
      if (Date.now() > deadline)
        throw new Error(`Prometheus never showed ${sent} requests; last ${last}\n${prom!.log()}`);
      await sleep(250);
    }
    const [errors] = await query(
      prom!.base,
      'sum(http_request_duration_seconds_count{job="tophash-cluster",status_code="500"})',
    );
    expect(Number(errors.value[1])).toBe(sent / 4);
  }, 60_000);
});

describe('example server plumbing', () => {
  it('takes the port from --port, --port= or PORT, defaulting to 9464', () => {
    expect(portFrom([], {})).toBe(9464);
    expect(portFrom([], { PORT: '8080' })).toBe(8080);
    expect(portFrom(['--port', '0'], { PORT: '8080' })).toBe(0);
    expect(portFrom(['--port=1234'], {})).toBe(1234);
    expect(() => portFrom(['--port', 'http'], {})).toThrow(
      /Expected a port in 0\.\.65535 for --port\/PORT but received 'http'/,
    );
  });

  it('serves /metrics and closes on SIGTERM', async () => {
    const before = process.listenerCount('SIGTERM');
    const app = await main(['--port', '0'], {});
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    await (await fetch(`${app.url}api/items`)).text();
    const res = await fetch(`${app.url}metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toContain(
      'http_request_duration_seconds_count{route="/api/items",method="GET",status_code="200"} 1',
    );
    process.emit('SIGTERM', 'SIGTERM');
    expect(process.listenerCount('SIGTERM')).toBe(before);
    await sleep(50);
    await expect(fetch(`${app.url}metrics`)).rejects.toThrow();
  });
});
