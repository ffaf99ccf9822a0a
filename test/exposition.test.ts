// The exposition renderer: exact text for small cases, the format's rules
// (cumulative buckets, +Inf == _count, escaping, one HELP/TYPE per family,
// OpenMetrics' EOF and _total), bad input, and two differential properties:
// random families read back by an independent parser, and random observations
// rendered beside prom-client's own output for the same observations.
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import {
  escapeLabelValue,
  renderOpenMetrics,
  renderPrometheus,
  type ExpositionFamily,
  type ExpositionSeries,
} from '../src/metrics/exposition';
import { parseExposition, seriesKey, type Sample } from './exposition-parser';

const latency = (series: ExpositionSeries[], bounds = [0.1, 1]): ExpositionFamily => ({
  name: 'http_request_duration_seconds',
  help: 'Request latency',
  type: 'histogram',
  labelNames: ['route', 'method'],
  bounds,
  series,
});

describe('renderPrometheus', () => {
  it('renders a histogram with cumulative buckets, +Inf equal to _count, then _sum and _count', () => {
    const text = renderPrometheus([
      latency([
        { labelValues: ['/a', 'GET'], buckets: [3, 1, 2], count: 6, sum: 12.5 },
        { labelValues: ['/b', 'POST'], buckets: new Float64Array([0, 0, 0]), count: 0, sum: 0 },
      ]),
    ]);
    expect(text).toBe(
      [
        '# HELP http_request_duration_seconds Request latency',
        '# TYPE http_request_duration_seconds histogram',
        'http_request_duration_seconds_bucket{route="/a",method="GET",le="0.1"} 3',
        'http_request_duration_seconds_bucket{route="/a",method="GET",le="1"} 4',
        'http_request_duration_seconds_bucket{route="/a",method="GET",le="+Inf"} 6',
        'http_request_duration_seconds_sum{route="/a",method="GET"} 12.5',
        'http_request_duration_seconds_count{route="/a",method="GET"} 6',
        'http_request_duration_seconds_bucket{route="/b",method="POST",le="0.1"} 0',
        'http_request_duration_seconds_bucket{route="/b",method="POST",le="1"} 0',
        'http_request_duration_seconds_bucket{route="/b",method="POST",le="+Inf"} 0',
        'http_request_duration_seconds_sum{route="/b",method="POST"} 0',
        'http_request_duration_seconds_count{route="/b",method="POST"} 0',
        '',
      ].join('\n'),
    );
  });

  it('renders series without labels without braces, and takes count from the buckets when omitted', () => {
    const text = renderPrometheus([
      {
        name: 'q',
        help: 'h',
        type: 'histogram',
        labelNames: [],
        bounds: [1],
        series: [{ labelValues: [], buckets: [1, 1], sum: 3 }],
      },
      { name: 'up', help: 'h', type: 'gauge', labelNames: [], series: [{ labelValues: [], value: 1 }] },
      { name: 'jobs_total', help: 'h', type: 'counter', labelNames: [], series: [{ labelValues: [], value: 7 }] },
      {
        name: 'rtt',
        help: 'h',
        type: 'summary',
        labelNames: ['peer'],
        series: [{ labelValues: ['x'], count: 2, sum: 0.25 }],
      },
    ]);
    expect(text).toContain('q_bucket{le="1"} 1\nq_bucket{le="+Inf"} 2\nq_sum 3\nq_count 2\n');
    expect(text).toContain('# TYPE up gauge\nup 1\n');
    expect(text).toContain('# TYPE jobs_total counter\njobs_total 7\n');
    expect(text).toContain('# TYPE rtt summary\nrtt_sum{peer="x"} 0.25\nrtt_count{peer="x"} 2\n');
  });

  it('escapes label values and HELP text per the 0.0.4 spec', () => {
    const text = renderPrometheus([
      {
        name: 'g',
        help: 'back\\slash "quoted"\nsecond line',
        type: 'gauge',
        labelNames: ['v'],
        series: [{ labelValues: ['a"b\\c\nd ☃ 𝄞'], value: 1 }],
      },
    ]);
    expect(text).toBe('# HELP g back\\\\slash "quoted"\\nsecond line\n# TYPE g gauge\ng{v="a\\"b\\\\c\\nd ☃ 𝄞"} 1\n');
    expect(escapeLabelValue('plain')).toBe('plain');
  });

  it('writes NaN and infinities the way Prometheus reads them', () => {
    const text = renderPrometheus([
      {
        name: 'g',
        help: 'h',
        type: 'gauge',
        labelNames: ['k'],
        series: [
          { labelValues: ['a'], value: NaN },
          { labelValues: ['b'], value: Infinity },
          { labelValues: ['c'], value: -Infinity },
          { labelValues: ['d'], value: 1e-7 },
        ],
      },
    ]);
    expect(text).toContain('g{k="a"} NaN\ng{k="b"} +Inf\ng{k="c"} -Inf\ng{k="d"} 1e-7\n');
  });

  it('emits one HELP and one TYPE per family, families in the order given', () => {
    const fams: ExpositionFamily[] = ['b', 'a', 'c'].map((name) => ({
      name,
      help: name,
      type: 'counter',
      labelNames: ['x'],
      series: [1, 2, 3].map((v) => ({ labelValues: [String(v)], value: v })),
    }));
    const text = renderPrometheus(fams);
    expect(text.match(/^# HELP /gm)).toHaveLength(3);
    expect(text.match(/^# TYPE /gm)).toHaveLength(3);
    expect(parseExposition(text).families.map((f) => f.name)).toEqual(['b', 'a', 'c']);
  });

  it('renders an empty family list as empty text', () => {
    expect(renderPrometheus([])).toBe('');
    expect(renderOpenMetrics([])).toBe('# EOF\n');
  });

  it('accepts any iterable of series, e.g. a generator', () => {
    function* gen(): Generator<ExpositionSeries> {
      yield { labelValues: ['x', 'y'], buckets: [0, 0, 1], count: 1, sum: 5 };
    }
    expect(renderPrometheus([latency(gen() as unknown as ExpositionSeries[])])).toContain(
      'http_request_duration_seconds_count{route="x",method="y"} 1\n',
    );
  });
});

describe('renderOpenMetrics', () => {
  it('ends with # EOF, names counters without and samples with _total, canonical le', () => {
    const text = renderOpenMetrics([
      {
        name: 'jobs_total',
        help: 'Jobs "done"',
        type: 'counter',
        labelNames: [],
        series: [{ labelValues: [], value: 3 }],
      },
      { name: 'errors', help: 'e', type: 'counter', labelNames: ['k'], series: [{ labelValues: ['x'], value: 1 }] },
      latency([{ labelValues: ['/', 'GET'], buckets: [1, 0, 0], count: 1, sum: 0.05 }], [0.1, 1]),
    ]);
    expect(text.endsWith('\n# EOF\n')).toBe(true);
    expect(text).toContain('# TYPE jobs counter\n# HELP jobs Jobs \\"done\\"\njobs_total 3\n');
    expect(text).toContain('# TYPE errors counter\n# HELP errors e\nerrors_total{k="x"} 1\n');
    expect(text).toContain('le="0.1"} 1\n');
    expect(text).toContain('le="1.0"} 1\n');
    expect(text).toContain('le="+Inf"} 1\n');
    const parsed = parseExposition(text, true);
    expect(parsed.eof).toBe(true);
    expect(parsed.families.map((f) => [f.name, f.type])).toEqual([
      ['jobs', 'counter'],
      ['errors', 'counter'],
      ['http_request_duration_seconds', 'histogram'],
    ]);
  });

  it('drops _sum for a histogram with a negative bound, as OpenMetrics requires', () => {
    const fam: ExpositionFamily = {
      name: 'drift_seconds',
      help: 'h',
      type: 'histogram',
      labelNames: [],
      bounds: [-1, 0, 1],
      series: [{ labelValues: [], buckets: [1, 1, 1, 1], count: 4, sum: -3 }],
    };
    expect(renderOpenMetrics([fam])).not.toContain('_sum');
    expect(renderPrometheus([fam])).toContain('drift_seconds_sum -3\n');
  });
});

describe('bad input', () => {
  const good = (): ExpositionFamily => latency([{ labelValues: ['/', 'GET'], buckets: [1, 0, 0], count: 1, sum: 0 }]);
  const cases: [string, (f: ExpositionFamily) => unknown, RegExp][] = [
    [
      'bad name',
      (f) => ({ ...f, name: '1abc' }),
      /Expected a metric name .* for families\[0\]\.name but received string '1abc'/,
    ],
    ['bad type', (f) => ({ ...f, type: 'info' }), /for families\[0\]\.type but received string 'info'/],
    ['bad label', (f) => ({ ...f, labelNames: ['ok', 'no-dash'] }), /for families\[0\]\.labelNames\[1\]/],
    ['le label', (f) => ({ ...f, labelNames: ['le', 'x'] }), /reserved 'le' for families\[0\]\.labelNames\[0\]/],
    [
      'duplicate label',
      (f) => ({ ...f, labelNames: ['a', 'a'] }),
      /distinct label names for families\[0\]\.labelNames\[1\]/,
    ],
    [
      'decreasing bounds',
      (f) => ({ ...f, bounds: [1, 0.5] }),
      /greater than 1 .* for families\[0\]\.bounds\[1\] but received 0\.5/,
    ],
    [
      'infinite bound',
      (f) => ({ ...f, bounds: [0.1, Infinity] }),
      /finite number for families\[0\]\.bounds\[1\] but received Infinity/,
    ],
    ['missing bounds', (f) => ({ ...f, bounds: undefined }), /bucket bounds for families\[0\]\.bounds/],
    [
      'wrong label count',
      (f) => ({ ...f, series: [{ labelValues: ['/'], buckets: [1, 0, 0], count: 1, sum: 0 }] }),
      /array of 2 label values for families\[0\]\.series\[0\]\.labelValues but received Array\(1\)/,
    ],
    [
      'wrong bucket count',
      (f) => ({ ...f, series: [{ labelValues: ['/', 'x'], buckets: [1, 0], count: 1, sum: 0 }] }),
      /3 bucket counts for families\[0\]\.series\[0\]\.buckets but received Array\(2\)/,
    ],
    [
      'count not the bucket total',
      (f) => ({ ...f, series: [{ labelValues: ['/', 'x'], buckets: [1, 0, 1], count: 1, sum: 0 }] }),
      /count equal to the sum of the buckets \(2\) for families\[0\]\.series\[0\]\.count but received 1/,
    ],
    [
      'negative bucket',
      (f) => ({ ...f, series: [{ labelValues: ['/', 'x'], buckets: [1, -1, 0], count: 0, sum: 0 }] }),
      /count >= 0 for families\[0\]\.series\[0\]\.buckets\[1\] but received -1/,
    ],
    [
      'missing sum',
      (f) => ({ ...f, series: [{ labelValues: ['/', 'x'], buckets: [1, 0, 0], count: 1 }] }),
      /a number for families\[0\]\.series\[0\]\.sum but received undefined/,
    ],
    [
      'gauge without value',
      () => ({ name: 'g', help: '', type: 'gauge', labelNames: [], series: [{ labelValues: [] }] }),
      /series\[0\]\.value/,
    ],
    [
      'series not iterable',
      (f) => ({ ...f, series: 5 }),
      /iterable of series for families\[0\]\.series but received 5/,
    ],
  ];
  for (const [title, mutate, message] of cases) {
    it(`rejects ${title}`, () => {
      expect(() => renderPrometheus([mutate(good()) as ExpositionFamily])).toThrow(message);
      expect(() => renderOpenMetrics([mutate(good()) as ExpositionFamily])).toThrow(message);
    });
  }

  it('rejects a second family with the same name', () => {
    expect(() => renderPrometheus([good(), good()])).toThrow(
      /metric name not used by an earlier family for families\[1\]\.name/,
    );
  });

  it('rejects a non-array family list', () => {
    expect(() => renderPrometheus({} as unknown as ExpositionFamily[])).toThrow(TypeError);
  });
});

// Label values with everything that needs escaping, plus unicode.
const labelValueArb = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'Z', '"', '\\', '\n', ' ', ',', '}', '=', 'é', '☃', '𝄞', 'n') }),
  fc.string({ unit: 'grapheme' }),
);

