// W4 — hashing in Node: @node-rs/xxhash (xxh3.xxh64, xxh64) and xxhash-wasm (h64Raw = XXH64,
// h32Raw as an extra) against tophash's hash() with each supported hash kernel forced, on
// inputs of 8 B, 16 B, 64 B, 1 KiB and 1 MiB of splitmix64(42) bytes: ns/call and GB/s,
// each sample calibrated to >= 60 ms of calls, median of 5. Also: a 16-char JS string input,
// tophash hashBatch over u64 keys (ns/key) as the batched row, hashBatch over 16-byte keys
// ({ bytes, keySize: 16 } and { bytes, offsets }, 1e5 and 1e6 keys) against @node-rs/xxhash
// called once per key on the same keys (target: 20x), and node:crypto sha1 on
// 1 MiB as a sanity reference. Ratios are against @node-rs/xxhash xxh64 from the same run.
import { createHash } from 'node:crypto';
import { xxh3, xxh64 } from '@node-rs/xxhash';
import xxhashWasm from 'xxhash-wasm';
import { hash, hashBatch, kernels } from '../../src/index';
import { check, measure, type Measurement } from '../harness';
import { KEY_SEED, splitmix64Array } from '../keys';
import { fmtNs, mdTable } from '../report';
import type { BenchContext, Workload, WorkloadResult } from './types';

const SIZES = [8, 16, 64, 1024, 1 << 20];
const BATCH_KEYS = 10_000;
const KEY16_COUNTS = [100_000, 1_000_000];
const KEY16_SHAPES = ['keySize', 'offsets'] as const;
const STRING_INPUT = 'user:12345678901'; // 16 chars
const BASELINE = 'xxh64';

type Input = Uint8Array | string;

interface Subject {
  id: string;
  label: string;
  fn: (input: Input) => unknown;
}

/**
 * A loop of k calls of fn, compiled as its own function so each subject gets its own
 * type feedback (a monomorphic, inlinable call site) instead of sharing one megamorphic loop.
 */
function makeLoop(fn: (input: Input) => unknown): (input: Input, k: number) => unknown {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function(
    'fn',
    'return function loop(input, k) { let r; for (let i = 0; i < k; i++) r = fn(input); return r; };',
  ) as (f: typeof fn) => (input: Input, k: number) => unknown;
  return make(fn);
}

interface Timing {
  /** Calls per sample (calibrated). */
  calls: number;
  m: Measurement;
}

/** Calibrates the calls per sample to >= targetMs, then measures (median of `samples`, +1 warm-up). */
function timeCalls(
  name: string,
  loop: (input: Input, k: number) => unknown,
  input: Input,
  targetMs: number,
  samples: number,
  want: unknown,
): Timing {
  let k = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    loop(input, k);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= targetMs) break;
    k = Math.ceil(k * Math.min(100, Math.max(2, (targetMs / Math.max(ms, 1e-3)) * 1.2)));
  }
  let last: unknown;
  const m = measure({
    name,
    n: k,
    plan: { reps: 1, samples, warmup: 1 },
    run: () => {
      last = loop(input, k);
    },
    after: () => check(last === want, `${name} result`, last, want),
  });
  return { calls: k, m };
}

function gbps(bytes: number, ns: number): string {
  const g = bytes / ns;
  if (!Number.isFinite(g)) return '—';
  return g < 0.1 ? g.toFixed(3) : g < 10 ? g.toFixed(2) : g.toFixed(1);
}

function fmtSize(b: number): string {
  return b >= 1 << 20 ? `${b / (1 << 20)} MiB` : b >= 1024 ? `${b / 1024} KiB` : `${b} B`;
}

