// A BpfMap save killed with SIGKILL at any moment leaves the file at its path
// a whole snapshot: the one before, or one the killed process finished. The
// child saves a large map in a loop, writing the save's generation into a
// key of its own between saves (see test/kill-saver.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { BpfMap } from '../src/index';
import { killAfter, saver } from './kill-saver';
import { snapshotDir } from './snapshot-dir';

const file = snapshotDir('bpf-kill');
const N = 300_000;

// Key i is i as a little-endian u64; key N holds the generation.
const childSource = `
const { BpfMap } = require(process.env.TOPHASH_ENTRY);
const m = new BpfMap({ type: 'lru_hash', keySize: 8, valueSize: 8, maxEntries: ${N + 1}, seed: 7n });
const keys = new BigUint64Array(${N});
for (let i = 0; i < ${N}; i++) keys[i] = BigInt(i);
m.updateBatch(new Uint8Array(keys.buffer), new Uint8Array(keys.buffer));
const gen = new BigUint64Array([${N}n]);
for (let g = 1; ; g++) {
  m.update(new Uint8Array(gen.buffer), new Uint8Array(new BigUint64Array([BigInt(g)]).buffer));
  m.save(process.env.TOPHASH_SNAPSHOT);
  process.send(g);
}
`;

const u64 = (v: number): Uint8Array => new Uint8Array(new BigUint64Array([BigInt(v)]).buffer);
const generation = (m: BpfMap): number => {
  const v = m.lookup(u64(N));
  return v === undefined ? 0 : Number(new DataView(v.buffer).getBigUint64(0, true));
};

describe.runIf(process.platform === 'linux')('kill -9 during BpfMap.save', () => {
  it('leaves the previous snapshot loadable and whole', async () => {
    const target = file('victim.thm');
    const before = new BpfMap({ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 4 });
    before.update(u64(1), u64(10));
    before.save(target);

    for (const after of [1, 2]) {
      const reported = await killAfter(saver(childSource, target), after);
      const loaded = BpfMap.load(target);
      // The save after the last report may have renamed its file before the kill.
      const gen = generation(loaded);
      expect(gen === reported || gen === reported + 1).toBe(true);
      expect(loaded.size).toBe(N + 1);
      const r = loaded.lookupBatch({ count: N + 1 });
      expect(r.count).toBe(N + 1);
      const keys = new BigUint64Array(r.keys.buffer, r.keys.byteOffset, r.count);
      const values = new BigUint64Array(r.values.buffer, r.values.byteOffset, r.count);
      expect(keys.every((k, i) => k === BigInt(N) || values[i] === k)).toBe(true);
      loaded.close();
    }
    const left = fs.readdirSync(path.dirname(target)).filter((f) => f !== 'victim.thm');
    expect(left.every((f) => /^victim\.thm\.tmp-\d+-\d+$/.test(f))).toBe(true);
  });
});