interface HistCase {
  labelNames: string[];
  bounds: number[];
  series: { labelValues: string[]; buckets: number[]; sum: number }[];
  help: string;
}

const histCaseArb: fc.Arbitrary<HistCase> = fc
  .record({
    labelNames: fc
      .uniqueArray(fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/), { maxLength: 3 })
      .filter((ls) => !ls.includes('le')),
    bounds: fc
      .uniqueArray(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), {
        minLength: 0,
        maxLength: 12,
      })
      .map((bs) => bs.filter((b) => !Object.is(b, -0)).sort((a, b) => a - b)),
    help: fc.string({ unit: fc.constantFrom('h', '\\', '\n', '"', ' ', 'é') }),
  })
  .chain(({ labelNames, bounds, help }) =>
    fc.record({
      labelNames: fc.constant(labelNames),
      bounds: fc.constant(bounds),
      help: fc.constant(help),
      series: fc.uniqueArray(
        fc.record({
          labelValues: fc.array(labelValueArb, { minLength: labelNames.length, maxLength: labelNames.length }),
          buckets: fc.array(fc.nat(1000), { minLength: bounds.length + 1, maxLength: bounds.length + 1 }),
          sum: fc.double({ noNaN: true }),
        }),
        { maxLength: 5, selector: (s) => JSON.stringify(s.labelValues) },
      ),
    }),
  );

