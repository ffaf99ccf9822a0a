// SVG charts from a benchmark report: `npm run bench:charts -- <report.json> [more.json] [--out dir]`
// writes <dir>/<report name>-<chart>.svg (dir defaults to the report's own
// folder); bench/run.ts calls writeCharts() after every run.
//
// Rendering is Vega-Lite → Vega → SVG in Node with the headless renderer
// (no canvas, no browser). vega and vega-lite are ESM-only while this
// package compiles to CommonJS, so they are loaded with a real dynamic
// import() (TypeScript would turn a literal import() into require()).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chartSpecs, type ChartSpec, type VlSpec } from './chart-specs';
import { writeAtomic } from './report';

interface VegaLite {
  compile(spec: VlSpec): { spec: object };
}

interface VegaView {
  toSVG(): Promise<string>;
  finalize(): void;
}

interface Vega {
  parse(spec: object): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => VegaView;
}

// TypeScript compiles import() to require() for CommonJS output; vega and vega-lite are ES modules
// only, so the real import() is compiled at run time.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

async function importEsm(specifier: string): Promise<unknown> {
  try {
    return await nativeImport(specifier);
  } catch (e) {
    // Inside a vm context (vitest runs modules that way) Function-made code has
    // no import() callback; there the bundler-transformed import() works, while
    // in the compiled CommonJS it would be a require() of an ES module.
    if ((e as { code?: string }).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw e;
    return (await import(specifier)) as unknown;
  }
}

let libs: Promise<{ vega: Vega; vl: VegaLite }> | null = null;

/** Resolves from this package (not from the cwd) and imports the ESM builds once. */
function loadLibs(): Promise<{ vega: Vega; vl: VegaLite }> {
  libs ??= (async () => {
    const load = async (name: string): Promise<unknown> => importEsm(pathToFileURL(require.resolve(name)).href);
    const [vega, vl] = await Promise.all([load('vega'), load('vega-lite')]);
    return { vega: vega as Vega, vl: vl as VegaLite };
  })();
  return libs;
}

/** One Vega-Lite spec as a standalone SVG document. */
export async function renderSvg(spec: VlSpec): Promise<string> {
  const { vega, vl } = await loadLibs();
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders every chart the report has data for; returns the files written. */
export async function writeCharts(reportFile: string, outDir?: string): Promise<string[]> {
  const report: unknown = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  const dir = outDir ?? path.dirname(reportFile);
  const name = path.basename(reportFile, '.json');
  const files: string[] = [];
  const specs: ChartSpec[] = chartSpecs(report);
  for (const { id, spec } of specs) {
    const file = path.join(dir, `${name}-${id}.svg`);
    writeAtomic(file, (await renderSvg(spec)) + '\n');
    files.push(file);
  }
  return files;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write('Usage: npm run bench:charts -- <report.json> [more.json ...] [--out dir]\n');
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  for (const file of positionals) {
    const written = await writeCharts(file, values.out);
    process.stderr.write(
      written.length > 0
        ? `charts: ${written.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`
        : `charts: ${file} has no chartable workload\n`,
    );
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`charts: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
