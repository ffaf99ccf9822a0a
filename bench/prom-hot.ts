// The drop-in's hot paths against prom-client, measured in one process and
// interleaved round by round (the machine is shared, so only same-run ratios
// mean anything): observe with a fresh label object per event, observe through
// a labels() child, and a scrape of 1000 histogram series through
// register.metrics() and Aggregator.toPrometheus. Figures are medians of CPU
// time (process.cpuUsage) per round.
//
//   node dist/bench/prom-hot.js [rounds=7] [events=1000000] [baseline build's src/prom.js]
//
// With a third argument, that build of tophash/prom is measured alongside as
// 'base' (before/after figures for a change, from one run).
import * as path from 'node:path';

import * as client from 'prom-client';

import { Aggregator, type LabelKey } from '../src/metrics/aggregator';
import * as prom from '../src/prom';
import { DEFAULT_BUCKETS, generateEvents, generateScrapeEvents, LABEL_NAMES, type Events } from './w3-events';

type Observer = (labels: Record<string, string>, v: number) => void;
interface HistLike {
  observe: Observer;
  labels(...values: string[]): { observe(v: number): void };
}

function cpuMs(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

async function cpuMsAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

type Lib = 'prom' | 'drop' | 'base';
const basePath = process.argv[4];
// A build named on the command line: only require() loads a module from a path chosen at run time.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const base = basePath === undefined ? undefined : (require(path.resolve(basePath)) as typeof prom);

function histogram(lib: Lib, registry: client.Registry): HistLike {
  const config = {
    name: 'w3_latency_seconds',
    help: 'W3 latency',
    labelNames: [...LABEL_NAMES],
    buckets: [...DEFAULT_BUCKETS],
    registers: [registry],
  };
  const Ctor = lib === 'prom' ? client.Histogram : lib === 'drop' ? prom.Histogram : base!.Histogram;
  return new Ctor(config);
}

// Each library gets its own copy of the loops (compiled from source), so
// neither sees the other's call sites go polymorphic.
type Loops = {
  labels(h: HistLike, ev: Events): void;
  children(children: { observe(v: number): void }[], ev: Events): void;
};
function loops(): Loops {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function(`return {
    labels(h, ev) {
      const { route, method, status } = ev.space;
      const { combo, latency } = ev;
      for (let i = 0; i < combo.length; i++) {
        const c = combo[i];
        h.observe({ route: route[c], method: method[c], status: status[c] }, latency[i]);
      }
    },
    children(children, ev) {
      const { combo, latency } = ev;
      for (let i = 0; i < combo.length; i++) children[combo[i]].observe(latency[i]);
    },
  };`) as () => Loops;
  return make();
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 7);
  const n = Number(process.argv[3] ?? 1_000_000);
  const ev = generateEvents(n, 50);
  const results: Record<string, number[]> = {};
  const add = (k: string, v: number) => (results[k] ??= []).push(v);

  const libs: Lib[] = base === undefined ? ['prom', 'drop'] : ['prom', 'base', 'drop'];
  const loop = { prom: loops(), drop: loops(), base: loops(), scrape: loops() };
  const hists = Object.fromEntries(libs.map((l) => [l, histogram(l, new client.Registry())])) as Record<
    (typeof libs)[number],
    HistLike
  >;
  const children = Object.fromEntries(
    libs.map((l) => [
      l,
      ev.space.route.map((_, c) => hists[l].labels(ev.space.route[c], ev.space.method[c], ev.space.status[c])),
    ]),
  ) as Record<Lib, { observe(v: number): void }[]>;

  // Scrape state: 1000 series with 10 events each.
  const sev = generateScrapeEvents(50, 10);
  const scrapeRegs = Object.fromEntries(
    libs.map((l) => {
      const reg = new client.Registry();
      loop.scrape.labels(histogram(l, reg), sev);
      return [l, reg];
    }),
  ) as Record<Lib, client.Registry>;
  const agg = new Aggregator<LabelKey>({ key: { labels: [...LABEL_NAMES] }, hist: { buckets: [...DEFAULT_BUCKETS] } });
  for (let i = 0; i < sev.n; i++) {
    const c = sev.combo[i];
    agg.record({ route: sev.space.route[c], method: sev.space.method[c], status: sev.space.status[c] }, sev.latency[i]);
  }
  const toProm = () => agg.toPrometheus({ name: 'w3_latency_seconds', help: 'W3 latency' });

  // Scrapes first: process CPU time includes the GC threads, which would bill a
  // scrape for sweeping the observe loops' label objects.
  for (let r = 0; r < rounds; r++) {
    for (const l of libs) {
      const scrapes: number[] = [];
      for (let k = 0; k < 5; k++) scrapes.push(await cpuMsAsync(() => scrapeRegs[l].metrics()));
      add(`metrics() ${l}`, median(scrapes));
    }
    add('toPrometheus', median([0, 1, 2, 3, 4].map(() => cpuMs(toProm))));
  }
  for (let r = 0; r < rounds; r++) {
    for (const l of libs) {
      add(`observe(labels) ${l}`, (cpuMs(() => loop[l].labels(hists[l], ev)) * 1e6) / n);
      add(`child.observe ${l}`, (cpuMs(() => loop[l].children(children[l], ev)) * 1e6) / n);
    }
  }
  const m = (k: string) => median(results[k]);
  const line = (what: string, unit: string, prom: number, ours: number) =>
    console.log(
      `${what.padEnd(50)} prom-client ${prom.toFixed(1).padStart(7)} ${unit}  tophash ${ours.toFixed(1).padStart(7)} ${unit}  ${(prom / ours).toFixed(2)}x`,
    );
  console.log(`${rounds} rounds, ${n} events, medians of CPU time`);
  for (const l of libs.slice(1)) {
    const who = l === 'base' ? ' [baseline build]' : '';
    line(`observe(labels), fresh object${who}`, 'ns', m('observe(labels) prom'), m(`observe(labels) ${l}`));
    line(`child.observe${who}`, 'ns', m('child.observe prom'), m(`child.observe ${l}`));
    line(`register.metrics(), 1000 series${who}`, 'ms', m('metrics() prom'), m(`metrics() ${l}`));
  }
  line('Aggregator.toPrometheus, 1000', 'ms', m('metrics() prom'), m('toPrometheus'));
  agg.close();
}

void main();