function checkRoundTrip(c: HistCase, openMetrics: boolean): void {
  const family: ExpositionFamily = { name: 'h_seconds', type: 'histogram', ...c };
  const text = openMetrics ? renderOpenMetrics([family]) : renderPrometheus([family]);
  const parsed = parseExposition(text, openMetrics);
  expect(parsed.families).toHaveLength(1);
  const [fam] = parsed.families;
  expect(fam.help).toBe(c.help);
  expect(fam.type).toBe('histogram');
  const perSeries = 1 + c.bounds.length + 1 + 1 - (openMetrics && c.bounds[0] < 0 ? 1 : 0);
  expect(fam.samples).toHaveLength(c.series.length * perSeries);
  let at = 0;
  for (const s of c.series) {
    const samples = fam.samples.slice(at, at + perSeries);
    at += perSeries;
    const expectedLabels = Object.fromEntries(c.labelNames.map((n, i) => [n, s.labelValues[i]]));
    let cumulative = 0;
    c.bounds.forEach((bound, i) => {
      cumulative += s.buckets[i];
      expect(samples[i].name).toBe('h_seconds_bucket');
      expect(samples[i].labels).toEqual({ ...expectedLabels, le: samples[i].labels.le });
      expect(Number(samples[i].labels.le)).toBe(bound);
      expect(samples[i].value).toBe(cumulative);
    });
    const count = cumulative + s.buckets[c.bounds.length];
    const inf = samples[c.bounds.length];
    expect(inf.labels).toEqual({ ...expectedLabels, le: '+Inf' });
    expect(inf.value).toBe(count);
    const tail = samples.slice(c.bounds.length + 1);
    const sumSample = tail.find((x) => x.name === 'h_seconds_sum');
    const countSample = tail.find((x) => x.name === 'h_seconds_count');
    expect(countSample?.value).toBe(count);
    expect(countSample?.labels).toEqual(expectedLabels);
    if (openMetrics && c.bounds[0] < 0) expect(sumSample).toBeUndefined();
    else expect(sumSample?.value).toBe(s.sum === 0 ? 0 : s.sum); // -0 prints as 0, as in prom-client
  }
}

