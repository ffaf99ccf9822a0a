// Prometheus text format 0.0.4 and OpenMetrics 1.0 rendering, shared by
// Aggregator.toPrometheus and tophash/prom.
//
// A scrape of many series is string building, so the renderer works per
// family and per series, never per line: a family's `le` strings and a
// series' label block are built once and reused for every bucket line, and
// escaping runs only when a quick test finds a character that needs it. The
// text goes into one byte buffer (see text-buffer.ts for why).
//
// Families held in an Aggregator (toPrometheus, tophash/prom's Histogram)
// take a shorter road: this module validates them and builds their per-family
// strings (HELP/TYPE, label heads, `le` tails), and native code writes the
// sample lines straight from the aggregator's rows (native/core/exposition.h).
// Both roads must give the same bytes; test/aggregator.exposition.test.ts
// holds the native one to this one.

import { rangeError, typeError } from '../runtime/errors';
import { TextBuffer } from './text-buffer';

const NEWLINE = 10;
const SPACE = 32;
const QUOTE = 34;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/** One labelled series of an {@link ExpositionFamily}. */
export interface ExpositionSeries {
  /** The label values, in the family's `labelNames` order. */
  labelValues: readonly string[];
  /** The number of observations (histogram, summary). For a histogram it must equal the sum of `buckets`. */
  count?: number;
  /** The sum of the observations (histogram, summary). */
  sum?: number;
  /**
   * Per-bucket observation counts, NOT cumulative (histogram): `bounds.length + 1` entries, the
   * last one counting what lies above the last bound.
   */
  buckets?: ArrayLike<number>;
  /** The sample value (counter, gauge). */
  value?: number;
}

/** A metric family: one `# HELP` and one `# TYPE` line and the samples of its series. */
export interface ExpositionFamily {
  /** The metric name, e.g. `http_request_duration_seconds`. */
  name: string;
  /** The help text; backslashes and newlines (and, in OpenMetrics, double quotes) are escaped. */
  help: string;
  /** The metric type. */
  type: 'histogram' | 'summary' | 'counter' | 'gauge';
  /** The label names every series carries, in the order their values are given. */
  labelNames: readonly string[];
  /** Histogram only: the finite, strictly increasing, upper-inclusive bucket bounds (`le`). */
  bounds?: ArrayLike<number>;
  /** The series of this family. */
  series: Iterable<ExpositionSeries>;
}

/**
 * The label of the one series that keys past a series limit share (OpenTelemetry's overflow
 * attribute `otel.metric.overflow`, as Prometheus spells it).
 *
 * @internal
 */
export const OVERFLOW_LABEL = 'otel_metric_overflow';

/** The `Content-Type` of {@link renderPrometheus}'s output (the same string prom-client uses). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The `Content-Type` of {@link renderOpenMetrics}'s output (the same string prom-client uses). */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['histogram', 'summary', 'counter', 'gauge']);

