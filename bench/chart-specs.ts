// Vega-Lite specs for the benchmark charts, built from a run's JSON report
// (bench/run.ts writes it; the shapes below are what the workloads put in it).
// Each builder returns null when its workload is not in the report, so any
// subset run gets the charts it has data for.
//
// The readers are deliberately loose: a report from an older run that lacks a
// field just loses that chart or row, it does not stop the others.

import { fmtRatio } from './report';

/** A Vega-Lite spec: plain JSON, compiled to Vega by charts.ts. */
export type VlSpec = Record<string, unknown>;

export interface ChartSpec {
  /** File name part: <report name>-<id>.svg. */
  id: string;
  spec: VlSpec;
}

interface Measured {
  medianNs: number;
}

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function medianNs(v: unknown): number | null {
  return isObj(v) ? num((v as unknown as Measured).medianNs) : null;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 300;
const HEIGHT = 220;
const FONT = 'Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 360 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, subtitleFontSize: 11, anchor: 'start' },
};

function title(text: string, subtitle: string | string[]): { text: string; subtitle: string | string[] } {
  return { text, subtitle };
}

/** Data-derived sort orders keep the legend in the workload's table order. */
interface LinePoint {
  system: string;
  order: number;
  op: string;
  n: number;
  ns: number;
  mops: number;
}

function nsVsN(workload: 'W1' | 'W2', data: Json, subtitle: string, where: string): ChartSpec | null {
  const labels = new Map<string, string>();
  arr(data.rows).forEach((r) => {
    if (isObj(r) && typeof r.id === 'string' && typeof r.label === 'string') labels.set(r.id, r.label);
  });
  const ids = [...labels.keys()];
  const points: LinePoint[] = [];
  for (const size of arr(data.sizes)) {
    if (!isObj(size) || !isObj(size.rows)) continue;
    const n = num(size.n);
    if (n === null) continue;
    for (const [id, row] of Object.entries(size.rows)) {
      if (!isObj(row)) continue;
      const label = labels.get(id) ?? id;
      for (const op of ['insert', 'hit', 'miss', 'hitCached']) {
        const ns = medianNs(row[op]);
        if (ns === null || ns <= 0) continue;
        // W2's cached-hash hit is its own line in the hit panel.
        const system = op === 'hitCached' ? `${label}, hash cached` : label;
        const opName = op === 'hitCached' ? 'hit' : op;
        const order = ids.indexOf(id) + (op === 'hitCached' ? 0.5 : 0);
        points.push({ system, order, op: opName, n, ns, mops: 1e3 / ns });
      }
    }
  }
  if (points.length === 0) return null;
  const systems = [...new Map(points.map((p) => [p.system, p.order])).entries()]
    .sort((a, b) => a[1] - b[1])
    .map(([s]) => s);
  const ns = [...new Set(points.map((p) => p.n))].sort((a, b) => a - b);
  return {
    id: `${workload.toLowerCase()}-ns-per-op`,
    spec: {
      $schema: SCHEMA,
      title: title(`${workload}: ns per operation against N (lower is faster)`, [subtitle, where]),
      data: { values: points },
      facet: { column: { field: 'op', type: 'nominal', sort: ['insert', 'hit', 'miss'], title: null } },
      spec: {
        width: WIDTH,
        height: HEIGHT,
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: {
          x: {
            field: 'n',
            type: 'quantitative',
            scale: { type: 'log' },
            title: 'N (entries)',
            axis: { format: '.0e', values: ns },
          },
          y: { field: 'ns', type: 'quantitative', scale: { type: 'log' }, title: 'median ns/op (log)' },
          color: {
            field: 'system',
            type: 'nominal',
            sort: systems,
            title: null,
            legend: { orient: 'bottom', columns: 2, labelLimit: 600 },
          },
          tooltip: [
            { field: 'system' },
            { field: 'op' },
            { field: 'n', format: ',' },
            { field: 'ns', format: '.1f', title: 'ns/op' },
            { field: 'mops', format: '.2f', title: 'Mops/s' },
          ],
        },
      },
      config: CONFIG,
    },
  };
}

interface KernelBar {
  n: string;
  kernel: string;
  op: string;
  ratio: number;
  ns: number;
}

