// W3's events, exactly as WORKLOADS.md defines them, and the oracle every
// system's totals are checked against.
//
//   per event two splitmix64(42) draws d1, d2:
//     combo  = hi32(d1) % 1000          → route = combo % 50, method = (combo / 50) % 4, status = combo / 200
//     u1     = ((d2 >> 11) + 1) / 2^53  (in (0, 1], so ln u1 is finite)
//     u2     = lo32(d1) / 2^32
//     z      = sqrt(-2 ln u1) · cos(2π u2)          (Box–Muller)
//     latency = exp(ln 0.05 + z) seconds             (lognormal, median 50 ms)
//
// The scrape measurements scale the label space up by the route count (500
// routes × 4 methods × 5 statuses = 10,000 series); the formulas are the same
// with 50 replaced by the route count.
//
// Events are generated into typed arrays before anything is timed: the combo
// index (Uint32Array, so it doubles as a u64 key batch) and the latency
// (Float64Array).
import { KEY_SEED, Splitmix64Halves, splitmix64Reference } from './keys';

/** prom-client's default histogram buckets (seconds); every system uses them. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Bucket slots including the one above the last bound (+Inf). */
export const BUCKET_SLOTS = DEFAULT_BUCKETS.length + 1;

export const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'DELETE'];
export const STATUSES: readonly string[] = ['200', '201', '400', '404', '500'];
export const LABEL_NAMES: readonly string[] = ['route', 'method', 'status'];

/** The label values of every combo, precomputed so no system pays for formatting them. */
export interface LabelSpace {
  routes: number;
  /** routes × 4 × 5. */
  series: number;
  route: string[];
  method: string[];
  status: string[];
  /** `${route}|${method}|${status}` per combo (the hand-written Map's key). */
  key: string[];
  /** key → combo, to map a system's read-out back to the oracle. */
  index: Map<string, number>;
}

export function labelSpace(routes: number): LabelSpace {
  const series = routes * METHODS.length * STATUSES.length;
  const space: LabelSpace = { routes, series, route: [], method: [], status: [], key: [], index: new Map() };
  for (let c = 0; c < series; c++) {
    const route = `/api/route${String(c % routes).padStart(3, '0')}`;
    const method = METHODS[Math.floor(c / routes) % METHODS.length];
    const status = STATUSES[Math.floor(c / (routes * METHODS.length))];
    const key = `${route}|${method}|${status}`;
    space.route.push(route);
    space.method.push(method);
    space.status.push(status);
    space.key.push(key);
    space.index.set(key, c);
  }
  return space;
}

/** Slot of a value: the first bound it does not exceed (upper-inclusive `le`), else the +Inf slot. */
export function bucketSlot(v: number): number {
  const b = DEFAULT_BUCKETS;
  for (let i = 0; i < b.length; i++) if (v <= b[i]) return i;
  return b.length;
}

export interface Events {
  n: number;
  space: LabelSpace;
  combo: Uint32Array;
  latency: Float64Array;
  /** What every system must end up with. */
  oracle: Oracle;
  /** XOR of all 2n draws, 16 hex digits, so runs can be compared. */
  checksum: string;
  buildMs: number;
}

export interface Oracle {
  count: number;
  /** Σ latency in event order. */
  sum: number;
  /** Events per combo. */
  perSeries: Float64Array;
  /** Σ latency per combo. */
  perSeriesSum: Float64Array;
  /** Events per combo and bucket slot: [combo * BUCKET_SLOTS + slot] (not cumulative). */
  perSeriesBuckets: Float64Array;
  /** Combos with at least one event. */
  series: number;
  /** Events per bucket slot, over all combos (not cumulative). */
  buckets: Float64Array;
}

const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;
const LN_MEDIAN = Math.log(0.05);
const CHUNK_EVENTS = 1 << 16;

function latencyOf(d1Lo: number, d2Lo: number, d2Hi: number): number {
  // (d2 >> 11) is below 2^53, so this is exact in a double.
  const u1 = (d2Hi * 2 ** 21 + (d2Lo >>> 11) + 1) / TWO_POW_53;
  const u2 = d1Lo / TWO_POW_32;
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.exp(LN_MEDIAN + z);
}

