// Node-style argument errors: every TypeError/RangeError the library raises for a bad argument
// carries err.code as Node's own APIs do, unknown option and label names are refused with the
// closest valid name, and the messages say what a value alone would not (a key's length, whose
// dependency prom-client is).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import * as client from 'prom-client';
import { describe, expect, it } from 'vitest';

import { Aggregator, BpfMap, MAX_KEY_BYTES, StrMap, U64Map } from '../src/index';
import * as prom from '../src/prom';
import { closestName } from '../src/runtime/option-names';

function thrown(f: () => unknown): Error & { code?: unknown } {
  try {
    f();
  } catch (err) {
    return err as Error & { code?: unknown };
  }
  throw new Error('expected the call to throw');
}

describe('err.code on argument errors', () => {
  it.each([
    [
      'a wrong type (TypeScript side)',
      () => new U64Map({ capacity: '10' as never }),
      TypeError,
      'ERR_INVALID_ARG_TYPE',
    ],
    ['a number out of range (TypeScript side)', () => new U64Map({ capacity: -1 }), RangeError, 'ERR_OUT_OF_RANGE'],
    [
      'a bad value (TypeScript side)',
      () => new Aggregator({ key: 'u64', onFull: 'evict' as never }),
      RangeError,
      'ERR_INVALID_ARG_VALUE',
    ],
    ['a wrong type (native side)', () => new U64Map().set(1, 'x' as never), TypeError, 'ERR_INVALID_ARG_TYPE'],
    ['a key out of range (native side)', () => new U64Map().get(-1), RangeError, 'ERR_OUT_OF_RANGE'],
    [
      'an unknown kernel (native side)',
      () => new U64Map({ match: 'sse9' as never }),
      RangeError,
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'mismatched lengths (native side)',
      () => new U64Map().setBatch(new Float64Array(2), new Float64Array(1)),
      RangeError,
      undefined,
    ],
    ['a foreign receiver', () => U64Map.prototype.has.call({}, 1), TypeError, 'ERR_INVALID_THIS'],
  ] as const)('%s', (_name, call, type, code) => {
    const err = thrown(call);
    expect(err).toBeInstanceOf(type);
    if (code === undefined) expect(['ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_VALUE']).toContain(err.code);
    else expect(err.code).toBe(code);
    // Own and enumerable, as on Node's own errors.
    expect(Object.keys(err)).toContain('code');
  });
});

describe('unknown option names', () => {
  it.each([
    ['U64Map', () => new U64Map({ capasity: 10 } as never), 'capacity'],
    ['StrMap', () => new StrMap({ sead: 1 } as never), 'seed'],
    [
      'BpfMap',
      () => new BpfMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8, keysize: 4 } as never),
      'keySize',
    ],
    ['Aggregator', () => new Aggregator({ key: 'u64', maxEntires: 10 } as never), 'maxEntries'],
    ['Aggregator shared', () => new Aggregator({ key: 'u64', shared: { name: 'x', shard: 2 } } as never), 'shards'],
    [
      'Aggregator.attach',
      () => Aggregator.attach(new Aggregator({ key: 'u64', offload: true }).share(), { ringsize: 64 } as never),
      'ringSize',
    ],
    [
      'tophash/prom Histogram',
      () => new prom.Histogram({ name: 'h_opt', help: 'h', bucket: [1], registers: [] } as never),
      'buckets',
    ],
    [
      'tophash/prom Counter',
      () => new prom.Counter({ name: 'c_opt', help: 'c', labelnames: ['a'], registers: [] } as never),
      'labelNames',
    ],
    ['tophash/prom Gauge', () => new prom.Gauge({ name: 'g_opt', help: 'g', registres: [] } as never), 'registers'],
  ])('%s suggests the closest name', (_name, call, guess) => {
    const err = thrown(call);
    expect(err).toBeInstanceOf(RangeError);
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(err.message).toMatch(new RegExp(`did you mean '${guess}'\\?$`));
  });

  it('names no guess when nothing is close, and lists the valid names', () => {
    const err = thrown(() => new U64Map({ zzzzzzzz: 1 } as never));
    expect(err.message).toBe(
      "Expected one of 'capacity', 'seed', 'match', 'hash', 'hugePages' for an option name in options but received 'zzzzzzzz'",
    );
  });

  it('accepts every option prom-client documents for its metrics', () => {
    const registry = new client.Registry();
    const h = new prom.Histogram({
      name: 'accepts_h',
      help: 'h',
      labelNames: ['a'],
      buckets: [1],
      registers: [registry],
      aggregator: 'sum',
      collect() {},
      enableExemplars: false,
    });
    expect(h.name).toBe('accepts_h');
  });

  it('closestName: typos within a third of the length, case-insensitive', () => {
    expect(closestName('capasity', ['capacity', 'seed'])).toBe('capacity');
    expect(closestName('MAXENTRIES', ['maxEntries', 'match'])).toBe('maxEntries');
    expect(closestName('q', ['capacity', 'seed'])).toBeUndefined();
  });
});

