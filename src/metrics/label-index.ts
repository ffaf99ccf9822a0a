// The series of a tophash/prom metric, found from a prom-client label object
// without building a string: nested null-prototype objects keyed by the label
// values in labelNames order, so a labelled observe costs one keyed property
// load per label.
//
// prom-client identifies a series by the text `name:value,` of its defined
// labels, so `{ code: 200 }` and `{ code: '200' }` are one series. A property
// key is exactly that text for a string or number (ToPropertyKey(200) is
// '200'), so both spellings reach the same child with no aliases; any other
// value (undefined, boolean, object) takes the slow path, which keys by the
// canonical text. A missing label and an empty one are the same series here
// (Prometheus treats them alike).
//
// The trie is the LabelTrie (label-trie.ts) that the Aggregator's handle cache
// uses too; this class adds first-seen order and removal.
//
// prom-client checks on every call that the label object has no name outside
// labelNames; the compiled lookup does the same with a for-in over constant
// name comparisons, which V8 runs from the map's enum cache.
//
// The lookups are compiled with `new Function`. Where code generation from
// strings is disallowed (node --disallow-code-generation-from-strings, or a CSP
// in an embedder), the same lookups run as closures that loop over the names:
// slower per label, same results.

import { inspect } from 'node:util';

import { LabelTrie, type TrieNode } from './label-trie';

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
  /** When the series was last updated, on the metric's coarse clock (see series-policy.ts); 0 without a ttl. */
  seen: number;
}

interface Entry<S> {
  series: S;
  leaf: TrieNode | undefined;
  leafKey: string;
}

/**
 * The statements of a lookup specialised to one metric's label names, as
 * source: from `root` (and `single` without labels) they leave the series in
 * `n`, or run `miss` (a `return` or `break`). The property reads are
 * constant-key loads that V8 turns into fixed-offset reads for a label object
 * literal, where a loop over `labels[names[i]]` is a generic keyed load costing
 * more than the lookups themselves. The names are embedded as JSON string
 * literals, so any name is safe to embed. A label object with a name outside
 * labelNames finds nothing: the caller's slow path throws prom-client's error.
 */
function lookupSource(names: readonly string[], miss: string): string {
  const quoted = names.map((name) => JSON.stringify(name));
  let body = 'let n = root, v;\n';
  for (const q of quoted) {
    body += `v = labels[${q}];\nif (typeof v !== 'string' && typeof v !== 'number') ${miss};\n`;
    body += `n = n[v];\nif (n === undefined) ${miss};\n`;
  }
  if (names.length === 0) body += 'n = single;\n';
  const unknown = names.length === 0 ? 'true' : quoted.map((q) => `k !== ${q}`).join(' && ');
  return body + `for (const k in labels) if (${unknown}) ${miss};\n`;
}

type Lookup = (root: TrieNode, labels: LabelObject, single: unknown) => unknown;

/** A clock read on the hot path: a number refreshed by a timer, not a call (see series-policy.ts). */
export interface SeriesClock {
  now: number;
}
type Observe = (labels: unknown, value?: unknown) => void;

let codegen: boolean | undefined;

/** Whether this process may compile code from strings; asked once. */
function canCompile(): boolean {
  if (codegen === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      new Function('');
      codegen = true;
    } catch (err) {
      if (!(err instanceof EvalError)) throw err;
      codegen = false;
    }
  }
  return codegen;
}

/** lookupSource's lookup as a closure, for when it cannot be compiled. */
function interpretLookup(names: readonly string[]): Lookup {
  return (root, labels, single) => {
    let n: unknown = root;
    for (let i = 0; i < names.length; i++) {
      const v = labels[names[i]];
      if (typeof v !== 'string' && typeof v !== 'number') return undefined;
      n = (n as TrieNode)[v];
      if (n === undefined) return undefined;
    }
    if (names.length === 0) n = single;
    for (const k in labels) if (!names.includes(k)) return undefined;
    return n;
  };
}

