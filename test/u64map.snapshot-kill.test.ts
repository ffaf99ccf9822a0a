// A save killed with SIGKILL at any moment leaves the file at its path a
// whole snapshot: the one before, or one the killed process finished. A child
// saves a large map in a loop, bumping a generation key between saves and
// reporting each finished save; it is killed just after a report, so the
// kill lands in the next save more often than not. Temporary files it leaves
// are never the path that load opens.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { U64Map } from '../src/index';
import { killAfter, saver } from './kill-saver';
import { snapshotDir } from './snapshot-dir';

const file = snapshotDir('kill');
const N = 400_000;
const GENERATION = 2 ** 52; // a key outside 0..N-1 that holds the save's generation

const childSource = `
const { U64Map } = require(process.env.TOPHASH_ENTRY);
const m = new U64Map({ seed: 77n });
m.setBatch(Float64Array.from({ length: ${N} }, (_, i) => i), Float64Array.from({ length: ${N} }, (_, i) => i * 2));
for (let gen = 1; ; gen++) {
  m.set(${GENERATION}, gen);
  m.save(process.env.TOPHASH_SNAPSHOT);
  process.send(gen);
}
`;

describe.runIf(process.platform === 'linux')('kill -9 during save', () => {
  it('leaves the previous snapshot loadable and equal to what it was', async () => {
    const target = file('victim.thm');
    const before = new U64Map({ seed: 1n });
    before.setBatch(Float64Array.from([1, 2, 3]), Float64Array.from([10, 20, 30]));
    before.save(target);

    for (const after of [1, 2, 3]) {
      const reported = await killAfter(saver(childSource, target), after);
      const loaded = U64Map.load(target);
      // The save after the last report may have renamed its file before the kill.
      const gen = loaded.get(GENERATION);
      expect(gen === reported || gen === reported + 1).toBe(true);
      expect(loaded.size).toBe(N + 1);
      const out = new Float64Array(N);
      expect(
        loaded.getBatch(
          Float64Array.from({ length: N }, (_, i) => i),
          out,
        ),
      ).toBe(N);
      expect(out.every((v, i) => v === i * 2)).toBe(true);
      loaded.close();
    }
    // Whatever the kills left behind is a temporary file by name, never the snapshot.
    const left = fs.readdirSync(path.dirname(target)).filter((f) => f !== 'victim.thm');
    expect(left.every((f) => /^victim\.thm\.tmp-\d+-\d+$/.test(f))).toBe(true);
  });

  it('a kill before the first save completes leaves the file that was there', async () => {
    const target = file('first.thm');
    const before = new U64Map({ seed: 1n });
    before.set(5, 50);
    before.save(target);
    const child = saver(childSource, target);
    // Killed as soon as it runs: its first save (400k entries) is rarely done by then.
    child.once('spawn', () => child.kill('SIGKILL'));
    await new Promise((resolve) => child.once('exit', resolve));
    const loaded = U64Map.load(target);
    if (loaded.size === 1) expect(loaded.get(5)).toBe(50);
    else expect(loaded.get(GENERATION)).toBe(1);
  });
});