const LABEL_SPECIALS = /[\\"\n]/;
const LABEL_SPECIALS_ALL = /[\\"\n]/g;
const HELP_SPECIALS = /[\\\n]/;
const HELP_SPECIALS_ALL = /[\\\n]/g;

function escapeChar(c: string): string {
  return c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\"';
}

/**
 * Escapes a label value for both formats: `\` → `\\`, `"` → `\"`, newline → `\n`.
 *
 * @param value - the raw label value
 * @returns the value as it goes between the double quotes
 */
export function escapeLabelValue(value: string): string {
  return LABEL_SPECIALS.test(value) ? value.replace(LABEL_SPECIALS_ALL, escapeChar) : value;
}

function escapeHelp(help: string, openMetrics: boolean): string {
  // 0.0.4 escapes only `\` and newline in HELP (a `\"` would be read back as
  // two characters); OpenMetrics' escaped-string also escapes the double quote.
  if (openMetrics) return escapeLabelValue(help);
  return HELP_SPECIALS.test(help) ? help.replace(HELP_SPECIALS_ALL, escapeChar) : help;
}

/**
 * An `le` value. 0.0.4 keeps JavaScript's shortest form (what prom-client
 * prints, so outputs stay comparable); OpenMetrics wants canonical numbers,
 * where an integral bound carries `.0` (what Prometheus 3 normalises to).
 */
function formatBound(n: number, openMetrics: boolean): string {
  // Past 2^53 JavaScript writes the shortest digits that round-trip (2^62 as 4611686018427388000);
  // a bucket edge such as a log2 histogram's 2^62 is an integer and is written as one.
  const s = Number.isInteger(n) && Math.abs(n) >= 2 ** 53 ? BigInt(n).toString() : '' + n;
  return openMetrics && Number.isInteger(n) && s.indexOf('e') < 0 ? s + '.0' : s;
}

/**
 * Validates a family's name, help, type, label names and bounds (and that `series` is iterable).
 *
 * @internal
 */
export function checkFamily(family: ExpositionFamily, at: string): void {
  if (family === null || typeof family !== 'object') throw typeError('an ExpositionFamily object', at, family);
  const { name, help, type, labelNames } = family;
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    throw typeError('a metric name matching [a-zA-Z_:][a-zA-Z0-9_:]*', `${at}.name`, name);
  }
  if (typeof help !== 'string') throw typeError('a string', `${at}.help`, help);
  if (!TYPES.has(type)) throw typeError("'histogram', 'summary', 'counter' or 'gauge'", `${at}.type`, type);
  if (!Array.isArray(labelNames)) throw typeError('an array of label names', `${at}.labelNames`, labelNames);
  const seen = new Set<string>();
  for (let i = 0; i < labelNames.length; i++) {
    const label = labelNames[i] as unknown;
    if (typeof label !== 'string' || !LABEL_NAME.test(label)) {
      throw typeError('a label name matching [a-zA-Z_][a-zA-Z0-9_]*', `${at}.labelNames[${i}]`, label);
    }
    if (seen.has(label)) throw rangeError('distinct label names', `${at}.labelNames[${i}]`, label);
    if ((type === 'histogram' && label === 'le') || (type === 'summary' && label === 'quantile')) {
      throw rangeError(`a label name other than the reserved '${label}'`, `${at}.labelNames[${i}]`, label);
    }
    seen.add(label);
  }
  if (type === 'histogram') {
    const bounds = family.bounds;
    if (bounds === null || typeof bounds !== 'object' || typeof bounds.length !== 'number') {
      throw typeError('an array of bucket bounds', `${at}.bounds`, bounds);
    }
    for (let i = 0; i < bounds.length; i++) {
      const b = bounds[i];
      if (typeof b !== 'number' || !Number.isFinite(b)) throw typeError('a finite number', `${at}.bounds[${i}]`, b);
      if (i > 0 && !(b > bounds[i - 1])) {
        throw rangeError(`a bound greater than ${bounds[i - 1]} (bounds strictly increase)`, `${at}.bounds[${i}]`, b);
      }
    }
  }
  if (family.series === null || typeof family.series !== 'object' || !(Symbol.iterator in family.series)) {
    throw typeError('an iterable of series', `${at}.series`, family.series);
  }
}

/**
 * A family's `# HELP` and `# TYPE` lines (OpenMetrics: `# TYPE` first, a counter named without
 * `_total`).
 *
 * @internal
 */
export function familyHead(family: ExpositionFamily, openMetrics: boolean): string {
  const { name, type } = family;
  if (!openMetrics) return `# HELP ${name} ${escapeHelp(family.help, false)}\n# TYPE ${name} ${type}\n`;
  const familyName = type === 'counter' && name.endsWith('_total') ? name.slice(0, -6) : name;
  return `# TYPE ${familyName} ${type}\n# HELP ${familyName} ${escapeHelp(family.help, true)}\n`;
}

/**
 * What goes before each label value: `l1="`, `,l2="`, ...
 *
 * @internal
 */
export function labelHeads(labelNames: readonly string[]): string[] {
  return labelNames.map((label, i) => (i === 0 ? `${label}="` : `,${label}="`));
}

/**
 * A histogram's `<le>"} ` per bound, what follows the `le="` of its bucket lines.
 *
 * @internal
 */
export function boundTails(bounds: ArrayLike<number>, openMetrics: boolean): string[] {
  return Array.from(bounds, (b) => formatBound(b, openMetrics) + '"} ');
}

/**
 * OpenMetrics forbids a histogram's _sum once a bucket bound is negative: the sum is no longer a
 * counter.
 *
 * @internal
 */
export function omitsSum(bounds: ArrayLike<number>, openMetrics: boolean): boolean {
  return openMetrics && bounds.length > 0 && bounds[0] < 0;
}

function checkNumber(value: unknown, what: string): number {
  if (typeof value !== 'number') throw typeError('a number', what, value);
  return value;
}

/**
 * Writes `l1="v1",l2="v2"` for a series (nothing without labels). Label names
 * come pre-encoded as `l1="` etc. Pieces are written one by one rather than
 * concatenated: copying a concatenated (rope) string char by char is several
 * times slower than copying flat strings.
 */
function writeLabelPairs(out: TextBuffer, heads: readonly string[], series: ExpositionSeries, at: () => string): void {
  const values = series.labelValues;
  if (values === null || typeof values !== 'object' || values.length !== heads.length) {
    throw typeError(`an array of ${heads.length} label values`, `${at()}.labelValues`, values);
  }
  for (let i = 0; i < heads.length; i++) {
    const raw = values[i] as unknown;
    out.asciiText(heads[i]);
    out.text(escapeLabelValue(typeof raw === 'string' ? raw : String(raw)));
    out.byte(QUOTE);
  }
}

/** Writes `name{labels} value\n`, the label bytes copied from [labelsStart, labelsEnd). */
function writeSample(
  out: TextBuffer,
  name: string,
  suffix: string,
  labelsStart: number,
  labelsEnd: number,
  value: number,
): void {
  out.asciiText(name);
  out.asciiText(suffix);
  if (labelsEnd > labelsStart) {
    out.byte(OPEN_BRACE);
    out.repeat(labelsStart, labelsEnd);
    out.byte(CLOSE_BRACE);
  }
  out.byte(SPACE);
  out.value(value);
  out.byte(NEWLINE);
}

/**
 * Writes a histogram series' lines. The `name_bucket{labels,le="` prefix is
 * encoded once and copied for every bucket line; `leTails[i]` is the family's
 * `<le>"} ` for bound i.
 */
function writeHistogramSeries(
  out: TextBuffer,
  name: string,
  heads: readonly string[],
  leTails: readonly string[],
  series: ExpositionSeries,
  omitSum: boolean,
  at: () => string,
): void {
  const buckets = series.buckets;
  const nb = leTails.length;
  if (buckets === null || typeof buckets !== 'object' || buckets.length !== nb + 1) {
    throw typeError(`${nb + 1} bucket counts`, `${at()}.buckets`, buckets);
  }
  const prefixStart = out.length;
  out.asciiText(name);
  out.asciiText('_bucket{');
  const labelsStart = out.length;
  writeLabelPairs(out, heads, series, at);
  const labelsEnd = out.length;
  out.asciiText(labelsEnd > labelsStart ? ',le="' : 'le="');
  const prefixEnd = out.length;
  let cumulative = 0;
  for (let i = 0; i <= nb; i++) {
    const n = buckets[i];
    if (!(n >= 0)) throw rangeError('a count >= 0', `${at()}.buckets[${i}]`, n);
    cumulative += n;
    // The prefix written above serves as the first line's own.
    if (i === 0 && nb > 0) {
      out.asciiText(leTails[0]);
      out.value(cumulative);
      out.byte(NEWLINE);
    } else if (i < nb) {
      out.line(prefixStart, prefixEnd, leTails[i], cumulative);
    }
  }
  const count = series.count === undefined ? cumulative : checkNumber(series.count, `${at()}.count`);
  if (count !== cumulative) {
    throw rangeError(`a count equal to the sum of the buckets (${cumulative})`, `${at()}.count`, count);
  }
  if (nb > 0) {
    out.line(prefixStart, prefixEnd, '+Inf"} ', count);
  } else {
    out.asciiText('+Inf"} ');
    out.value(count);
    out.byte(NEWLINE);
  }
  if (!omitSum) writeSample(out, name, '_sum', labelsStart, labelsEnd, checkNumber(series.sum, `${at()}.sum`));
  writeSample(out, name, '_count', labelsStart, labelsEnd, count);
}

function writeFamily(out: TextBuffer, family: ExpositionFamily, at: string, openMetrics: boolean): void {
  checkFamily(family, at);
  const { name, type, labelNames } = family;
  // OpenMetrics names a counter's family without `_total` and its sample with it.
  const familyName = openMetrics && type === 'counter' && name.endsWith('_total') ? name.slice(0, -6) : name;
  out.text(familyHead(family, openMetrics));
  const heads = labelHeads(labelNames);
  let leTails: string[] = [];
  let omitSum = false;
  if (type === 'histogram') {
    leTails = boundTails(family.bounds!, openMetrics);
    omitSum = omitsSum(family.bounds!, openMetrics);
  }
  const sampleName = openMetrics && type === 'counter' ? familyName + '_total' : name;
  let index = 0;
  // Error paths only: a per-series path string would cost more than the series' lines.
  const seriesAt = () => `${at}.series[${index}]`;
  for (const series of family.series) {
    if (series === null || typeof series !== 'object') {
      throw typeError('an ExpositionSeries object', seriesAt(), series);
    }
    if (type === 'histogram') {
      writeHistogramSeries(out, name, heads, leTails, series, omitSum, seriesAt);
    } else {
      // A summary's labels are written once and copied into its _count line.
      out.asciiText(type === 'summary' ? name + '_sum' : sampleName);
      const labelsStart = out.length + (heads.length > 0 ? 1 : 0);
      if (heads.length > 0) out.byte(OPEN_BRACE);
      writeLabelPairs(out, heads, series, seriesAt);
      const labelsEnd = out.length;
      if (heads.length > 0) out.byte(CLOSE_BRACE);
      out.byte(SPACE);
      if (type === 'summary') {
        const count = checkNumber(series.count, `${seriesAt()}.count`);
        out.value(checkNumber(series.sum, `${seriesAt()}.sum`));
        out.byte(NEWLINE);
        writeSample(out, name, '_count', labelsStart, labelsEnd, count);
      } else {
        out.value(checkNumber(series.value, `${seriesAt()}.value`));
        out.byte(NEWLINE);
      }
    }
    index++;
  }
}

function render(list: readonly ExpositionFamily[], openMetrics: boolean, eof = openMetrics): string {
  // Array.isArray narrows to any[]; keep the declared element type.
  const families: readonly ExpositionFamily[] = list;
  if (!Array.isArray(list)) throw typeError('an array of ExpositionFamily objects', 'families', families);
  const names = new Set<string>();
  const out = new TextBuffer();
  for (let i = 0; i < families.length; i++) {
    const family: ExpositionFamily = families[i];
    const at = `families[${i}]`;
    writeFamily(out, family, at, openMetrics);
    // A second HELP/TYPE for one name is a parse error for Prometheus.
    if (names.has(family.name)) {
      throw rangeError('a metric name not used by an earlier family', `${at}.name`, family.name);
    }
    names.add(family.name);
  }
  if (eof) out.asciiText('# EOF\n');
  return out.finish();
}

/**
 * Renders metric families in the Prometheus text format 0.0.4: one `# HELP` and `# TYPE` per
 * family, histogram buckets cumulative in increasing `le` order ending with `le="+Inf"` equal to
 * `_count`, then `_sum` and `_count`; label values and HELP text escaped. Serve it with
 * {@link PROMETHEUS_CONTENT_TYPE}.
 *
 * @example
 * ```ts
 * renderPrometheus([
 *   {
 *     name: 'http_request_duration_seconds',
 *     help: 'Request latency',
 *     type: 'histogram',
 *     labelNames: ['route'],
 *     bounds: [0.1, 1],
 *     series: [{ labelValues: ['/'], buckets: [3, 1, 0], count: 4, sum: 0.9 }],
 *   },
 * ]);
 * ```
 *
 * @param families - the families to render; names must be distinct
 * @returns the exposition text, ending with a newline
 * @throws TypeError or RangeError naming the family and series for malformed input
 */
export function renderPrometheus(families: readonly ExpositionFamily[]): string {
  return render(families, false);
}

/**
 * Renders metric families in OpenMetrics 1.0 text: `# TYPE` and `# HELP` per family, a counter's
 * family named without and its sample with the `_total` suffix, canonical `le` values (`1.0`),
 * no `_sum` for a histogram with a negative bound, and the closing `# EOF`. Serve it with
 * {@link OPENMETRICS_CONTENT_TYPE}.
 *
 * @param families - the families to render; names must be distinct
 * @returns the exposition text, ending with `# EOF\n`
 * @throws TypeError or RangeError naming the family and series for malformed input
 */
export function renderOpenMetrics(families: readonly ExpositionFamily[]): string {
  return render(families, true);
}

/**
 * One family's text without the final newline, for a registry that joins families itself
 * (prom-client's `Registry.metrics()` does).
 *
 * @internal
 */
export function renderFamilyBody(family: ExpositionFamily, openMetrics: boolean): string {
  const text = render([family], openMetrics, false);
  return text.slice(0, -1);
}

/**
 * One family's sample lines without its HELP and TYPE lines and without the final newline: more
 * series of a family already begun, whose label names differ from the first part's (a metric's
 * overflow series).
 *
 * @internal
 */
export function renderFamilySamples(family: ExpositionFamily, openMetrics: boolean): string {
  return renderFamilyBody(family, openMetrics).slice(familyHead(family, openMetrics).length);
}