function ratioCell(base: number | undefined, ns: number): string {
  if (base === undefined) return '—';
  const r = base / ns;
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

interface Row {
  input: string;
  bytes: number;
  id: string;
  label: string;
  calls: number;
  medianNs: number;
  samplesNs: number[];
}

export const w4: Workload = {
  id: 'W4',
  title: 'hashing: tophash hash() vs @node-rs/xxhash and xxhash-wasm',
  sizes: () => SIZES,
  steps: () => {
    const hashKernels = kernels().filter((k) => k.kind === 'hash' && k.supported).length;
    // per size: 4 xxhash + kernels; string: 3 + kernels; batch: kernels; sha1: 1;
    // 16-byte keys: 2 per-call xxhash + kernels x shapes x counts
    return (
      SIZES.length * (4 + hashKernels) +
      (3 + hashKernels) +
      hashKernels +
      1 +
      2 +
      hashKernels * KEY16_SHAPES.length * KEY16_COUNTS.length
    );
  },
  async run(ctx: BenchContext): Promise<WorkloadResult> {
    const wasm = await xxhashWasm();
    const targetMs = ctx.quick ? 5 : 60;
    const samples = ctx.quick ? 3 : 5;
    const hashKernels = kernels()
      .filter((k) => k.kind === 'hash' && k.supported)
      .map((k) => k.name);

    // Known-answer checks before anything is timed.
    const abc = new Uint8Array([97, 98, 99]);
    check(xxh64(abc) === 0x44bc2cf5ad770999n, 'W4 @node-rs/xxhash xxh64("abc")', xxh64(abc), 0x44bc2cf5ad770999n);
    check(
      wasm.h64Raw(abc) === 0x44bc2cf5ad770999n,
      'W4 xxhash-wasm h64Raw("abc")',
      wasm.h64Raw(abc),
      0x44bc2cf5ad770999n,
    );

    const tophashSubjects: Subject[] = hashKernels.map((k) => {
      const opt = { kernel: k as never };
      return { id: `tophash-${k}`, label: `tophash hash() kernel ${k}`, fn: (b: Input) => hash(b, opt) };
    });
    const bufferSubjects: Subject[] = [
      { id: 'xxh3', label: '@node-rs/xxhash xxh3.xxh64', fn: (b) => xxh3.xxh64(b) },
      { id: 'xxh64', label: '@node-rs/xxhash xxh64', fn: (b) => xxh64(b) },
      { id: 'wasm-h64', label: 'xxhash-wasm h64Raw (XXH64)', fn: (b) => wasm.h64Raw(b as Uint8Array) },
      { id: 'wasm-h32', label: 'xxhash-wasm h32Raw (XXH32, extra)', fn: (b) => wasm.h32Raw(b as Uint8Array) },
      ...tophashSubjects,
    ];
    const stringSubjects: Subject[] = [
      { id: 'xxh3', label: '@node-rs/xxhash xxh3.xxh64(string)', fn: (s) => xxh3.xxh64(s) },
      { id: 'xxh64', label: '@node-rs/xxhash xxh64(string)', fn: (s) => xxh64(s) },
      { id: 'wasm-h64', label: 'xxhash-wasm h64(string)', fn: (s) => wasm.h64(s as string) },
      ...tophashSubjects.map((s) => ({ ...s, label: s.label.replace('hash()', 'hash(string)') })),
    ];

    const data = splitmix64Array(KEY_SEED, SIZES[SIZES.length - 1] / 8);
    const rows: Row[] = [];
    const runSubjects = (inputName: string, input: Input, bytes: number, subjects: Subject[]): void => {
      // Every implementation of one algorithm must agree: XXH64 across packages, the AES kernels with each other.
      const wantOf = new Map<string, unknown>();
      for (const s of subjects) wantOf.set(s.id, s.fn(input));
      if (wantOf.has('wasm-h64'))
        check(
          wantOf.get('wasm-h64') === wantOf.get('xxh64'),
          `W4 ${inputName}: XXH64 of xxhash-wasm vs @node-rs`,
          wantOf.get('wasm-h64'),
          wantOf.get('xxh64'),
        );
      for (const k of ['vaes', 'aes-portable']) {
        if (wantOf.has(`tophash-${k}`) && wantOf.has('tophash-aes')) {
          check(
            wantOf.get(`tophash-${k}`) === wantOf.get('tophash-aes'),
            `W4 ${inputName}: tophash ${k} vs aes`,
            wantOf.get(`tophash-${k}`),
            wantOf.get('tophash-aes'),
          );
        }
      }
      for (const s of subjects) {
        const name = `W4 ${inputName} ${s.label}`;
        ctx.progress.step(name);
        const t = timeCalls(name, makeLoop(s.fn), input, targetMs, samples, wantOf.get(s.id));
        rows.push({
          input: inputName,
          bytes,
          id: s.id,
          label: s.label,
          calls: t.calls,
          medianNs: t.m.medianNs,
          samplesNs: t.m.nsPerOp,
        });
      }
    };

    for (const size of SIZES) {
      const buf = Buffer.from(data.buffer, data.byteOffset, size);
      runSubjects(fmtSize(size), buf, size, bufferSubjects);
    }
    runSubjects('16-char string', STRING_INPUT, 16, stringSubjects);

    // node:crypto sha1 on 1 MiB, the sanity reference.
    const mib = Buffer.from(data.buffer, data.byteOffset, 1 << 20);
    const sha1 = (b: Input): unknown => createHash('sha1').update(b).digest('hex');
    ctx.progress.step('W4 1 MiB node:crypto sha1');
    const sha = timeCalls('W4 1 MiB node:crypto sha1', makeLoop(sha1), mib, targetMs, samples, sha1(mib));
    rows.push({
      input: '1 MiB',
      bytes: 1 << 20,
      id: 'sha1',
      label: 'node:crypto sha1 (reference)',
      calls: sha.calls,
      medianNs: sha.m.medianNs,
      samplesNs: sha.m.nsPerOp,
    });

    // hashBatch over u64 keys: ns per key.
    const keys = splitmix64Array(KEY_SEED, BATCH_KEYS);
    const batchRows: Row[] = [];
    let batchWant: BigUint64Array | null = null;
    for (const k of hashKernels) {
      const out = new BigUint64Array(BATCH_KEYS);
      const opt = { kernel: k as never, out };
      hashBatch(keys, opt);
      if (k !== 'fold') {
        if (batchWant === null) batchWant = out.slice();
        else
          for (let i = 0; i < BATCH_KEYS; i++)
            check(out[i] === batchWant[i], `W4 hashBatch ${k} key ${i}`, out[i], batchWant[i]);
      }
      const name = `W4 hashBatch ${BATCH_KEYS} u64 keys kernel ${k}`;
      ctx.progress.step(name);
      const want = out[BATCH_KEYS - 1];
      const loop = (_: Input, calls: number): unknown => {
        for (let i = 0; i < calls; i++) hashBatch(keys, opt);
        return out[BATCH_KEYS - 1];
      };
      const t = timeCalls(name, loop, '', targetMs, samples, want);
      const perKey = t.m.medianNs / BATCH_KEYS;
      batchRows.push({
        input: 'u64 batch',
        bytes: 8,
        id: `batch-${k}`,
        label: `tophash hashBatch kernel ${k}`,
        calls: t.calls * BATCH_KEYS,
        medianNs: perKey,
        samplesNs: t.m.nsPerOp.map((x) => x / BATCH_KEYS),
      });
    }

    const key16 = runKey16(ctx, hashKernels, targetMs, samples);

    return {
      markdown: render(rows, batchRows, key16, targetMs, samples),
      data: {
        baseline: BASELINE,
        targetMs,
        samples,
        batchKeys: BATCH_KEYS,
        rows,
        batchRows,
        key16PerCall: key16.perCall,
        key16Rows: key16.rows,
      },
    };
  },
};

interface Key16Result {
  /** @node-rs/xxhash called once per 16-byte key over the batch's keys: ns per key. */
  perCall: Row[];
  /** tophash hashBatch over the same keys, per kernel, shape and count: ns per key. */
  rows: Row[];
}

/**
 * hashBatch over 16-byte keys (target: at least 20x @node-rs/xxhash's per-call throughput).
 * Each count gets its own fresh batch of splitmix64(42) bytes, built once and reused across
 * samples, in both shapes; the per-call baselines hash the 1e5 batch's keys one call each
 * (Buffer views made up front, so the loop times the calls only).
 */
function runKey16(ctx: BenchContext, hashKernels: string[], targetMs: number, samples: number): Key16Result {
  const perCall: Row[] = [];
  const rows: Row[] = [];
  for (const count of KEY16_COUNTS) {
    const data = splitmix64Array(KEY_SEED, count * 2);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, count * 16);
    const offsets = Uint32Array.from({ length: count + 1 }, (_, i) => i * 16);
    if (perCall.length === 0) {
      const views = Array.from({ length: count }, (_, i) => Buffer.from(bytes.buffer, bytes.byteOffset + 16 * i, 16));
      for (const [id, label, fn] of [
        ['xxh64', '@node-rs/xxhash xxh64, one call per key', (b: Buffer) => xxh64(b)],
        ['xxh3', '@node-rs/xxhash xxh3.xxh64, one call per key', (b: Buffer) => xxh3.xxh64(b)],
      ] as const) {
        const name = `W4 16-byte keys ${label}`;
        ctx.progress.step(name);
        const loop = (_: Input, calls: number): unknown => {
          let r: bigint = 0n;
          for (let c = 0; c < calls; c++) for (let i = 0; i < count; i++) r = fn(views[i]);
          return r;
        };
        const t = timeCalls(name, loop, '', targetMs, samples, fn(views[count - 1]));
        perCall.push({
          input: '16-byte keys',
          bytes: 16,
          id,
          label,
          calls: t.calls * count,
          medianNs: t.m.medianNs / count,
          samplesNs: t.m.nsPerOp.map((x) => x / count),
        });
      }
    }
    // The oracle: hash() of each key on its own, for a spread of keys (all of them would take seconds).
    const probe = Array.from({ length: 64 }, (_, j) => Math.floor((j * (count - 1)) / 63));
    for (const k of hashKernels) {
      const out = new BigUint64Array(count);
      for (const shape of KEY16_SHAPES) {
        const keys = shape === 'keySize' ? { bytes, keySize: 16 } : { bytes, offsets };
        const opt = { kernel: k as never, out };
        out.fill(0n);
        hashBatch(keys, opt);
        for (const i of probe) {
          const want = hash(bytes.subarray(16 * i, 16 * i + 16), { kernel: k as never });
          check(out[i] === want, `W4 hashBatch 16-byte ${shape} ${k} key ${i}`, out[i], want);
        }
        const name = `W4 hashBatch ${count} 16-byte keys (${shape}) kernel ${k}`;
        ctx.progress.step(name);
        const want = out[count - 1];
        const loop = (_: Input, calls: number): unknown => {
          for (let c = 0; c < calls; c++) hashBatch(keys, opt);
          return out[count - 1];
        };
        const t = timeCalls(name, loop, '', targetMs, samples, want);
        rows.push({
          input: `${count.toLocaleString('en-US')} keys, ${shape === 'keySize' ? '{ bytes, keySize: 16 }' : '{ bytes, offsets }'}`,
          bytes: 16,
          id: `batch16-${shape}-${count}-${k}`,
          label: `tophash hashBatch kernel ${k}`,
          calls: t.calls * count,
          medianNs: t.m.medianNs / count,
          samplesNs: t.m.nsPerOp.map((x) => x / count),
        });
      }
    }
  }
  return { perCall, rows };
}