function w6Charts(data: Json, where: string): ChartSpec[] {
  const defaults = isObj(data.defaults) ? data.defaults : {};
  const bars: Record<'match' | 'hash', KernelBar[]> = { match: [], hash: [] };
  for (const size of arr(data.sizes)) {
    if (!isObj(size)) continue;
    const n = num(size.n);
    if (n === null) continue;
    const variants = arr(size.variants).filter(isObj);
    const name = (v: Json): string => String(v.forced === 'match' ? v.match : v.hash);
    for (const forced of ['match', 'hash'] as const) {
      const ref = variants.find(
        (v) => v.forced === forced && name(v) === (forced === 'match' ? 'scalar' : 'aes-portable'),
      );
      if (ref === undefined) continue;
      for (const v of variants.filter((x) => x.forced === forced)) {
        for (const op of ['hit', 'miss']) {
          const ns = medianNs(v[op]);
          const base = medianNs(ref[op]);
          if (ns === null || base === null) continue;
          const isDefault = name(v) === defaults[forced];
          bars[forced].push({
            n: `N = ${n.toExponential(0).replace('+', '')}`,
            kernel: `${name(v)}${isDefault ? ' *' : ''}`,
            op,
            ratio: base / ns,
            ns,
          });
        }
      }
    }
  }
  const chart = (forced: 'match' | 'hash'): ChartSpec | null => {
    const values = bars[forced];
    if (values.length === 0) return null;
    const ref = forced === 'match' ? 'scalar' : 'aes-portable';
    return {
      id: forced === 'match' ? 'w6-match-vs-scalar' : 'w6-hash-vs-portable',
      spec: {
        $schema: SCHEMA,
        title: title(
          forced === 'match'
            ? 'W6: SIMD match kernels, speed-up over the scalar kernel (batched u64 lookups)'
            : 'W6: hash kernels, speed-up over the portable AES twin (batched u64 lookups)',
          [
            `getBatch over a BigUint64Array; ratio = ns of ${ref} / ns of the kernel (> 1 = faster); * = default on this CPU`,
            where,
          ],
        ),
        data: { values },
        facet: { column: { field: 'n', type: 'nominal', title: null } },
        spec: {
          width: { step: 22 },
          height: HEIGHT,
          layer: [
            {
              mark: { type: 'bar' },
              encoding: {
                x: { field: 'kernel', type: 'nominal', sort: null, title: null, axis: { labelAngle: -30 } },
                xOffset: { field: 'op', type: 'nominal', sort: ['hit', 'miss'] },
                y: { field: 'ratio', type: 'quantitative', title: `speed-up over ${ref} (×)` },
                color: {
                  field: 'op',
                  type: 'nominal',
                  sort: ['hit', 'miss'],
                  title: null,
                  legend: { orient: 'bottom' },
                },
                tooltip: [
                  { field: 'kernel' },
                  { field: 'op' },
                  { field: 'ratio', format: '.2f' },
                  { field: 'ns', format: '.2f', title: 'ns/key' },
                ],
              },
            },
            { mark: { type: 'rule', strokeDash: [4, 3], color: '#555' }, encoding: { y: { datum: 1 } } },
          ],
        },
        resolve: { scale: { x: 'independent' } },
        config: CONFIG,
      },
    };
  };
  return [chart('match'), chart('hash')].filter((c): c is ChartSpec => c !== null);
}

const GROUP_COLORS = { domain: ['baselines', 'tophash'], range: ['#9aa5b1', '#e4572e'] };

interface HBar {
  /** Axis label of the bar. */
  what: string;
  /** Colour group. */
  group: string;
  value: number;
  /** Printed at the end of the bar. */
  label: string;
}

/** Log-scale bars start at a power of ten below the smallest value (a log scale has no zero). */
function logDomain(values: readonly number[]): [number, number] {
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  // Room for the value labels right of the longest bar.
  const hi = Math.max(...values) * 3;
  return [lo, hi];
}