describe('label names outside options.key.labels', () => {
  const agg = () => new Aggregator({ key: { labels: ['route', 'method'] } });

  it.each([
    ['record', (a: Aggregator) => a.record({ route: '/a', verb: 'GET' }, 1)],
    ['handle', (a: Aggregator) => a.handle({ route: '/a', mehtod: 'GET' })],
  ])('%s refuses them, naming the label and the closest valid one', (_name, call) => {
    const a = agg();
    const err = thrown(() => call(a));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE');
    expect(err.message).toMatch(
      /^Expected only the labels 'route', 'method' for key but received the label '(verb|mehtod)'/,
    );
    a.flush();
    expect(a.size).toBe(0);
    a.close();
  });

  it('a missing label is still the empty value, as in prom-client', () => {
    const a = agg();
    a.record({ route: '/a' }, 1);
    expect(a.get({ route: '/a', method: '' })?.count).toBe(1);
    a.close();
  });
});

describe('messages that say what the value alone does not', () => {
  it.each([
    ['StrMap#set, ASCII', () => new StrMap().set('x'.repeat(MAX_KEY_BYTES + 1), 1), MAX_KEY_BYTES + 1],
    [
      'StrMap#set, 3-byte characters',
      () => new StrMap().set('€'.repeat(MAX_KEY_BYTES / 2), 1),
      (MAX_KEY_BYTES / 2) * 3,
    ],
    ['StrMap#getBatch', () => new StrMap().getBatch(['a', 'x'.repeat(70000)], new Float64Array(2)), 70000],
    ['Aggregator#record', () => new Aggregator({ key: 'string' }).record('x'.repeat(70000), 1), 70000],
  ])('an oversized key gives its length: %s', (_name, call, bytes) => {
    const err = thrown(call);
    expect(err).toBeInstanceOf(RangeError);
    expect(err.code).toBe('ERR_OUT_OF_RANGE');
    expect(err.message).toContain(`at most ${MAX_KEY_BYTES} bytes`);
    expect(err.message).toContain(`a key of ${bytes} bytes`);
  });

  it('a missing prom-client says it is an optional peer dependency', () => {
    const entry = path.join(__dirname, '..', 'dist', 'src', 'prom.js');
    // Resolution of prom-client fails as it would in a project that never installed it.
    const script = `
      const Module = require('node:module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === 'prom-client') throw Object.assign(new Error("Cannot find module 'prom-client'"), { code: 'MODULE_NOT_FOUND' });
        return resolve.call(this, request, ...rest);
      };
      try { require(${JSON.stringify(entry)}); } catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })); }`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    const out = JSON.parse(run.stdout) as { code: string; message: string };
    expect(out.code).toBe('MODULE_NOT_FOUND');
    expect(out.message).toMatch(/optional peer dependency of tophash.*npm install prom-client/);
  });
});
