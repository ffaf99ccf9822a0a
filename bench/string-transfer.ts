// How a string[] batch should cross into native code: StrMap's JS packer
// (src/runtime/strpack.ts) against two pure-JS candidates that exist only
// here, timed for encoding alone and inside a full getBatch, on fresh
// 'user:<n>' strings and on a mixed-unicode variant. Not part of `npm run
// bench`; run it on its own:
//
//   npm run build:ts && node --expose-gc dist/bench/string-transfer.js [--sizes 1e5,1e6] [--samples 7]
//
// Every sample builds its strings again by concatenation from numbers
// (untimed), so no timed pass sees a string V8 has flattened, hashed or read
// before. A sample is one bench/harness.ts measurement (tinybench, gc()
// after it) of >= 1e6 keys; the candidates take turns round by round, so load
// from a neighbour on a shared machine lands on all of them alike, and the
// median per row is reported with the load average.
import * as os from 'node:os';

import { StrMap } from '../src/index';
import { packKeys } from '../src/runtime/strpack';
import { check, hasGc, measure, median, type Plan } from './harness';
import { shuffleOrder } from './keys';
import { fmtN, fmtNs, mdTable } from './report';

type Variant = 'ascii' | 'mixed';

// 'user:<n>'; the mixed variant gives 1 key in 10 a Latin-1 letter, 1 in 20 a
// two-byte (CJK) prefix, and 1 in 1000 a lone surrogate.
function keyOf(v: number, variant: Variant): string {
  if (variant === 'ascii') return 'user:' + v;
  if (v % 1000 === 11) return 'user:\uD800' + v;
  if (v % 20 === 7) return 'ユーザ:' + v;
  if (v % 10 === 3) return 'usér:' + v;
  return 'user:' + v;
}

function freshKeys(order: Uint32Array, variant: Variant): string[] {
  const out = new Array<string>(order.length);
  for (let i = 0; i < order.length; i++) out[i] = keyOf(order[i], variant);
  return out;
}

// ---- the two JS-only candidates ----

const encoder = new TextEncoder();
let buf = new Uint8Array(1 << 20);
let offs = new Uint32Array(1 << 10);

function room(bytes: number, count: number): void {
  if (buf.length < bytes) buf = new Uint8Array(bytes);
  if (offs.length < count + 1) offs = new Uint32Array(count + 1);
}

// TextEncoder.encodeInto per string into a reused buffer (well-formed only:
// encodeInto would turn a lone surrogate into U+FFFD, so those go the JS way).
function encodeIntoEach(keys: string[]): [Uint8Array, Uint32Array] {
  let total = 0;
  for (let i = 0; i < keys.length; i++) total += keys[i].length;
  room(3 * total, keys.length);
  let pos = 0;
  offs[0] = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (!(k as unknown as { isWellFormed(): boolean }).isWellFormed()) return packKeys(keys);
    pos += encoder.encodeInto(k, buf.subarray(pos)).written;
    offs[i + 1] = pos;
  }
  return [buf, offs.subarray(0, keys.length + 1)];
}

// One encodeInto of keys.join(''): the offsets are the prefix sums of the
// lengths only when every unit was ASCII, which written === length tells.
function encodeIntoJoined(keys: string[]): [Uint8Array, Uint32Array] {
  room(0, keys.length);
  let total = 0;
  offs[0] = 0;
  for (let i = 0; i < keys.length; i++) offs[i + 1] = total += keys[i].length;
  room(3 * total, keys.length);
  const joined = keys.join('');
  const { written } = encoder.encodeInto(joined, buf);
  if (written !== total) return packKeys(keys);
  return [buf, offs.subarray(0, keys.length + 1)];
}

// Parts of the joined candidates on their own.
function joinOnly(keys: string[]): number {
  let total = 0;
  for (let i = 0; i < keys.length; i++) total += keys[i].length;
  return keys.join('').length + total;
}
const ASCII_ONLY = /^[^\x80-\uffff]*$/;
function joinAndRegex(keys: string[]): number {
  return ASCII_ONLY.test(keys.join('')) ? 1 : 0;
}

interface Candidate {
  id: string;
  pack(keys: string[]): [Uint8Array, Uint32Array] | number;
  /** Not a packer: no getBatch row. */
  partOnly?: boolean;
}

const CANDIDATES: Candidate[] = [
  { id: 'js', pack: (k: string[]) => packKeys(k) },
  { id: 'encodeInto-each', pack: encodeIntoEach },
  { id: 'encodeInto-joined', pack: encodeIntoJoined },
  { id: 'part: join + lengths', pack: joinOnly, partOnly: true },
  { id: 'part: join + ASCII regex', pack: joinAndRegex, partOnly: true },
];

function parseArgs(): { sizes: number[]; samples: number } {
  const argv = process.argv.slice(2);
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (get('--sizes') ?? '1e5,1e6').split(',').map(Number);
  const samples = Number(get('--samples') ?? '7');
  if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !(samples >= 5)) {
    throw new Error('usage: string-transfer [--sizes 1e5,1e6] [--samples N>=5]');
  }
  return { sizes, samples };
}