/** The first n W3 events over `routes` routes. */
export function generateEvents(n: number, routes: number): Events {
  const t0 = performance.now();
  const space = labelSpace(routes);
  const combo = new Uint32Array(n);
  const latency = new Float64Array(n);
  const stream = new Splitmix64Halves(KEY_SEED);
  const halves = new Uint32Array(4 * CHUNK_EVENTS);
  let xorLo = 0;
  let xorHi = 0;
  for (let start = 0; start < n; start += CHUNK_EVENTS) {
    const count = Math.min(CHUNK_EVENTS, n - start);
    const h = count === CHUNK_EVENTS ? halves : halves.subarray(0, 4 * count);
    stream.fill(h);
    for (let j = 0; j < count; j++) {
      const d1Lo = h[4 * j];
      const d1Hi = h[4 * j + 1];
      const d2Lo = h[4 * j + 2];
      const d2Hi = h[4 * j + 3];
      xorLo ^= d1Lo ^ d2Lo;
      xorHi ^= d1Hi ^ d2Hi;
      combo[start + j] = d1Hi % space.series;
      latency[start + j] = latencyOf(d1Lo, d2Lo, d2Hi);
    }
  }
  const oracle = oracleOf(combo, latency, space.series);
  const checksum = (xorHi >>> 0).toString(16).padStart(8, '0') + (xorLo >>> 0).toString(16).padStart(8, '0');
  return { n, space, combo, latency, oracle, checksum, buildMs: performance.now() - t0 };
}

/**
 * The scrape state: `perSeries` events in every one of the space's series
 * (event j goes to series j mod series, with W3 event j's latency), so every
 * series exists whatever the route count.
 */
export function generateScrapeEvents(routes: number, perSeries: number): Events {
  const space = labelSpace(routes);
  const ev = generateEvents(space.series * perSeries, routes);
  for (let j = 0; j < ev.n; j++) ev.combo[j] = j % space.series;
  return { ...ev, oracle: oracleOf(ev.combo, ev.latency, space.series) };
}

/** What a system must report after the events (combo, latency) over `series` label sets. */
export function oracleOf(combo: Uint32Array, latency: Float64Array, series: number): Oracle {
  const perSeries = new Float64Array(series);
  const perSeriesSum = new Float64Array(series);
  const perSeriesBuckets = new Float64Array(series * BUCKET_SLOTS);
  const buckets = new Float64Array(BUCKET_SLOTS);
  let sum = 0;
  for (let i = 0; i < combo.length; i++) {
    const c = combo[i];
    const v = latency[i];
    const slot = bucketSlot(v);
    perSeries[c]++;
    perSeriesSum[c] += v;
    perSeriesBuckets[c * BUCKET_SLOTS + slot]++;
    buckets[slot]++;
    sum += v;
  }
  let present = 0;
  for (let c = 0; c < series; c++) if (perSeries[c] > 0) present++;
  return { count: combo.length, sum, perSeries, perSeriesSum, perSeriesBuckets, series: present, buckets };
}

