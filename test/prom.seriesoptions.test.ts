// Hostile maxSeries and ttl: every class rejects them at construction, naming
// the option in the project's "Expected X for Y but received Z" form, before
// anything is registered.
import * as client from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

import { Counter, Gauge, Histogram, Registry } from '../src/prom';

afterEach(() => {
  client.register.clear();
});

const CLASSES = { Histogram, Counter, Gauge } as const;

const MAX_SERIES = 'an integer in [1, 2^31]';
const TTL = 'a positive integer (ms)';

const CASES: [
  option: 'maxSeries' | 'ttl',
  value: unknown,
  error: typeof RangeError | typeof TypeError,
  received: string,
][] = [
  ['maxSeries', -1, RangeError, '-1'],
  ['maxSeries', 0, RangeError, '0'],
  ['maxSeries', 2.5, RangeError, '2.5'],
  ['maxSeries', NaN, RangeError, 'NaN'],
  ['maxSeries', Infinity, RangeError, 'Infinity'],
  ['maxSeries', 2 ** 31 + 1, RangeError, '2147483649'],
  ['maxSeries', '10', TypeError, "string '10'"],
  ['maxSeries', null, TypeError, 'null'],
  ['ttl', -1000, RangeError, '-1000'],
  ['ttl', 0, RangeError, '0'],
  ['ttl', 0.5, RangeError, '0.5'],
  ['ttl', NaN, RangeError, 'NaN'],
  ['ttl', -Infinity, RangeError, '-Infinity'],
  ['ttl', 10n, TypeError, '10n'],
  ['ttl', {}, TypeError, 'an object'],
];

describe('hostile maxSeries and ttl', () => {
  for (const [className, Metric] of Object.entries(CLASSES)) {
    for (const [option, value, ErrorClass, received] of CASES) {
      it(`${className} rejects ${option}: ${received}`, () => {
        const registry = new Registry();
        const config = { name: 'm', help: 'm', labelNames: ['k'], registers: [registry], [option]: value };
        const expected = option === 'maxSeries' ? MAX_SERIES : TTL;
        expect(() => new Metric(config as never)).toThrow(
          `Expected ${expected} for config.${option} but received ${received}`,
        );
        expect(() => new Metric(config as never)).toThrow(ErrorClass);
        expect(registry.getMetricsAsArray()).toHaveLength(0);
      });
    }
  }

  it('takes the largest values', () => {
    expect(() => new Counter({ name: 'a', help: 'a', maxSeries: 2 ** 31, ttl: Number.MAX_SAFE_INTEGER })).not.toThrow();
  });
});
