// A small, independent reader of the Prometheus text format (0.0.4) and
// OpenMetrics text: the oracle the exposition tests read rendered output back
// with. It is deliberately strict (unknown escapes, stray characters and a
// second HELP/TYPE for one family throw) so a renderer bug cannot hide.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  /** Label names in the order they appeared. */
  labelOrder: string[];
  value: number;
}

export interface ParsedFamily {
  name: string;
  help?: string;
  type?: string;
  samples: Sample[];
}

export interface Parsed {
  families: ParsedFamily[];
  eof: boolean;
}

function unescape(text: string, allowQuote: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === '"' && allowQuote) out += '"';
    else throw new Error(`bad escape \\${next} in ${JSON.stringify(text)}`);
  }
  return out;
}

function parseValue(text: string): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${JSON.stringify(text)}`);
  return Number(text);
}

function parseSample(line: string): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!m) throw new Error(`bad sample line ${JSON.stringify(line)}`);
  const name = m[1];
  let i = name.length;
  const labels: Record<string, string> = {};
  const labelOrder: string[] = [];
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(i));
      if (!lm) throw new Error(`bad label at ${i} in ${JSON.stringify(line)}`);
      i += lm[0].length;
      let raw = '';
      while (line[i] !== '"') {
        if (i >= line.length) throw new Error(`unterminated label value in ${JSON.stringify(line)}`);
        if (line[i] === '\\') raw += line[i++];
        raw += line[i++];
      }
      i++;
      if (lm[1] in labels) throw new Error(`duplicate label ${lm[1]}`);
      labels[lm[1]] = unescape(raw, true);
      labelOrder.push(lm[1]);
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`expected , or } at ${i} in ${JSON.stringify(line)}`);
    }
    i++;
  }
  if (line[i] !== ' ') throw new Error(`expected a space at ${i} in ${JSON.stringify(line)}`);
  const rest = line.slice(i + 1);
  if (rest.includes(' ')) throw new Error(`unexpected timestamp or trailing text in ${JSON.stringify(line)}`);
  return { name, labels, labelOrder, value: parseValue(rest) };
}

/** Parses exposition text; `openMetrics` selects OpenMetrics' HELP escaping and the `# EOF` rule. */
export function parseExposition(text: string, openMetrics = false): Parsed {
  if (text !== '' && !text.endsWith('\n')) throw new Error('output does not end with a newline');
  const lines = text.split('\n');
  lines.pop();
  const families: ParsedFamily[] = [];
  const byName = new Map<string, ParsedFamily>();
  let eof = false;
  const family = (name: string): ParsedFamily => {
    let f = byName.get(name);
    if (!f) {
      f = { name, samples: [] };
      byName.set(name, f);
      families.push(f);
    }
    return f;
  };
  let current: ParsedFamily | undefined;
  for (const line of lines) {
    if (eof) throw new Error('text after # EOF');
    if (line === '# EOF') {
      eof = true;
      continue;
    }
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const f = family(meta[2]);
      if (f.samples.length > 0) throw new Error(`metadata after samples for ${meta[2]}`);
      if (meta[1] === 'HELP') {
        if (f.help !== undefined) throw new Error(`second HELP for ${meta[2]}`);
        f.help = unescape(meta[3], openMetrics);
      } else {
        if (f.type !== undefined) throw new Error(`second TYPE for ${meta[2]}`);
        f.type = meta[3];
      }
      current = f;
      continue;
    }
    // 0.0.4 ignores empty lines (prom-client separates families with one); OpenMetrics has none.
    if (line === '' && !openMetrics) continue;
    if (line.startsWith('#') || line === '') throw new Error(`unexpected line ${JSON.stringify(line)}`);
    const sample = parseSample(line);
    if (!current || !sample.name.startsWith(current.name)) {
      throw new Error(`sample ${sample.name} outside its family`);
    }
    current.samples.push(sample);
  }
  if (openMetrics && !eof) throw new Error('OpenMetrics text without # EOF');
  return { families, eof };
}

/** The samples of one series (label set without `le`) of a parsed histogram, grouped. */
export function seriesKey(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(labels)
      .filter((k) => k !== 'le')
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

/**
 * What Prometheus would store from a text: per family its type and help, and every sample keyed
 * by name, labels (order-free, empty values dropped as Prometheus drops them) and numeric `le`.
 */
export function storedSamples(text: string, openMetrics = false): Map<string, number | string> {
  const out = new Map<string, number | string>();
  for (const fam of parseExposition(text, openMetrics).families) {
    out.set(`# ${fam.name}`, `${fam.type} ${fam.help}`);
    for (const s of fam.samples) {
      const labels = Object.fromEntries(Object.entries(s.labels).filter(([k, v]) => v !== '' && k !== 'le'));
      const le = s.labels.le === undefined ? '' : String(Number(s.labels.le === '+Inf' ? Infinity : s.labels.le));
      out.set(`${s.name} ${seriesKey(labels)} ${le}`, s.value);
    }
  }
  return out;
}
