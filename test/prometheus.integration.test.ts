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

describe.skipIf(!haveProm)('Prometheus scrapes the example server', () => {
  let app: ExampleServer;
  let prom: ChildProcess | undefined;
  let promBase = '';
  let dir = '';
  let promLog = '';

  beforeAll(async () => {
    app = await startServer(0);
    const target = new URL(app.url).host;
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'tophash-prom-'));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: tophash-example',
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    prom = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prom.stderr!.on('data', (chunk: Buffer) => (promLog += chunk.toString()));
    promBase = `http://127.0.0.1:${port}/`;
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${promBase}-/ready`)).ok) break;
      } catch {
        // not listening yet
      }
      if (i > 150) throw new Error(`Prometheus did not become ready:\n${promLog}`);
      await sleep(100);
    }
  });

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((resolve) => prom!.once('exit', resolve));
      prom.kill('SIGTERM');
      await Promise.race([exited, sleep(5000).then(() => prom!.kill('SIGKILL'))]);
    }
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
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
          `Prometheus never showed the expected values.\nexpected ${JSON.stringify([...expected])}\nlast ${last}\n${promLog}`,
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
