// Pinned BpfMaps shared between processes: what one process writes another
// reads, concurrent writers end with exact contents and never tear a value,
// and a process SIGKILLed inside a bucket's critical section (the test-only
// TOPHASH_TEST_PIN_CRASH hook) leaves the map usable, consistent and with no
// record lost. Children load the built package (dist/), as a user's would.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { BPF_EXIST, BpfMap, CodedError } from '../src/index';

const entry = path.join(__dirname, '..', 'dist', 'src', 'index.js');
const dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'tophash-pin-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = (): string => path.join(dir, `map${files++}`);

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  messages: unknown[];
}

// Runs `source` in a child node with BpfMap, the file path and a send()
// helper in scope; resolves when it exits, with what it sent.
function child(source: string, file: string, env: Record<string, string> = {}): Promise<ChildResult> {
  const prelude = `const { BpfMap, BPF_ANY, BPF_NOEXIST, BPF_EXIST } = require(${JSON.stringify(entry)});
const file = ${JSON.stringify(file)};
const send = (m) => process.send(m);
const key = (a, b = 0) => Uint8Array.of(a, b & 255, b >> 8, 0);
`;
  return new Promise((resolve, reject) => {
    const messages: unknown[] = [];
    const p = spawn(
      process.execPath,
      ['-e', `${prelude}(async () => {${source}})().then(() => process.disconnect())`],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    p.on('message', (m) => messages.push(m));
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve({ code, signal, messages }));
  });
}

const key = (a: number, b = 0): Uint8Array => Uint8Array.of(a, b & 255, b >> 8, 0);
const value = (fill: number, size = 8): Uint8Array => new Uint8Array(size).fill(fill);

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    // eBPF outcomes are CodedErrors; file errors come from the addon as Errors with a code.
    expect(err).toBeInstanceOf(Error);
    return (err as CodedError).code;
  }
  return 'OK';
}

describe.runIf(process.platform === 'linux')('pinned BpfMap across processes', () => {
  it('pin() moves the entries to the file; another process sees them and its writes come back', async () => {
    const file = fresh();
    using m = new BpfMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 });
    m.update(key(1), value(11));
    m.pin(file);
    expect(m.pinnedPath).toBe(file);
    expect(m.lookup(key(1))).toEqual(value(11));

    const r = await child(
      `const m = BpfMap.open(file);
send([m.type, m.keySize, m.valueSize, m.maxEntries, m.size, Array.from(m.lookup(key(1)))]);
try { m.update(key(1), new Uint8Array(8), BPF_NOEXIST); } catch (e) { send(e.code); }
m.update(key(2), new Uint8Array(8).fill(22));
m.delete(key(1));`,
      file,
    );
    expect(r.code).toBe(0);
    expect(r.messages).toEqual([['hash', 4, 8, 16, 1, Array.from(value(11))], 'EEXIST']);
    expect(m.lookup(key(1))).toBeUndefined();
    expect(m.lookup(key(2))).toEqual(value(22));
    expect(m.size).toBe(1);
    expect(codeOf(() => m.update(key(3), value(0), BPF_EXIST))).toBe('ENOENT');
  });

  it('several processes updating at once end with every key and whole values', async () => {
    const file = fresh();
    const writers = 4;
    const perWriter = 300;
    using m = new BpfMap({ type: 'hash', keySize: 4, valueSize: 64, maxEntries: writers * perWriter + 8 });
    m.pin(file);
    // Each writer owns its keys (a, i) and also fights over eight shared keys
    // (250, s), writing whole values filled with its own byte, and checks that
    // every value it reads back is filled with one byte.
    const runs = await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        child(
          `const m = BpfMap.open(file);
let torn = 0;
for (let round = 0; round < 3; round++) {
  for (let i = 0; i < ${perWriter}; i++) {
    m.update(key(${w}, i), new Uint8Array(64).fill(i + round));
    const s = key(250, i % 8);
    m.update(s, new Uint8Array(64).fill(${w + 1}));
    const v = m.lookup(s);
    if (v.some((b) => b !== v[0])) torn++;
  }
}
send(torn);`,
          file,
        ),
      ),
    );
    for (const r of runs) expect([r.code, r.messages]).toEqual([0, [0]]);
    expect(m.size).toBe(writers * perWriter + 8);
    for (let w = 0; w < writers; w++) {
      for (let i = 0; i < perWriter; i++) expect(m.lookup(key(w, i))).toEqual(value((i + 2) & 255, 64));
    }
    for (let s = 0; s < 8; s++) {
      const v = m.lookup(key(250, s))!;
      expect(v[0]).toBeGreaterThanOrEqual(1);
      expect(v[0]).toBeLessThanOrEqual(writers);
      expect(v.every((b) => b === v[0])).toBe(true);
    }
    expect(codeOf(() => m.update(key(251), value(0, 64)))).toBe('E2BIG');
  });

  it('lru_hash evicts with a CLOCK every process shares', async () => {
    const file = fresh();
    using m = new BpfMap({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 32 });
    m.pin(file);
    const r = await child(
      `const m = BpfMap.open(file);
for (let i = 0; i < 200; i++) m.update(key(i & 255, i >> 8), new Uint8Array(8).fill(i & 255));
send([m.size, m.stats().evictions]);`,
      file,
    );
    expect(r.messages).toEqual([[32, 168]]);
    expect(m.size).toBe(32);
    expect(m.stats().evictions).toBe(168);
    for (const [k, v] of m) expect(v).toEqual(value(k[0]));
  });

  it('unpin removes the name; maps open on it keep sharing the storage', () => {
    const file = fresh();
    using a = new BpfMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8 });
    a.pin(file);
    using b = BpfMap.open(file);
    BpfMap.unpin(file);
    expect(fs.existsSync(file)).toBe(false);
    b.update(key(5), value(5));
    expect(a.lookup(key(5))).toEqual(value(5));
    expect(codeOf(() => BpfMap.open(file))).toBe('ENOENT');
    expect(codeOf(() => BpfMap.unpin(file))).toBe('ENOENT');
  });
});