/** Checks the first events against a BigInt transcription of the definition; throws on a mismatch. */
export function selfTestEvents(): void {
  const count = 1000;
  const routes = 50;
  const ev = generateEvents(count, routes);
  const ref = splitmix64Reference(KEY_SEED);
  for (let i = 0; i < count; i++) {
    const d1 = ref.next().value;
    const d2 = ref.next().value;
    const c = Number(d1 >> 32n) % 1000;
    const u1 = (Number(d2 >> 11n) + 1) / 2 ** 53;
    const u2 = Number(d1 & 0xffffffffn) / 2 ** 32;
    const v = Math.exp(Math.log(0.05) + Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    if (ev.combo[i] !== c || ev.latency[i] !== v) {
      throw new Error(
        `W3 event ${i}: generator gave combo ${ev.combo[i]} latency ${ev.latency[i]}, reference ${c} ${v}`,
      );
    }
    const route = c % 50;
    const method = Math.floor(c / 50) % 4;
    const status = Math.floor(c / 200);
    const sp = ev.space;
    if (
      sp.route[c] !== `/api/route${String(route).padStart(3, '0')}` ||
      sp.method[c] !== METHODS[method] ||
      sp.status[c] !== STATUSES[status]
    ) {
      throw new Error(
        `W3 combo ${c}: labels ${sp.key[c]} do not match route ${route} method ${method} status ${status}`,
      );
    }
  }
}

/** What a system reported, in the shape the oracle is compared with. */
export interface ReportedSeries {
  combo: number;
  count: number;
  sum: number;
  /** Per bucket slot, not cumulative; null when the system keeps no histogram. */
  buckets: ArrayLike<number> | null;
}

export interface Verified {
  series: number;
  count: number;
  sum: number;
  /** Whether per-bucket counts were compared (every system here keeps them). */
  buckets: boolean;
}

/** Relative tolerance for sums: the systems add the same values in other groupings. */
const SUM_TOLERANCE = 1e-9;

function closeTo(got: number, want: number): boolean {
  return Math.abs(got - want) <= SUM_TOLERANCE * Math.max(1, Math.abs(want));
}

/**
 * Compares a system's series with the oracle: the set of series, each series'
 * count, sum and bucket counts, and the totals. Throws naming the first mismatch.
 */
export function verifyTotals(what: string, reported: readonly ReportedSeries[], oracle: Oracle): Verified {
  const fail = (detail: string): never => {
    throw new Error(`bench verification failed: ${what}: ${detail}`);
  };
  if (reported.length !== oracle.series) fail(`${reported.length} series, expected ${oracle.series}`);
  const seen = new Uint8Array(oracle.perSeries.length);
  let count = 0;
  let sum = 0;
  let withBuckets = 0;
  for (const s of reported) {
    const c = s.combo;
    if (!(c >= 0 && c < seen.length)) fail(`a series outside the label space (combo ${c})`);
    if (seen[c] !== 0) fail(`series ${c} reported twice`);
    seen[c] = 1;
    if (s.count !== oracle.perSeries[c]) fail(`series ${c} count ${s.count}, expected ${oracle.perSeries[c]}`);
    if (!closeTo(s.sum, oracle.perSeriesSum[c])) fail(`series ${c} sum ${s.sum}, expected ${oracle.perSeriesSum[c]}`);
    if (s.buckets !== null) {
      withBuckets++;
      if (s.buckets.length !== BUCKET_SLOTS)
        fail(`series ${c} has ${s.buckets.length} bucket slots, expected ${BUCKET_SLOTS}`);
      for (let b = 0; b < BUCKET_SLOTS; b++) {
        const want = oracle.perSeriesBuckets[c * BUCKET_SLOTS + b];
        if (s.buckets[b] !== want) fail(`series ${c} bucket ${b} holds ${s.buckets[b]}, expected ${want}`);
      }
    }
    count += s.count;
    sum += s.sum;
  }
  if (count !== oracle.count) fail(`total count ${count}, expected ${oracle.count}`);
  if (!closeTo(sum, oracle.sum)) fail(`total sum ${sum}, expected ${oracle.sum}`);
  return { series: reported.length, count, sum, buckets: withBuckets === reported.length };
}

/**
 * Totals of the `<name>_count` and `<name>_sum` lines of a Prometheus text
 * exposition: a scrape is checked for its series count and totals.
 */
export function expositionTotals(text: string, name: string): { series: number; count: number; sum: number } {
  let series = 0;
  let count = 0;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}_count`)) {
      series++;
      count += Number(line.slice(line.lastIndexOf(' ') + 1));
    } else if (line.startsWith(`${name}_sum`)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return { series, count, sum };
}

/** Throws unless a scrape holds every series with the oracle's totals. */
export function verifyExposition(what: string, text: string, name: string, oracle: Oracle): void {
  const t = expositionTotals(text, name);
  const fail = (detail: string): never => {
    throw new Error(`bench verification failed: ${what}: ${detail}`);
  };
  if (t.series !== oracle.series) fail(`${t.series} _count lines, expected ${oracle.series}`);
  if (t.count !== oracle.count) fail(`Σ _count ${t.count}, expected ${oracle.count}`);
  // Exposition prints sums with limited digits in some implementations.
  if (Math.abs(t.sum - oracle.sum) > 1e-6 * oracle.sum) fail(`Σ _sum ${t.sum}, expected ${oracle.sum}`);
}