function compileLookup(names: readonly string[]): Lookup {
  if (!canCompile()) return interpretLookup(names);
  const body = lookupSource(names, 'return undefined') + 'return n;';
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('root', 'labels', 'single', body) as Lookup;
}

/** compileObserve's function as a closure over the index's lookup, for when it cannot be compiled. */
function interpretObserve<S extends IndexedSeries & { handle: { record(value: number): void } }>(
  index: LabelIndex<S>,
  slow: (labels: unknown, value: unknown) => void,
  clock: SeriesClock | undefined,
): Observe {
  return function observe(this: unknown, labels: unknown, value?: unknown): void {
    if (typeof labels === 'object' && labels !== null && typeof value === 'number' && value - value === 0) {
      const series = index.find(labels as LabelObject);
      if (series !== undefined) {
        if (clock !== undefined) series.seen = clock.now;
        series.handle.record(value);
        return;
      }
    }
    slow.call(this, labels, value);
  };
}

/**
 * A histogram's whole labelled `observe(labels, value)` as one function
 * specialised to its label names: a finite value and a label set seen before
 * are looked up and recorded in one frame (no calls for V8 to decline to
 * inline); anything else goes to `slow(labels, value)`, called with the same
 * `this`. With a clock (a metric with a ttl), the series is stamped with its time; without one
 * the function has no stamp at all, so metrics without a ttl pay nothing for it.
 */