// Each point names where the child dies, what the key it was working on must
// look like afterwards (present with its new value, or gone), and the setup.
const CRASHES = [
  { point: 'insert-popped', op: 'update', after: 'absent' },
  { point: 'insert-linked', op: 'update', after: 'new' },
  { point: 'pool-pop', op: 'update', after: 'absent' },
  { point: 'delete-unlinked', op: 'delete', after: 'absent' },
  // A value cut off halfway may be torn: the key is removed rather than shown.
  { point: 'write-value', op: 'overwrite', after: 'absent' },
] as const;

describe.runIf(process.platform === 'linux')('a process SIGKILLed holding a bucket lock', () => {
  it.each(CRASHES)('$point: the map stays usable and consistent', async ({ point, op, after }) => {
    const file = fresh();
    const maxEntries = 24;
    using m = new BpfMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries });
    for (let i = 0; i < 10; i++) m.update(key(i), value(i));
    m.pin(file);
    const victim = op === 'update' ? 100 : 3;
    const call = op === 'delete' ? `m.delete(key(${victim}))` : `m.update(key(${victim}), new Uint8Array(8).fill(200))`;
    const r = await child(`const m = BpfMap.open(file); ${call}; send('survived');`, file, {
      TOPHASH_TEST_PIN_CRASH: point,
    });
    expect(r.signal).toBe('SIGKILL');
    expect(r.messages).toEqual([]);

    // The next locker repairs the bucket: another process is not wedged.
    const next = await child(
      `const m = BpfMap.open(file); const v = m.lookup(key(${victim})); send(v ? v[0] : null); m.update(key(77), new Uint8Array(8).fill(77));`,
      file,
    );
    expect(next.code).toBe(0);
    expect(next.messages).toEqual([after === 'new' ? 200 : null]);

    const expected = new Map<number, number>();
    for (let i = 0; i < 10; i++) expected.set(i, i);
    if (after === 'new') expected.set(victim, 200);
    else expected.delete(victim);
    expected.set(77, 77);
    expect(m.size).toBe(expected.size);
    const seen = new Map<number, number>();
    for (const [k, v] of m) seen.set(k[0], v[0]);
    expect(seen).toEqual(expected);

    // No record leaked: after emptying it the map takes exactly maxEntries keys.
    for (const k of expected.keys()) m.delete(key(k));
    expect(m.size).toBe(0);
    for (let i = 0; i < maxEntries; i++) m.update(key(i, 9), value(i));
    expect(codeOf(() => m.update(key(255, 9), value(0)))).toBe('E2BIG');
    expect(m.size).toBe(maxEntries);
  });
});
