// tophash/prom under `node --disallow-code-generation-from-strings`, a
// hardening flag some deployments run with: the label lookups that are
// normally compiled with `new Function` fall back to closures, and metrics
// with labels are created, observed and exposed exactly as with the flag off.
// Runs the built package (dist/) in child processes.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

const entry = path.join(__dirname, '..', 'dist', 'src', 'prom.js');

const script = `
let codegen = true;
try { new Function(''); } catch { codegen = false; }
const { Histogram, Counter, Gauge, Registry } = require(${JSON.stringify(entry)});
const registers = [new Registry()];
const h = new Histogram({ name: 'req_seconds', help: 'h', labelNames: ['route', 'code'], buckets: [0.1, 1], registers });
for (let i = 0; i < 3; i++) h.observe({ route: '/a', code: 200 }, 0.05);
h.observe({ code: '200', route: '/a' }, 0.5);
h.labels('/b', '500').observe(2);
const plain = new Histogram({ name: 'plain_seconds', help: 'p', buckets: [1], registers });
plain.observe(0.5);
plain.observe(3);
const c = new Counter({ name: 'jobs_total', help: 'c', labelNames: ['kind'], registers });
c.inc({ kind: 'x' });
c.inc({ kind: 'x' }, 2);
c.labels('y').inc();
const g = new Gauge({ name: 'queue_depth', help: 'g', labelNames: ['kind'], registers });
g.set({ kind: 'x' }, 5);
g.inc({ kind: 'x' });
g.dec({ kind: 'y' }, 2);
let unknown = '';
try { h.observe({ nope: 'x' }, 1); } catch (err) { unknown = err.message; }
registers[0].metrics().then((text) => console.log(JSON.stringify({ codegen, unknown, text })));
`;

function run(flags: string[]): { codegen: boolean; unknown: string; text: string } {
  const out = execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as { codegen: boolean; unknown: string; text: string };
}

describe('tophash/prom without code generation from strings', () => {
  it('creates, observes and exposes labelled metrics as with it', () => {
    const hardened = run(['--disallow-code-generation-from-strings']);
    expect(hardened.codegen).toBe(false);
    const normal = run([]);
    expect(normal.codegen).toBe(true);

    expect(hardened.text).toContain('req_seconds_bucket{route="/a",code="200",le="0.1"} 3\n');
    expect(hardened.text).toContain('req_seconds_count{route="/a",code="200"} 4\n');
    expect(hardened.text).toContain('req_seconds_bucket{route="/b",code="500",le="+Inf"} 1\n');
    expect(hardened.text).toContain('plain_seconds_count 2\n');
    expect(hardened.text).toContain('jobs_total{kind="x"} 3\n');
    expect(hardened.text).toContain('jobs_total{kind="y"} 1\n');
    expect(hardened.text).toContain('queue_depth{kind="x"} 6\n');
    expect(hardened.text).toContain('queue_depth{kind="y"} -2\n');
    expect(hardened.unknown).toMatch(/Added label "nope" is not included/);
    expect(hardened).toEqual({ ...normal, codegen: false });
  });
});