describe('properties', () => {
  it('random histograms read back with cumulative buckets, +Inf == _count and the original labels (0.0.4)', () => {
    fc.assert(
      fc.property(histCaseArb, (c) => checkRoundTrip(c, false)),
      { numRuns: 300 },
    );
  });

  it('random histograms read back the same way in OpenMetrics', () => {
    fc.assert(
      fc.property(histCaseArb, (c) => checkRoundTrip(c, true)),
      { numRuns: 300 },
    );
  });

  it('random observations render the same samples as prom-client does for them', async () => {
    const bucketsArb = fc
      .uniqueArray(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 8 })
      .map((bs) => bs.filter((b) => !Object.is(b, -0)).sort((a, b) => a - b))
      .filter((bs) => bs.length > 0);
    const obsArb = fc.array(
      fc.record({
        route: fc.constantFrom('/', '/a"b', 'c\\d', 'new\nline', '☃'),
        code: fc.constantFrom('200', '500'),
        value: fc.double({ min: -150, max: 150, noNaN: true }),
      }),
      { maxLength: 60 },
    );
    await fc.assert(
      fc.asyncProperty(bucketsArb, obsArb, async (bounds, observations) => {
        const registry = new Registry();
        const help = 'Latency with a \\ and a\nnewline';
        const ref = new Histogram({
          name: 'lat',
          help,
          labelNames: ['route', 'code'],
          buckets: bounds,
          registers: [registry],
        });
        // The plain JS oracle: per label set, per-bucket counts and a running sum.
        const oracle = new Map<string, { labelValues: string[]; buckets: number[]; sum: number; count: number }>();
        for (const { route, code, value } of observations) {
          ref.observe({ route, code }, value);
          const key = JSON.stringify([route, code]);
          let s = oracle.get(key);
          if (!s)
            oracle.set(
              key,
              (s = {
                labelValues: [route, code],
                buckets: new Array<number>(bounds.length + 1).fill(0),
                sum: 0,
                count: 0,
              }),
            );
          const i = bounds.findIndex((b) => value <= b);
          s.buckets[i < 0 ? bounds.length : i]++;
          s.sum += value;
          s.count++;
        }
        const ours = renderPrometheus([
          { name: 'lat', help, type: 'histogram', labelNames: ['route', 'code'], bounds, series: oracle.values() },
        ]);
        const theirs = await registry.metrics();
        const normalise = (text: string) => {
          const [fam] = parseExposition(text).families;
          const key = (x: Sample) => `${x.name} ${seriesKey(x.labels)} ${x.labels.le ?? ''}`;
          return { help: fam.help, type: fam.type, samples: new Map(fam.samples.map((x) => [key(x), x.value])) };
        };
        expect(normalise(ours)).toEqual(normalise(theirs));
      }),
      { numRuns: 150 },
    );
  });
});

