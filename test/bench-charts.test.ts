// The benchmark charts (bench/charts.ts, bench/chart-specs.ts): a small report
// in the shape bench/run.ts writes renders to well-formed SVG that names what
// it plots, and a report lacking a workload just lacks its charts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { chartSpecs } from '../bench/chart-specs';
import { renderSvg, writeCharts } from '../bench/charts';

const m = (medianNs: number): { medianNs: number; nsPerOp: number[] } => ({ medianNs, nsPerOp: [medianNs] });

const fixture = {
  schema: 1,
  mode: 'quick',
  startedAt: '2026-11-25T00:00:00.000Z',
  env: { cpu: { brand: 'Test CPU 9000' }, node: 'v20.0.0' },
  workloads: {
    W1: {
      baseline: 'map-number',
      rows: [
        { id: 'map-number', label: 'JS Map (number keys)' },
        { id: 'u64map-batch-u64', label: 'U64Map getBatch (BigUint64Array)' },
      ],
      sizes: [1e3, 1e4].map((n) => ({
        n,
        rows: {
          'map-number': { insert: m(100), hit: m(20), miss: m(19) },
          'u64map-batch-u64': { insert: m(60), hit: m(11), miss: m(9) },
        },
      })),
    },
    W3: {
      baseline: 'prom-client',
      sizes: [
        {
          n: 1e5,
          labelSets: 1000,
          systems: [
            {
              id: 'prom-client',
              label: '(a) prom-client',
              short: '(a) prom-client observe(labels)',
              group: 'baseline',
              measurement: m(400),
            },
            {
              id: 'otel',
              label: '(c) OTel',
              short: '(c) OTel record(v, attrs)',
              group: 'baseline',
              measurement: m(700),
            },
            {
              id: 'agg-handle',
              label: '(f) Aggregator handle',
              short: '(f) Aggregator handle',
              group: 'tophash',
              measurement: m(10),
            },
            {
              id: 'prom-drop-in',
              label: '(i) drop-in',
              short: '(i) tophash/prom observe(labels)',
              group: 'tophash',
              measurement: null,
            },
          ],
        },
      ],
      scrape: [1000, 10000].map((series) => ({
        series,
        rows: [
          {
            id: 'prom-client',
            label: 'prom-client',
            what: 'registry.metrics()',
            group: 'baseline',
            available: true,
            medianMs: series / 10,
          },
          {
            id: 'agg',
            label: 'tophash Aggregator',
            what: 'toPrometheus()',
            group: 'tophash',
            available: true,
            medianMs: series / 300,
          },
          {
            id: 'prom-drop-in',
            label: 'tophash/prom drop-in',
            what: 'registry.metrics()',
            group: 'tophash',
            available: false,
            medianMs: null,
          },
        ],
      })),
    },
    W6: {
      defaults: { match: 'avx2', hash: 'aes' },
      sizes: [
        {
          n: 1e4,
          variants: [
            { forced: 'match', match: 'scalar', hash: 'aes', hit: m(15), miss: m(20) },
            { forced: 'match', match: 'avx2', hash: 'aes', hit: m(12), miss: m(14) },
            { forced: 'hash', match: 'avx2', hash: 'aes-portable', hit: m(30), miss: m(35) },
            { forced: 'hash', match: 'avx2', hash: 'aes', hit: m(12), miss: m(14) },
          ],
        },
      ],
    },
    W8: {
      target: 3,
      floors: [{ config: { bytes: 2 ** 26, hugePages: false }, nsPerRead: 10, nsPerStep: 90 }],
      sizes: [{ n: 1e6, lookup: m(25) }],
    },
  },
};

/** Tag balance of an XML document: every element closed, in order, one root. */
function wellFormed(svg: string): { ok: boolean; why?: string; elements: number } {
  const stack: string[] = [];
  let elements = 0;
  let roots = 0;
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:"[^"]*"|'[^']*'|[^'">])*?)(\/?)>/g;
  const body = svg.replace(/<\?xml[^>]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '');
  for (let t = tag.exec(body); t !== null; t = tag.exec(body)) {
    const [, closing, name, , selfClosing] = t;
    if (closing) {
      const open = stack.pop();
      if (open !== name) return { ok: false, why: `</${name}> closes <${open}>`, elements };
      continue;
    }
    elements++;
    if (stack.length === 0) roots++;
    if (!selfClosing) stack.push(name);
  }
  if (stack.length > 0) return { ok: false, why: `unclosed <${stack.join('> <')}>`, elements };
  if (roots !== 1) return { ok: false, why: `${roots} root elements`, elements };
  return { ok: true, elements };
}

function expectValidSvg(svg: string): void {
  expect(svg.trimStart().startsWith('<svg')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  const wf = wellFormed(svg);
  expect(wf.why).toBeUndefined();
  expect(wf.ok).toBe(true);
  expect(wf.elements).toBeGreaterThan(20);
  // Broken data shows up as NaN coordinates or "undefined" categories.
  expect(svg).not.toMatch(/NaN|undefined|Infinity/);
}

describe('bench charts', () => {
  it('builds one spec per chartable view of the report', () => {
    expect(chartSpecs(fixture).map((c) => c.id)).toEqual([
      'w1-ns-per-op',
      'w3-events-per-sec',
      'w3-scrape',
      'w6-match-vs-scalar',
      'w6-hash-vs-portable',
      'w8-vs-floor',
    ]);
  });

  it('has a well-formedness check that catches broken markup', () => {
    expect(wellFormed('<svg><g></g><rect/></svg>').ok).toBe(true);
    expect(wellFormed('<svg><g></svg>').ok).toBe(false);
    expect(wellFormed('<svg></svg><svg></svg>').ok).toBe(false);
  });

  it('skips workloads the report does not have and rejects what is not a report', () => {
    expect(chartSpecs({ workloads: { W7: { runs: [] } } })).toEqual([]);
    expect(() => chartSpecs({ nope: 1 })).toThrow(/not a bench report/);
  });

  it('renders every chart to well-formed SVG naming what it plots', async () => {
    const svgs = new Map<string, string>();
    for (const { id, spec } of chartSpecs(fixture)) svgs.set(id, await renderSvg(spec));
    for (const svg of svgs.values()) expectValidSvg(svg);
    expect(svgs.get('w1-ns-per-op')).toContain('U64Map getBatch (BigUint64Array)');
    expect(svgs.get('w3-events-per-sec')).toContain('(f) Aggregator handle');
    // An unavailable system is named in the subtitle, not drawn as a bar.
    expect(svgs.get('w3-events-per-sec')).toContain('not available in this run: (i)');
    expect(svgs.get('w3-events-per-sec')).toContain('40.0×');
    expect(svgs.get('w3-scrape')).toContain('10,000 series');
    expect(svgs.get('w6-match-vs-scalar')).toContain('avx2 *');
    expect(svgs.get('w8-vs-floor')).toContain('target: 3×');
  });

  it('writes <report name>-<chart>.svg beside the report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tophash-charts-'));
    try {
      const report = path.join(dir, '2026-11-25-test-cpu-quick.json');
      fs.writeFileSync(report, JSON.stringify({ ...fixture, workloads: { W8: fixture.workloads.W8 } }));
      const files = await writeCharts(report);
      expect(files.map((f) => path.basename(f))).toEqual(['2026-11-25-test-cpu-quick-w8-vs-floor.svg']);
      expectValidSvg(fs.readFileSync(files[0], 'utf8'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
