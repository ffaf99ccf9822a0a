// W6 — SIMD vs scalar: W1's batched u64 lookups (getBatch over a BigUint64Array,
// N hits in shuffled order, N misses) with every supported match kernel forced
// in turn (hash = the default), then every supported hash kernel (match = the
// default). Each map is created with new U64Map({ match | hash, seed }) and its
// stats() must name the forced kernel.
import { kernels, U64Map, type HashKernelName, type MatchKernelName } from '../../src/index';
import { check, measure, planFor, type Measurement } from '../harness';
import { makeKeySet, releaseKeyCache, type KeySet } from '../keys';
import { fmtMops, fmtN, fmtNs, fmtRatio, mdTable } from '../report';
import { pickSizes, type BenchContext, type Workload, type WorkloadResult } from './types';

/** Fixed hash seed, so every map with the same hash family has the same layout. */
const SEED = 0x2545f4914f6cdd1dn;

interface Variant {
  forced: 'match' | 'hash';
  match: string;
  hash: string;
}

interface VariantResult extends Variant {
  hit: Measurement;
  miss: Measurement;
  overflowBuckets: number;
  B: number;
}

function sumOf(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function listVariants(): { variants: Variant[]; defaults: { match: string; hash: string }; unsupported: string[] } {
  const ks = kernels();
  const def = (kind: 'match' | 'hash'): string => {
    const k = ks.find((x) => x.kind === kind && x.active);
    if (k === undefined) throw new Error(`W6: kernels() names no active ${kind} kernel`);
    return k.name;
  };
  const defaults = { match: def('match'), hash: def('hash') };
  const variants: Variant[] = [];
  for (const k of ks) {
    if (!k.supported) continue;
    if (k.kind === 'match') variants.push({ forced: 'match', match: k.name, hash: defaults.hash });
    else variants.push({ forced: 'hash', match: defaults.match, hash: k.name });
  }
  const unsupported = ks.filter((k) => !k.supported).map((k) => `${k.kind} ${k.name} (needs ${k.needs})`);
  return { variants, defaults, unsupported };
}

function runVariant(v: Variant, ks: KeySet, out: Float64Array, ctx: BenchContext): VariantResult {
  const n = ks.n;
  const plan = planFor(n);
  const label = `W6 N=${fmtN(n)} ${v.forced}=${v.forced === 'match' ? v.match : v.hash}`;
  const m =
    v.forced === 'match'
      ? new U64Map({ match: v.match as MatchKernelName, seed: SEED })
      : new U64Map({ hash: v.hash as HashKernelName, seed: SEED });
  try {
    m.setBatch(ks.present, ks.values);
    const st = m.stats();
    check(st.match === v.match, `${label} stats().match`, st.match, v.match);
    check(st.hash === v.hash, `${label} stats().hash`, st.hash, v.hash);
    check(st.size === n, `${label} size`, st.size, n);

    let acc = 0;
    ctx.progress.step(`${label} hit`);
    const hit = measure({
      name: `${label} hit`,
      n,
      plan,
      before: () => {
        acc = 0;
        out.fill(0);
      },
      run: () => {
        for (let r = 0; r < plan.reps; r++) acc += m.getBatch(ks.hit, out);
      },
      after: () => {
        check(acc === plan.reps * n, `${label} hits`, acc, plan.reps * n);
        const s = sumOf(out);
        check(s === ks.hitSum, `${label} sum of values`, s, ks.hitSum);
      },
    });
    ctx.progress.step(`${label} miss`);
    const miss = measure({
      name: `${label} miss`,
      n,
      plan,
      before: () => {
        acc = 0;
      },
      run: () => {
        for (let r = 0; r < plan.reps; r++) acc += m.getBatch(ks.absent, out);
      },
      after: () => {
        check(acc === 0, `${label} hits among absent keys`, acc, 0);
      },
    });
    return { ...v, hit, miss, overflowBuckets: st.overflowBuckets, B: st.B };
  } finally {
    m.close();
  }
}

interface SizeResult {
  n: number;
  reps: number;
  samples: number;
  variants: VariantResult[];
}

function render(defaults: { match: string; hash: string }, unsupported: string[], sizes: SizeResult[]): string {
  const lines: string[] = [];
  lines.push('## W6 — SIMD vs scalar kernels (batched u64 lookups)');
  lines.push('');
  lines.push(
    `\`getBatch\` over a BigUint64Array (W1 keys: hits in shuffled order, misses), one map per kernel, fixed seed. ` +
      `Defaults on this CPU: match \`${defaults.match}\`, hash \`${defaults.hash}\`; a forced match kernel runs with hash ` +
      `\`${defaults.hash}\`, a forced hash kernel with match \`${defaults.match}\`. "vs scalar" = ns of the \`scalar\` match ` +
      `kernel / ns of the row; "vs aes-portable" (hash rows) = ns of the portable AES twin / ns of the row (> 1× = faster).` +
      (unsupported.length > 0 ? ` Not supported here: ${unsupported.join(', ')}.` : ''),
  );
  for (const s of sizes) {
    const scalar = s.variants.find((v) => v.forced === 'match' && v.match === 'scalar');
    const portable = s.variants.find((v) => v.forced === 'hash' && v.hash === 'aes-portable');
    const rows = s.variants.map((v) => {
      const name = v.forced === 'match' ? v.match : v.hash;
      const isDefault = v.forced === 'match' ? name === defaults.match : name === defaults.hash;
      const vsScalar = (op: 'hit' | 'miss'): string =>
        scalar === undefined ? '—' : fmtRatio(scalar[op].medianNs / v[op].medianNs);
      const vsPortable = (op: 'hit' | 'miss'): string =>
        v.forced !== 'hash' || portable === undefined ? '' : fmtRatio(portable[op].medianNs / v[op].medianNs);
      return [
        v.forced,
        `${name}${isDefault ? ' (default)' : ''}`,
        fmtNs(v.hit.medianNs),
        fmtMops(v.hit.medianNs),
        vsScalar('hit'),
        vsPortable('hit'),
        fmtNs(v.miss.medianNs),
        fmtMops(v.miss.medianNs),
        vsScalar('miss'),
        vsPortable('miss'),
      ];
    });
    lines.push('');
    lines.push(`N = ${fmtN(s.n)} (${s.samples} samples × ${s.reps} pass${s.reps > 1 ? 'es' : ''}):`);
    lines.push('');
    lines.push(
      mdTable(
        [
          { title: 'forced', align: 'left' },
          { title: 'kernel', align: 'left' },
          'hit ns/key',
          'Mkeys/s',
          'vs scalar',
          'vs aes-portable',
          'miss ns/key',
          'Mkeys/s',
          'vs scalar',
          'vs aes-portable',
        ],
        rows,
      ),
    );
  }
  return lines.join('\n');
}

export const w6: Workload = {
  id: 'W6',
  title: 'SIMD vs scalar kernels',
  sizes: (ctx) => pickSizes(ctx, [1e5, 1e6], [1e4]),
  steps: (ctx) => w6.sizes(ctx).length * listVariants().variants.length * 2,
  run(ctx: BenchContext): WorkloadResult {
    const { variants, defaults, unsupported } = listVariants();
    const sizes: SizeResult[] = [];
    for (const n of [...w6.sizes(ctx)].sort((a, b) => a - b)) {
      const ks = makeKeySet(n);
      const out = new Float64Array(n);
      const plan = planFor(n);
      const results = variants.map((v) => runVariant(v, ks, out, ctx));
      sizes.push({ n, reps: plan.reps, samples: plan.samples, variants: results });
    }
    releaseKeyCache();
    return {
      markdown: render(defaults, unsupported, sizes),
      data: { seed: SEED.toString(), defaults, unsupported, sizes },
    };
  },
};