function render(rows: Row[], batchRows: Row[], key16: Key16Result, targetMs: number, samples: number): string {
  const lines: string[] = [];
  lines.push('## W4 — hashing: tophash hash() vs @node-rs/xxhash and xxhash-wasm');
  lines.push('');
  lines.push(
    `One call hashes one input of splitmix64(42) bytes (the same Buffer every call); samples calibrated to ≥ ${targetMs} ms of calls, median of ${samples} (+1 warm-up), gc() between samples. ` +
      '"vs xxh64" = @node-rs/xxhash xxh64 ns / row ns for the same input in this run (> 1× = faster). ' +
      'tophash rows force each supported hash kernel through `hash(data, { kernel })`; aes, vaes and aes-portable are checked to agree, as are the two XXH64s. ' +
      'Every call goes through the JS→native (or JS→wasm) boundary, so small inputs measure call overhead more than hashing.',
  );
  lines.push('');
  const table: string[][] = [];
  const inputs = [...new Set(rows.map((r) => r.input))];
  for (const input of inputs) {
    const group = rows.filter((r) => r.input === input);
    const base = group.find((r) => r.id === BASELINE)?.medianNs;
    for (const r of group) {
      table.push([
        input,
        r.label,
        fmtNs(r.medianNs),
        gbps(r.bytes, r.medianNs),
        r.id === BASELINE ? '1×' : ratioCell(base, r.medianNs),
        r.calls.toLocaleString('en-US'),
      ]);
    }
  }
  lines.push(
    mdTable(
      [
        { title: 'input', align: 'left' },
        { title: 'function', align: 'left' },
        'ns/call',
        'GB/s',
        'vs xxh64',
        'calls/sample',
      ],
      table,
    ),
  );
  lines.push('');
  const base8 = rows.find((r) => r.input === '8 B' && r.id === BASELINE)?.medianNs;
  lines.push(
    `Batched: \`hashBatch\` over ${BATCH_KEYS.toLocaleString('en-US')} u64 keys (8 bytes each) per call, ns per key; "vs xxh64 (8 B)" compares with one @node-rs/xxhash xxh64 call on an 8-byte Buffer.`,
  );
  lines.push('');
  lines.push(
    mdTable(
      [{ title: 'function', align: 'left' }, 'ns/key', 'GB/s', 'vs xxh64 (8 B)'],
      batchRows.map((r) => [r.label, fmtNs(r.medianNs), gbps(8, r.medianNs), ratioCell(base8, r.medianNs)]),
    ),
  );
  lines.push('');
  const perCall64 = key16.perCall.find((r) => r.id === 'xxh64')?.medianNs;
  const perCall3 = key16.perCall.find((r) => r.id === 'xxh3')?.medianNs;
  lines.push(
    `Batched 16-byte keys: \`hashBatch\` over ${KEY16_COUNTS.map((n) => n.toLocaleString('en-US')).join(' and ')} keys of splitmix64(42) bytes in one call, as \`{ bytes, keySize: 16 }\` and as \`{ bytes, offsets }\` (the same batch reused across samples), ns per key. ` +
      '"vs xxh64/xxh3 per call" divides the ns per key of @node-rs/xxhash called once per key on the same keys (a Buffer view per key, made up front) by the row\'s: the target is at least 20× here. ' +
      'Each kernel is checked against `hash()` of single keys before timing.',
  );
  lines.push('');
  lines.push(
    mdTable(
      [
        { title: 'keys', align: 'left' },
        { title: 'function', align: 'left' },
        'ns/key',
        'GB/s',
        'vs xxh64 per call',
        'vs xxh3 per call',
      ],
      [
        ...key16.perCall.map((r) => [
          r.input,
          r.label,
          fmtNs(r.medianNs),
          gbps(16, r.medianNs),
          ratioCell(perCall64, r.medianNs),
          ratioCell(perCall3, r.medianNs),
        ]),
        ...key16.rows.map((r) => [
          r.input,
          r.label,
          fmtNs(r.medianNs),
          gbps(16, r.medianNs),
          ratioCell(perCall64, r.medianNs),
          ratioCell(perCall3, r.medianNs),
        ]),
      ],
    ),
  );
  return lines.join('\n');
}