export function compileObserve<S extends IndexedSeries & { handle: { record(value: number): void } }>(
  index: LabelIndex<S>,
  slow: (labels: unknown, value: unknown) => void,
  clock?: SeriesClock,
): Observe {
  if (!canCompile()) return interpretObserve(index, slow, clock);
  const body = `return function observe(labels, value) {
  miss: if (typeof labels === 'object' && labels !== null && typeof value === 'number' && value - value === 0) {
    const root = index.root, single = index.single;
    ${lookupSource(index.names, 'break miss')}
    ${clock === undefined ? '' : 'n.seen = clock.now;'}
    n.handle.record(value);
    return;
  }
  slow.call(this, labels, value);
};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('index', 'slow', 'clock', body) as (
    index: LabelIndex<S>,
    slow: (labels: unknown, value: unknown) => void,
    clock: SeriesClock | undefined,
  ) => Observe;
  return make(index, slow, clock);
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

/** What bounds a {@link LabelIndex}: at most maxSeries series, past which new label sets share one overflow series. */
export interface SeriesLimit<S> {
  readonly maxSeries: number;
  /** Makes the overflow series the first time a label set finds the index full. */
  readonly overflow: () => S;
}

/** Series of one metric, by label values; iteration follows first-seen order, as prom-client's output does. */
export class LabelIndex<S extends IndexedSeries> extends LabelTrie<S> {
  /** @internal The series of a metric without labels. */
  single: S | undefined;
  /** The series every new label set shares once the index holds maxSeries series; not in series(). */
  overflow: S | undefined;
  /** Bumped whenever a series is added or removed: a reader can tell the series set did not change. */
  changes = 0;
  private readonly entries = new Map<S, Entry<S>>();
  private readonly lookup: (root: TrieNode, labels: LabelObject, single: S | undefined) => S | undefined;

  /**
   * @param names - the metric's labelNames
   * @param create - makes a new series for a label set seen for the first time
   * @param limit - bounds the series, if given
   */
  constructor(
    readonly names: readonly string[],
    private readonly create: (labels: Record<string, string | number>, values: string[]) => S,
    private readonly limit?: SeriesLimit<S>,
  ) {
    super();
    this.lookup = compileLookup(names) as typeof this.lookup;
  }

  /** The series for labels when it exists and was reached before; the hot path. */
  find(labels: LabelObject): S | undefined {
    return this.lookup(this.root, labels, this.single);
  }

  /**
   * The series for labels, created (and validated as prom-client does) when new; the overflow
   * series when new and the index is full.
   */
  resolve(labels: LabelObject): S {
    return this.find(labels) ?? this.slowResolve(labels, true)!;
  }

  /** As resolve(), but undefined where resolve() would give the overflow series. */
  resolveOwn(labels: LabelObject): S | undefined {
    return this.find(labels) ?? this.slowResolve(labels, false);
  }

  private slowResolve(labels: LabelObject, overflow: boolean): S | undefined {
    const names = this.names;
    for (const label in labels) {
      if (!names.includes(label)) {
        throw new Error(`Added label "${label}" is not included in initial labelset: ${inspect(names)}`);
      }
    }
    const values = names.map((name) => canonical(labels[name]));
    const existing = names.length === 0 ? this.single : this.walk(values);
    if (existing !== undefined) return existing;
    if (this.limit !== undefined && this.entries.size >= this.limit.maxSeries) {
      if (!overflow) return undefined;
      // Nothing is added for the new label set: memory stays bounded whatever the values.
      if (this.overflow === undefined) this.overflow = this.limit.overflow();
      return this.overflow;
    }
    if (names.length === 0) return (this.single = this.add({}, values, undefined, ''));
    const node = this.parentOf(values);
    const leafKey = values[names.length - 1];
    const series = this.add(copyLabels(labels), values, node, leafKey);
    this.leaf(node, leafKey, series);
    return series;
  }

  /** The series at canonical values, adding no node on the way. */
  private walk(values: readonly string[]): S | undefined {
    let node: TrieNode | undefined = this.root;
    for (let i = 0; i < values.length && node !== undefined; i++) node = node[values[i]] as TrieNode | undefined;
    return node as S | undefined;
  }

  private add(
    labels: Record<string, string | number>,
    values: string[],
    leaf: TrieNode | undefined,
    leafKey: string,
  ): S {
    const series = this.create(labels, values);
    this.entries.set(series, { series, leaf, leafKey });
    this.changes++;
    return series;
  }

  /** Removes the series for labels; returns it, or undefined when there was none. */
  remove(labels: LabelObject): S | undefined {
    // By canonical values: the caller has checked the names, and a missing label is ''.
    const canon: Record<string, string> = {};
    for (const name of this.names) canon[name] = canonical(labels[name]);
    const series = this.find(canon);
    if (series !== undefined) this.removeSeries(series);
    return series;
  }

  /** Removes a series of this index (the overflow series included). */
  removeSeries(series: S): void {
    series.alive = false;
    this.changes++;
    if (series === this.overflow) {
      this.overflow = undefined;
      return;
    }
    const entry = this.entries.get(series);
    if (entry === undefined) return;
    this.entries.delete(series);
    if (entry.leaf === undefined) {
      this.single = undefined;
      return;
    }
    delete entry.leaf[entry.leafKey];
    this.nodes--;
    this.prune(series.values);
  }

  // Inner nodes left empty by a removal go too: with label values that keep
  // changing, they would otherwise pile up without bound.
  private prune(values: readonly string[]): void {
    const path: TrieNode[] = [this.root];
    for (let i = 0; i < values.length - 1; i++) {
      const next = path[i][values[i]] as TrieNode | undefined;
      if (next === undefined) return;
      path.push(next);
    }
    for (let i = path.length - 1; i > 0 && isEmpty(path[i]); i--) {
      delete path[i - 1][values[i - 1]];
      this.nodes--;
    }
  }

  /** Forgets every series. */
  clear(): void {
    this.changes++;
    for (const series of this.entries.keys()) series.alive = false;
    if (this.overflow !== undefined) this.overflow.alive = false;
    this.entries.clear();
    super.clear();
    this.single = undefined;
    this.overflow = undefined;
  }

  /** The series in the order they were first seen (the overflow series not among them). */
  series(): IterableIterator<S> {
    return this.entries.keys();
  }

  /** The series in the order they were first seen, then the overflow series if there is one; a copy, so the caller may remove series as it goes. */
  allSeries(): S[] {
    const all = [...this.entries.keys()];
    if (this.overflow !== undefined) all.push(this.overflow);
    return all;
  }

  /** How many series exist, the overflow series not counted. */
  get size(): number {
    return this.entries.size;
  }
}

function isEmpty(node: TrieNode): boolean {
  for (const _ in node) return false;
  return true;
}