function main(): void {
  if (!hasGc()) throw new Error('run with node --expose-gc');
  const { sizes, samples } = parseArgs();
  const load0 = os.loadavg();
  console.log(`# String transfer: string[] into StrMap batches`);
  console.log(
    `- ${new Date().toISOString()}, Node ${process.version}, ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} logical CPUs`,
  );
  console.log(`- load average at start: ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(
    `- ns per key, median of ${samples} samples after a warm-up round; a sample is ≥ 1e6 keys (N=1e5: 10 fresh arrays); candidates interleaved round by round\n`,
  );
  const rows: string[][] = [];
  for (const n of sizes) {
    const reps = Math.max(1, Math.round(1e6 / n));
    const one: Plan = { reps, samples: 1, warmup: 0 };
    for (const variant of ['ascii', 'mixed'] as const) {
      const order = shuffleOrder(n);
      const m = new StrMap({ capacity: n });
      const all = new Uint32Array(n).map((_, i) => i);
      m.setBatch(freshKeys(all, variant), new Float64Array(n).fill(1));
      const out = new Float64Array(n);
      const expected = packKeys(freshKeys(order, variant));
      const expectedBytes = Buffer.from(expected[0].subarray(0, expected[1][n]));
      const expectedOffsets = expected[1].slice();
      let inputs: string[][] = [];
      const fresh = (): void => {
        inputs = [];
        for (let r = 0; r < reps; r++) inputs.push(freshKeys(order, variant));
      };

      interface Task {
        candidate: string;
        op: 'encode' | 'getBatch';
        run: () => void;
        ns: number[];
      }
      const tasks: Task[] = [];
      let hits = 0;
      // Packed bytes prepared beforehand: the floor a string[] path could reach.
      tasks.push({
        candidate: 'packed bytes (no strings)',
        op: 'getBatch',
        run: () => {
          for (let r = 0; r < reps; r++) hits += m.getBatch({ bytes: expectedBytes, offsets: expectedOffsets }, out);
        },
        ns: [],
      });
      for (const c of CANDIDATES) {
        tasks.push({
          candidate: c.id,
          op: 'encode',
          run: () => {
            for (let r = 0; r < reps; r++) c.pack(inputs[r]);
          },
          ns: [],
        });
        if (c.partOnly) continue;
        const [b, o] = c.pack(freshKeys(order, variant)) as [Uint8Array, Uint32Array];
        check(o[n] === expectedOffsets[n], `${c.id} bytes`, o[n], expectedOffsets[n]);
        check(Buffer.compare(b.subarray(0, o[n]), expectedBytes) === 0, `${c.id} bytes equal`, 'differ', 'same');
        tasks.push({
          candidate: c.id,
          op: 'getBatch',
          run:
            c.id === 'js'
              ? () => {
                  for (let r = 0; r < reps; r++) hits += m.getBatch(inputs[r], out);
                }
              : () => {
                  for (let r = 0; r < reps; r++) {
                    const [bytes, offsets] = c.pack(inputs[r]) as [Uint8Array, Uint32Array];
                    hits += m.getBatch({ bytes, offsets }, out);
                  }
                },
          ns: [],
        });
      }
      // Round 0 warms up; every round runs each task once, starting at a
      // different task, so a burst of load from a neighbour spreads over all.
      for (let round = 0; round <= samples; round++) {
        for (let t = 0; t < tasks.length; t++) {
          const task = tasks[(t + round) % tasks.length];
          const got = measure({
            name: `${task.candidate} ${task.op} ${n} ${variant}`,
            n,
            plan: one,
            before: () => {
              fresh();
              hits = 0;
            },
            run: task.run,
            after: () => {
              if (task.op === 'getBatch') check(hits === n * reps, `${task.candidate} hits`, hits, n * reps);
            },
          });
          if (round > 0) task.ns.push(got.nsPerOp[0]);
        }
        process.stderr.write(
          `N=${fmtN(n)} ${variant}: round ${round}/${samples}, load ${os.loadavg()[0].toFixed(2)}\n`,
        );
      }
      const cell = (candidate: string, op: Task['op']): Task | undefined =>
        tasks.find((t) => t.candidate === candidate && t.op === op);
      for (const id of ['packed bytes (no strings)', ...CANDIDATES.map((c) => c.id)]) {
        const enc = cell(id, 'encode');
        const get = cell(id, 'getBatch');
        rows.push([
          fmtN(n),
          variant,
          id,
          enc ? fmtNs(median(enc.ns)) : '—',
          get ? fmtNs(median(get.ns)) : '—',
          enc ? spread(enc.ns) : spread(get!.ns),
        ]);
      }
      m.close();
    }
  }
  console.log(
    mdTable(
      [
        'N',
        { title: 'keys', align: 'left' },
        { title: 'candidate', align: 'left' },
        'encode ns/key',
        'getBatch ns/key',
        'min–max',
      ],
      rows,
    ),
  );
  console.log(
    `\n- load average at end: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

function spread(ns: number[]): string {
  return `${fmtNs(Math.min(...ns))}–${fmtNs(Math.max(...ns))}`;
}

main();
