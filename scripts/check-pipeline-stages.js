// Checks that every stage of the batch pipeline (native/core/batch_pipeline.h)
// survived compilation: a compiler may treat a prefetch as free of side
// effects and delete the code around it, and nothing else would notice, since
// a batch without its prefetches still returns the right answers, only
// slower. Each stage is a function the pipeline never inlines, so it keeps a
// symbol; this script disassembles a linked binary and, for every key kind
// (the pipeline's Source) and every stage, requires the stage's function to
// be there, to be called, and to hold at least one prefetch instruction.
//   node scripts/check-pipeline-stages.js [binary ...]
// The binary defaults to build/Release/tophash.node; any binary linked with
// the engine and its symbols works (the GoogleTest executable too).
// OBJDUMP names another objdump, for a cross-built binary.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const STAGES = ['stage_hash_and_prefetch', 'stage_match', 'stage_chase', 'stage_write_prefetch'];
// Key kinds whose batches must run through the pipeline, by Source name.
const KEY_KINDS = ['U64Source', 'ByteSource', 'FixedSource'];
// x86 prefetcht0/prefetchnta/prefetchw..., AArch64 prfm, Arm pld.
const PREFETCH = /^(prefetch\w*|prfm|pldw?)$/;
const STAGE_SYMBOL = /tophash::core::batch::(stage_\w+)</;
const DEFAULT_BINARY = path.join(__dirname, '..', 'build', 'Release', 'tophash.node');

/** The text between the '<' at `open` and its matching '>'. */
function bracketed(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '<') depth++;
    else if (text[i] === '>' && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1);
}

/** Template arguments split at the top level. */
function topLevelArgs(args) {
  const out = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '<' || args[i] === '(') depth++;
    else if (args[i] === '>' || args[i] === ')') depth--;
    else if (args[i] === ',' && depth === 0) {
      out.push(args.slice(from, i).trim());
      from = i + 1;
    }
  }
  out.push(args.slice(from).trim());
  return out;
}

/** The function a symbol names, without the clone suffix GCC adds to a specialised copy. */
function functionOf(symbol) {
  return symbol.replace(/\s*\[clone [^\]]*\]/g, '').replace(/\+0x[0-9a-f]+$/, '');
}

/** { stage, source } for a pipeline stage's function, else null. */
function stageOf(fn) {
  const m = STAGE_SYMBOL.exec(fn);
  if (!m || !STAGES.includes(m[1])) return null;
  const args = topLevelArgs(bracketed(fn, m.index + m[0].length - 1));
  const source = args[args.length - 1]
    .replace(/tophash::core::/g, '')
    .replace(/\(anonymous namespace\)::/g, '')
    .replace(/(\d+)ul?\b/g, '$1');
  return { stage: m[1], source };
}

/** Per function: prefetch instructions in its body and calls (or tail jumps) to it from elsewhere. */
function scan(binary) {
  const objdump = process.env.OBJDUMP || 'objdump';
  const run = spawnSync(objdump, ['-d', '--no-show-raw-insn', '-C', binary], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (run.error) throw new Error(`${objdump}: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`${objdump} -d ${binary} failed:\n${run.stderr}`);
  const functions = new Map();
  const entry = (fn) => {
    if (!functions.has(fn)) functions.set(fn, { prefetches: 0, callers: 0 });
    return functions.get(fn);
  };
  let current = null;
  for (const line of run.stdout.split('\n')) {
    const header = /^[0-9a-f]+ <(.*)>:$/.exec(line);
    if (header) {
      current = functionOf(header[1]);
      continue;
    }
    const insn = /^\s+[0-9a-f]+:\t(\S+)\s*(.*)$/.exec(line);
    if (!insn || current === null) continue;
    const [, mnemonic, operands] = insn;
    if (PREFETCH.test(mnemonic)) entry(current).prefetches++;
    const target = /<(.*)>$/.exec(operands);
    if (target && /^(call|jmp|bl?)\b/.test(mnemonic)) {
      const callee = functionOf(target[1]);
      if (callee !== current) entry(callee).callers++;
    }
  }
  return functions;
}

/** Problems found in one binary; prints its stage table. */
function check(binary) {
  const bySource = new Map();
  for (const [fn, counts] of scan(binary)) {
    const s = stageOf(fn);
    if (!s) continue;
    if (!bySource.has(s.source)) bySource.set(s.source, new Map());
    const stages = bySource.get(s.source);
    const seen = stages.get(s.stage) ?? { prefetches: 0, callers: 0 };
    seen.prefetches += counts.prefetches;
    seen.callers += counts.callers;
    stages.set(s.stage, seen);
  }
  const problems = [];
  for (const kind of KEY_KINDS) {
    if (![...bySource.keys()].some((source) => source.startsWith(kind))) {
      problems.push(`no pipeline stage for ${kind}: its batches bypass batch_pipeline.h`);
    }
  }
  const rows = [`${binary}: prefetch instructions per stage`, ['source', ...STAGES].join('\t')];
  for (const [source, stages] of [...bySource].sort(([a], [b]) => a.localeCompare(b))) {
    const cells = STAGES.map((stage) => {
      const seen = stages.get(stage);
      if (!seen || (seen.prefetches === 0 && seen.callers === 0)) {
        problems.push(`${source}: ${stage} is missing`);
        return 'missing';
      }
      if (seen.callers === 0) problems.push(`${source}: ${stage} is never called`);
      if (seen.prefetches === 0) problems.push(`${source}: ${stage} holds no prefetch`);
      return String(seen.prefetches);
    });
    rows.push([source, ...cells].join('\t'));
  }
  process.stdout.write(rows.join('\n') + '\n');
  return problems;
}

const binaries = process.argv.slice(2);
if (binaries.length === 0) binaries.push(path.relative(process.cwd(), DEFAULT_BINARY));
let failed = false;
for (const binary of binaries) {
  const problems = check(binary);
  for (const p of problems) process.stderr.write(`FAIL ${p}\n`);
  failed ||= problems.length > 0;
}
if (failed) {
  process.stderr.write('A batch pipeline stage was optimised away: see native/core/prefetch.h.\n');
  process.exit(1);
}
