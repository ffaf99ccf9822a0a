// Markdown and number formatting shared by the workloads, and the result files.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Align = 'left' | 'right';

export interface Column {
  title: string;
  align?: Align;
}

/** W1's and W2's table: N, the map, then ns/op, Mops/s and the ratio to Map for insert, hit and miss. */
export const MAP_OPS_COLUMNS: readonly (Column | string)[] = [
  'N',
  { title: 'map', align: 'left' },
  ...['insert', 'hit', 'miss'].flatMap((op) => [`${op} ns/op`, 'Mops/s', 'vs Map']),
];

/** The line under a table saying how many samples of how many passes each size took. */
export function samplesLine(results: readonly { n: number; samples: number; reps: number; warmup: number }[]): string {
  const each = results.map(
    (r) =>
      `N=${fmtN(r.n)}: ${r.samples} × ${r.reps} pass${r.reps > 1 ? 'es' : ''}${r.warmup ? ` (+${r.warmup} warm-up)` : ''}`,
  );
  return `Samples per measurement: ${each.join('; ')}.`;
}

/** A GitHub-flavoured Markdown table; cells are already formatted strings. */
export function mdTable(columns: readonly (Column | string)[], rows: readonly (readonly string[])[]): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { title: c, align: 'right' } : c));
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const head = `| ${cols.map((c) => esc(c.title)).join(' | ')} |`;
  const rule = `|${cols.map((c) => ((c.align ?? 'right') === 'left' ? ':---' : '---:')).join('|')}|`;
  const body = rows.map((r) => `| ${r.map(esc).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

/** ns with a precision that suits its magnitude. */
export function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  if (ns < 10) return ns.toFixed(2);
  if (ns < 100) return ns.toFixed(1);
  return Math.round(ns).toLocaleString('en-US');
}

/** Millions of operations per second from ns/op. */
export function fmtMops(ns: number): string {
  if (!Number.isFinite(ns) || ns <= 0) return '—';
  const mops = 1e3 / ns;
  return mops < 10 ? mops.toFixed(2) : mops.toFixed(1);
}

/** A speed-up ratio: baseline time / this time (> 1 = faster than the baseline). */
export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return '—';
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/** Durations given in ns, shown in the unit that fits. */
export function fmtDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  if (ns < 1e3) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function fmtBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${Math.round(bytes)} B`;
  if (abs < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (abs < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** 1000 → "1e3", 100000 → "1e5", 12345 → "12,345". */
export function fmtN(n: number): string {
  const e = Math.log10(n);
  if (Number.isInteger(e)) return `1e${e}`;
  const m = n / 10 ** Math.floor(e);
  if (Number.isInteger(m) && m < 10) return `${m}e${Math.floor(e)}`;
  return n.toLocaleString('en-US');
}

/** "AMD EPYC 7763 64-Core Processor" → "amd-epyc-7763-64-core-processor". */
export function slug(s: string): string {
  const out = s
    .toLowerCase()
    .replace(/\((r|tm|c)\)/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return out.length > 0 ? out.slice(0, 60) : 'unknown-cpu';
}

/** Local date as YYYY-MM-DD. */
export function isoDate(d = new Date()): string {
  const p = (x: number): string => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Writes via a temporary file and a rename, so an interrupted run leaves no half-written report. */
export function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