/** Horizontal bars on a log axis, in the given order, a label at the end of each. */
function hbarLayers(bars: readonly HBar[], axisTitle: string, colors: { domain: string[]; range: string[] }): VlSpec {
  const [lo, hi] = logDomain(bars.map((b) => b.value));
  const y = { field: 'what', type: 'nominal', sort: null, title: null, axis: { labelLimit: 600 } };
  const x = {
    field: 'value',
    type: 'quantitative',
    scale: { type: 'log', domain: [lo, hi], nice: false },
    title: axisTitle,
  };
  return {
    width: 380,
    height: { step: 22 },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y,
          x,
          x2: { datum: lo },
          color: { field: 'group', type: 'nominal', title: null, scale: colors, legend: { orient: 'bottom' } },
          tooltip: [
            { field: 'what', title: 'system' },
            { field: 'label', title: 'value' },
          ],
        },
      },
      { mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 }, encoding: { y, x, text: { field: 'label' } } },
    ],
  };
}

function fmtExp(n: number): string {
  return n.toExponential(0).replace('+', '');
}

function w3Charts(data: Json, where: string): ChartSpec[] {
  const out: ChartSpec[] = [];
  const sizes = arr(data.sizes).filter(isObj);
  const size = sizes[sizes.length - 1];
  const baselineId = typeof data.baseline === 'string' ? data.baseline : 'prom-client';
  const name = (s: Json): string => String(s.short ?? s.label);
  if (size !== undefined) {
    const systems = arr(size.systems).filter(isObj);
    const base = medianNs(systems.find((s) => s.id === baselineId)?.measurement);
    const bars = systems.flatMap((s): HBar[] => {
      const ns = medianNs(s.measurement);
      if (ns === null) return [];
      const ratio = base === null ? '' : `, ${fmtRatio(base / ns)}`;
      const mev = 1e3 / ns;
      return [
        {
          what: name(s),
          group: s.group === 'tophash' ? 'tophash' : 'baselines',
          value: mev,
          label: `${mev < 10 ? mev.toFixed(2) : mev.toFixed(1)}${ratio}`,
        },
      ];
    });
    const missing = systems.filter((s) => medianNs(s.measurement) === null).map((s) => name(s).split(' ')[0]);
    if (bars.length > 0) {
      out.push({
        id: 'w3-events-per-sec',
        spec: {
          $schema: SCHEMA,
          title: title(
            `W3: aggregation, ${fmtExp(num(size.n) ?? 0)} events into ${num(size.labelSets) ?? 1000} label sets (higher is faster)`,
            [
              'million events/s (log scale); label: Mevents/s, speed-up over (a) prom-client observe(labels)' +
                (missing.length > 0 ? `; not available in this run: ${missing.join(' ')}` : ''),
              where,
            ],
          ),
          data: { values: bars },
          ...hbarLayers(bars, 'million events/s (log)', GROUP_COLORS),
          config: CONFIG,
        },
      });
    }
  }
  const scrapes = arr(data.scrape).filter(isObj);
  const scrapeBars = scrapes.flatMap((sc) =>
    arr(sc.rows)
      .filter(isObj)
      .flatMap((r): (HBar & { series: string })[] => {
        const ms = num(r.medianMs);
        if (r.available !== true || ms === null) return [];
        return [
          {
            series: `${Number(sc.series).toLocaleString('en-US')} series`,
            what: `${String(r.label)}: ${String(r.what)}`,
            group: r.group === 'tophash' ? 'tophash' : 'baselines',
            value: ms,
            label: ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`,
          },
        ];
      }),
  );
  if (scrapeBars.length > 0) {
    const layers = hbarLayers(scrapeBars, 'ms per call (log)', GROUP_COLORS);
    out.push({
      id: 'w3-scrape',
      spec: {
        $schema: SCHEMA,
        title: title('W3: one scrape of the histogram family (lower is faster)', [
          'median ms per call (log scale); OTel reader.collect() builds data points, no text',
          where,
        ]),
        data: { values: scrapeBars },
        facet: {
          row: {
            field: 'series',
            type: 'nominal',
            title: null,
            header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold' },
          },
        },
        spec: layers,
        config: CONFIG,
      },
    });
  }
  return out;
}

function w8Chart(data: Json, where: string): ChartSpec | null {
  const bars: HBar[] = [];
  const bytes = (b: unknown): string => {
    const x = num(b) ?? 0;
    return x >= 2 ** 30 ? `${x / 2 ** 30} GiB` : `${x / 2 ** 20} MiB`;
  };
  let targetFloor: { ns: number; region: string } | null = null;
  for (const f of arr(data.floors).filter(isObj)) {
    const c = isObj(f.config) ? f.config : {};
    const region = `${bytes(c.bytes)}, ${c.hugePages === true ? 'THP' : '4 KiB pages'}`;
    const read = num(f.nsPerRead);
    const step = num(f.nsPerStep);
    if (read !== null) {
      bars.push({
        what: `random read, ${region}`,
        group: 'floor: independent reads',
        value: read,
        label: read.toFixed(1),
      });
      // W8's target is against the first 4 KiB-page floor, as its table states.
      if (targetFloor === null && c.hugePages !== true) targetFloor = { ns: read, region };
    }
    if (step !== null)
      bars.push({
        what: `pointer chase, ${region}`,
        group: 'dependent pointer chase',
        value: step,
        label: step.toFixed(0),
      });
  }
  for (const s of arr(data.sizes).filter(isObj)) {
    const ns = medianNs(s.lookup);
    if (ns === null) continue;
    bars.push({
      what: `U64Map getBatch, N = ${fmtExp(num(s.n) ?? 0)}`,
      group: 'tophash',
      value: ns,
      label: ns.toFixed(1),
    });
  }
  if (!bars.some((b) => b.group === 'tophash')) return null;
  const target = num(data.target) ?? 3;
  const spec = hbarLayers(bars, 'ns per key / read / step (log)', {
    domain: ['tophash', 'floor: independent reads', 'dependent pointer chase'],
    range: ['#e4572e', '#4c78a8', '#9aa5b1'],
  });
  if (targetFloor !== null) {
    (spec.layer as VlSpec[]).push({
      data: { values: [{ x: targetFloor.ns * target, label: `target: ${target}× the ${targetFloor.region} floor` }] },
      layer: [
        {
          mark: { type: 'rule', strokeDash: [4, 3], color: '#222' },
          encoding: { x: { field: 'x', type: 'quantitative' } },
        },
        {
          mark: { type: 'text', align: 'left', dx: 3, dy: -3, baseline: 'bottom', fontSize: 10 },
          encoding: { x: { field: 'x', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
        },
      ],
    });
  }
  return {
    id: 'w8-vs-floor',
    spec: {
      $schema: SCHEMA,
      title: title('W8: batched lookup against the random-read floor (lower is faster)', [
        "U64Map getBatch ns/key beside the machine's ns per independent random 8-byte read and per dependent pointer-chase step",
        where,
      ]),
      data: { values: bars },
      ...spec,
      config: CONFIG,
    },
  };
}

/** Every chart the report has data for. */
export function chartSpecs(report: unknown): ChartSpec[] {
  if (!isObj(report) || !isObj(report.workloads)) throw new Error('charts: not a bench report (no "workloads" object)');
  const env = isObj(report.env) ? report.env : {};
  const cpu = isObj(env.cpu) && typeof env.cpu.brand === 'string' ? env.cpu.brand : 'unknown CPU';
  const started = typeof report.startedAt === 'string' ? report.startedAt.slice(0, 10) : '';
  const node = typeof env.node === 'string' ? env.node : '?';
  const mode = typeof report.mode === 'string' ? report.mode : '';
  const where = `${cpu}, Node ${node}, ${mode} run ${started}`;
  const w = report.workloads;
  const specs: (ChartSpec | null)[] = [];
  if (isObj(w.W1)) specs.push(nsVsN('W1', w.W1, 'u64 keys; median ns/op, log axes', where));
  if (isObj(w.W2)) specs.push(nsVsN('W2', w.W2, "string keys 'user:<int>'; median ns/op, log axes", where));
  if (isObj(w.W3)) specs.push(...w3Charts(w.W3, where));
  if (isObj(w.W6)) specs.push(...w6Charts(w.W6, where));
  if (isObj(w.W8)) specs.push(w8Chart(w.W8, where));
  return specs.filter((s): s is ChartSpec => s !== null);
}