describe('number and buffer edge cases', () => {
  const gaugeLine = (value: number) =>
    renderPrometheus([
      { name: 'g', help: 'h', type: 'gauge', labelNames: [], series: [{ labelValues: [], value }] },
    ]).split('\n')[2];

  it('prints every double the way JavaScript does, with Prometheus spellings for NaN and infinities', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.maxSafeNat()), (v) => {
        const expected = Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v);
        expect(gaugeLine(v)).toBe(`g ${expected}`);
      }),
      { numRuns: 2000 },
    );
    expect(gaugeLine(-0)).toBe('g 0');
    expect(gaugeLine(2 ** 53)).toBe('g 9007199254740992');
    expect(gaugeLine(1e21)).toBe('g 1e+21');
  });

  it('grows past its first buffer and keeps non-ASCII text intact, render after render', () => {
    const family = (tag: string): ExpositionFamily =>
      latency(
        Array.from({ length: 3000 }, (_, i) => ({
          labelValues: [`/r${i}${i % 7 === 0 ? tag : ''}`, 'GET'],
          buckets: [i, 1, 2],
          count: i + 3,
          sum: i / 3,
        })),
      );
    for (const tag of ['', '☃𝄞é', '', 'plain']) {
      const text = renderPrometheus([family(tag)]);
      expect(text.length).toBeGreaterThan(1 << 17);
      const parsed = parseExposition(text);
      const samples = parsed.families[0].samples;
      expect(samples).toHaveLength(3000 * 5);
      expect(samples[5 * 7].labels.route).toBe(`/r7${tag}`);
      expect(samples[5 * 2999 + 4]).toMatchObject({ name: 'http_request_duration_seconds_count', value: 3002 });
    }
  });
});
