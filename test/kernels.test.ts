// The kernel registry seen from JavaScript: listing, forcing per map and per
// process, errors for unknown/unsupported names, and the AES family's
// promise that aes, vaes and aes-portable are bit-identical.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { cpu, hash, hashBatch, kernels, U64Map } from '../src/index';
import { supportedPairs } from './helpers';

const builtEntry = path.join(__dirname, '..', 'dist', 'src', 'index.js');

function inChild(env: Record<string, string>, code: string): string {
  return execFileSync(process.execPath, ['-e', code], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

describe('kernels()', () => {
  it('lists every match and hash kernel with support and exactly one active of each kind', () => {
    const list = kernels();
    const names = (kind: string) => list.filter((k) => k.kind === kind).map((k) => k.name);
    if (cpu().arch === 'x64') {
      expect(names('match')).toEqual(['scalar', 'swar', 'sse2', 'avx2', 'avx512']);
      expect(names('hash')).toEqual(['aes', 'vaes', 'aes-portable', 'fold']);
    }
    for (const kind of ['match', 'hash']) {
      expect(list.filter((k) => k.kind === kind && k.active)).toHaveLength(1);
    }
    for (const k of list) {
      if (k.active) expect(k.supported).toBe(true);
      if (k.needs === '') expect(k.supported).toBe(true);
    }
    const f = cpu().features;
    const byName = Object.fromEntries(list.map((k) => [k.name, k.supported]));
    if (cpu().arch === 'x64') {
      expect(byName.avx2).toBe(f.avx2 && f.os_avx);
      expect(byName.avx512).toBe(f.avx512f && f.avx512bw && f.os_avx512);
      expect(byName.aes).toBe(f.aes && f.sse4_1);
    }
  });

  it('cpu() selects the same kernels kernels() marks active', () => {
    const c = cpu();
    const active = kernels().filter((k) => k.active);
    expect(c.selected).toEqual({
      match: active.find((k) => k.kind === 'match')!.name,
      hash: active.find((k) => k.kind === 'hash')!.name,
    });
  });

  it('cpu() features agree with /proc/cpuinfo on Linux x86-64', () => {
    if (process.platform !== 'linux' || cpu().arch !== 'x64') return;
    const flags = new Set(
      fs
        .readFileSync('/proc/cpuinfo', 'utf8')
        .match(/^flags\s*:(.*)$/m)![1]
        .trim()
        .split(/\s+/),
    );
    for (const [name, present] of Object.entries(cpu().features)) {
      if (name.startsWith('os_')) continue;
      // Features needing OS state (AVX*) may be off in cpu() while the
      // silicon lists them; everything cpu() reports must be in the flags.
      if (present) expect(flags.has(name), name).toBe(true);
      if (!name.startsWith('avx') && name !== 'vaes' && name !== 'vpclmulqdq') {
        expect(present, name).toBe(flags.has(name));
      }
    }
  });
});

describe('forcing a kernel', () => {
  it.each(supportedPairs())('new U64Map($match, $hash) runs exactly those kernels', (pair) => {
    using m = new U64Map(pair);
    expect(m.stats()).toMatchObject(pair);
  });

  it('rejects a kernel this CPU cannot run, naming what it needs', () => {
    const unsupported = kernels().filter((k) => !k.supported);
    for (const k of unsupported) {
      const option = k.kind === 'match' ? { match: k.name } : { hash: k.name };
      expect(() => new U64Map(option as never)).toThrow(
        new RegExp(`Expected a ${k.kind} kernel this CPU supports .* for ${k.kind} but received '${k.name}' \\(needs `),
      );
    }
  });

  it('TOPHASH_FORCE_MATCH / TOPHASH_FORCE_HASH force kernels process-wide', () => {
    const out = inChild(
      { TOPHASH_FORCE_MATCH: 'swar', TOPHASH_FORCE_HASH: 'aes-portable' },
      `const t = require(${JSON.stringify(builtEntry)});
       const m = new t.U64Map(); m.set(1, 2);
       const s = m.stats();
       console.log(JSON.stringify([s.match, s.hash, t.cpu().selected, t.kernels().filter(k => k.active).map(k => k.name)]));`,
    );
    expect(JSON.parse(out)).toEqual([
      'swar',
      'aes-portable',
      { match: 'swar', hash: 'aes-portable' },
      ['swar', 'aes-portable'],
    ]);
  });

  it('on a simulated SSE2-only CPU picks sse2 + fold and still works (TOPHASH_CPU_MASK)', () => {
    if (cpu().arch !== 'x64') return;
    const out = inChild(
      { TOPHASH_CPU_MASK: '0x1' },
      `const t = require(${JSON.stringify(builtEntry)});
       const m = new t.U64Map();
       m.setBatch(new Float64Array([1, 2, 3]), new Float64Array([4, 5, 6]));
       const s = m.stats();
       console.log(JSON.stringify([s.match, s.hash, m.get(2), t.kernels().filter(k => k.supported).map(k => k.name)]));`,
    );
    expect(JSON.parse(out)).toEqual(['sse2', 'fold', 5, ['scalar', 'swar', 'sse2', 'aes-portable', 'fold']]);
  });

  it('an unknown forced name is a clear error at map creation, not a crash', () => {
    const out = inChild(
      { TOPHASH_FORCE_MATCH: 'avx9000' },
      `const t = require(${JSON.stringify(builtEntry)});
       try { new t.U64Map(); console.log('no error'); } catch (e) { console.log(e.name + ': ' + e.message); }
       console.log(new t.U64Map({ match: 'scalar' }).stats().match);`,
    );
    expect(out).toBe(
      "RangeError: Expected one of scalar, swar, sse2, avx2, avx512 for TOPHASH_FORCE_MATCH but received 'avx9000'\nscalar",
    );
  });
});

describe('hash()', () => {
  it('matches golden vectors (a change here changes every map layout)', () => {
    expect(hash('', { seed: 0n, family: 'aes' })).toBe(12952767919081770608n);
    expect(hash('a', { seed: 0n, family: 'aes' })).toBe(8625111927896371698n);
    expect(hash('tophash', { seed: 1n, family: 'aes' })).toBe(11859535408503509048n);
    expect(hash('0123456789abcdef0123', { seed: 42n, family: 'aes' })).toBe(9182058310589015487n);
    expect(hash('', { seed: 0n, family: 'fold' })).toBe(583916424806960859n);
    expect(hash('tophash', { seed: 1n, family: 'fold' })).toBe(10477725117661270053n);
    expect(Array.from(hashBatch(new BigUint64Array([0n, 1n, 2n ** 64n - 1n]), { seed: 7n, family: 'aes' }))).toEqual([
      16768150613911970629n,
      11374755916360155714n,
      3379419777761846905n,
    ]);
  });

  it('gives each seed its own result when calls alternate between seeds', () => {
    // The binding keeps the last expanded seed: a stale one would repeat the first result.
    const one = hash('tophash', { seed: 1n, family: 'aes' });
    const two = hash('tophash', { seed: 2n, family: 'aes' });
    expect(two).not.toBe(one);
    for (let i = 0; i < 4; i++) {
      expect(hash('tophash', { seed: 1n, family: 'aes' })).toBe(one);
      expect(hash('tophash', { seed: 2n, family: 'aes' })).toBe(two);
      expect(hashBatch(new BigUint64Array([5n]), { seed: BigInt(i % 2) + 1n, family: 'aes' })[0]).toBe(
        hash(new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0]), { seed: BigInt(i % 2) + 1n, family: 'aes' }),
      );
    }
  });

  it('aes, vaes and aes-portable agree bit for bit on every length 0..256', () => {
    const aesKernels = kernels().filter((k) => k.kind === 'hash' && k.supported && k.name.includes('aes'));
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 256 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (data, seed) => {
          const results = aesKernels.map((k) => hash(data, { seed, kernel: k.name as never }));
          expect(new Set(results).size).toBe(1);
        },
      ),
      { numRuns: 500 },
    );
    for (let len = 0; len <= 256; len++) {
      const data = Uint8Array.from({ length: len }, (_, i) => (i * 131 + len) & 0xff);
      const results = aesKernels.map((k) => hash(data, { seed: BigInt(len), kernel: k.name as never }));
      expect(new Set(results).size, `length ${len}`).toBe(1);
    }
  });

  it('hashBatch of u64 keys equals hash() of their 8 little-endian bytes, per kernel', () => {
    const keys = BigUint64Array.from([0n, 1n, 255n, 2n ** 53n, 2n ** 64n - 1n, 0x0123456789abcdefn]);
    for (const k of kernels().filter((k) => k.kind === 'hash' && k.supported)) {
      const batch = hashBatch(keys, { seed: 99n, kernel: k.name as never });
      keys.forEach((key, i) => {
        const bytes = new Uint8Array(new BigUint64Array([key]).buffer);
        expect(batch[i], `${k.name} key ${key}`).toBe(hash(bytes, { seed: 99n, kernel: k.name as never }));
      });
    }
  });

  it('depends on the seed', () => {
    expect(hash('x', { seed: 1n })).not.toBe(hash('x', { seed: 2n }));
  });
});
