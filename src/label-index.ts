// The series of a tophash/prom metric, found from a prom-client label object
// without building a string: nested Maps keyed by the label values in
// labelNames order, so a labelled observe costs one Map lookup per label.
//
// prom-client identifies a series by the text `name:value,` of its defined
// labels, so `{ code: 200 }` and `{ code: '200' }` are one series, and a
// missing label differs from none only in output. The index keys its Maps by
// the canonical text of each value and adds the raw value (a number, boolean
// or undefined) as an alias for the same child the first time it is seen, so
// later lookups with either spelling hit the fast path. A missing label and an
// empty one are the same series here (Prometheus treats them alike).

import { inspect } from 'node:util';

/** A label object as prom-client takes it. */
export type LabelObject = Readonly<Record<string, string | number | undefined>>;

/** What every indexed series carries. */
export interface IndexedSeries {
  /** The label object the series reports (a copy of the first one seen; undefined values dropped). */
  labels: Record<string, string | number>;
  /** Canonical label values in labelNames order ('' for a missing label): the aggregator key. */
  readonly values: readonly string[];
  /** False once removed or reset: holders of the series (labels() children) look it up again. */
  alive: boolean;
}

type Node = Map<unknown, unknown>;

interface Entry<S> {
  series: S;
  leaf: Node | undefined;
  leafKeys: unknown[];
}

// Only primitives become aliases: an object as a Map key would pin every fresh
// object passed as a label value.
function aliasable(raw: unknown, canon: string): boolean {
  return (
    raw !== canon &&
    (raw === undefined || typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint')
  );
}

/**
 * `find` specialised to one metric's label names: the property reads are
 * constant-key loads that V8 turns into fixed-offset reads for a label object
 * literal, where a loop over `labels[names[i]]` is a generic keyed load costing
 * more than the Map lookups themselves (measured: ~2x on the whole observe). The
 * names are embedded as JSON string literals, so any name is safe to embed.
 */
function compileLookup(names: readonly string[]): (root: Node, labels: LabelObject, single: unknown) => unknown {
  if (names.length === 0) return (_root, _labels, single) => single;
  let body = `let n = root.get(labels[${JSON.stringify(names[0])}]);\n`;
  for (let i = 1; i < names.length; i++) {
    body += `if (n === undefined) return undefined;\nn = n.get(labels[${JSON.stringify(names[i])}]);\n`;
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('root', 'labels', 'single', body + 'return n;') as (root: Node, labels: LabelObject) => unknown;
}

/** A series' reported labels: the label object's defined values, in its key order. */
export function copyLabels(labels: LabelObject): Record<string, string | number> {
  const copy: Record<string, string | number> = {};
  for (const label in labels) {
    const value = labels[label];
    if (value !== undefined) copy[label] = value;
  }
  return copy;
}

function canonical(value: unknown): string {
  // Any value becomes its text, as in prom-client's `${value}` series key.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return value === undefined ? '' : typeof value === 'string' ? value : String(value);
}

/** Series of one metric, by label values; iteration follows first-seen order, as prom-client's output does. */
export class LabelIndex<S extends IndexedSeries> {
  private root: Node = new Map();
  private single: S | undefined;
  private readonly entries = new Map<S, Entry<S>>();
  private readonly lookup: (root: Node, labels: LabelObject, single: S | undefined) => S | undefined;

  /**
   * @param names - the metric's labelNames
   * @param create - makes a new series for a label set seen for the first time
   */
  constructor(
    readonly names: readonly string[],
    private readonly create: (labels: Record<string, string | number>, values: string[]) => S,
  ) {
    this.lookup = compileLookup(names) as typeof this.lookup;
  }

  /** The series for labels when it exists and was reached before; the hot path. */
  find(labels: LabelObject): S | undefined {
    return this.lookup(this.root, labels, this.single);
  }

  /** The series for labels, created (and validated as prom-client does) when new. */
  resolve(labels: LabelObject): S {
    return this.find(labels) ?? this.slowResolve(labels);
  }

  private slowResolve(labels: LabelObject): S {
    const names = this.names;
    for (const label in labels) {
      if (!names.includes(label)) {
        throw new Error(`Added label "${label}" is not included in initial labelset: ${inspect(names)}`);
      }
    }
    const values = names.map((name) => canonical(labels[name]));
    if (names.length === 0) {
      if (this.single === undefined) this.single = this.add({}, values, undefined, []);
      return this.single;
    }
    let node = this.root;
    for (let i = 0; i < names.length - 1; i++) {
      const raw = labels[names[i]];
      let child = node.get(values[i]) as Node | undefined;
      if (child === undefined) node.set(values[i], (child = new Map()));
      if (aliasable(raw, values[i])) node.set(raw, child);
      node = child;
    }
    const last = names.length - 1;
    const raw = labels[names[last]];
    let series = node.get(values[last]) as S | undefined;
    if (series === undefined) {
      series = this.add(copyLabels(labels), values, node, [values[last]]);
      node.set(values[last], series);
    }
    if (aliasable(raw, values[last]) && !node.has(raw)) {
      node.set(raw, series);
      this.entries.get(series)!.leafKeys.push(raw);
    }
    return series;
  }

  private add(labels: Record<string, string | number>, values: string[], leaf: Node | undefined, keys: unknown[]): S {
    const series = this.create(labels, values);
    this.entries.set(series, { series, leaf, leafKeys: keys });
    return series;
  }

  /** Removes the series for labels; returns it, or undefined when there was none. */
  remove(labels: LabelObject): S | undefined {
    let series = this.find(labels);
    if (series === undefined) {
      // Reached by another spelling only (e.g. 200 after '200'): look it up by canonical values.
      const canon: Record<string, string> = {};
      for (const name of this.names) canon[name] = canonical(labels[name]);
      series = this.find(canon);
    }
    if (series === undefined) return undefined;
    const entry = this.entries.get(series)!;
    if (entry.leaf === undefined) this.single = undefined;
    else for (const key of entry.leafKeys) entry.leaf.delete(key);
    this.entries.delete(series);
    series.alive = false;
    return series;
  }

  /** Forgets every series. */
  clear(): void {
    for (const series of this.entries.keys()) series.alive = false;
    this.entries.clear();
    this.root = new Map();
    this.single = undefined;
  }

  /** The series in the order they were first seen. */
  series(): IterableIterator<S> {
    return this.entries.keys();
  }

  /** How many series exist. */
  get size(): number {
    return this.entries.size;
  }
}
