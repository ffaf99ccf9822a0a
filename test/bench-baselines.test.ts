// The C++ baselines of the bench (bench/native-baselines.ts, bench/native/baselines.cpp):
// built with the machine's compiler, they regenerate W1's and W2's keys themselves, so
// these check that the program agrees with bench/keys.ts on the keys and counts every
// hit and miss. Behaviour only: no timing is asserted.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import type { Plan } from '../bench/harness';
import { makeKeySet, makeStrKeySet } from '../bench/keys';
import { buildBaselines, runBaselines } from '../bench/native-baselines';

/** The compiler resolves absl's hash library (libabsl-dev ships it with the headers). */
function hasGxxAndAbsl(): boolean {
  const probe = spawnSync(process.env.CXX ?? 'g++', ['-print-file-name=libabsl_hash.so'], { encoding: 'utf8' });
  const lib = probe.stdout?.trim() ?? '';
  return probe.status === 0 && path.isAbsolute(lib) && fs.existsSync(lib);
}

const ONE_PASS: Plan = { reps: 1, samples: 1, warmup: 0 };

describe.skipIf(!hasGxxAndAbsl())('C++ baselines', () => {
  it('builds the program', () => {
    expect(buildBaselines()).toHaveProperty('binary');
  });

  it("finds every W1 key and misses every absent one, in absl's and std's tables", () => {
    const ks = makeKeySet(2000);
    const rows = runBaselines('w1', ks.n, ONE_PASS, ks);
    for (const id of ['absl', 'std'] as const) {
      const r = rows.find((x) => x.id === id);
      expect(r, id).toMatchObject({ available: true, hits: 2000, misses: 2000, hitSum: ks.hitSum });
      expect(r?.hit?.nsPerOp).toHaveLength(1);
    }
  });

  it("finds every W2 'user:<v>' key and misses every absent one", () => {
    const ks = makeStrKeySet(1500);
    const rows = runBaselines('w2', ks.n, { reps: 2, samples: 3, warmup: 0 }, ks);
    for (const r of rows.filter((x) => x.id !== 'boost')) {
      expect(r).toMatchObject({ available: true, hits: 1500, misses: 1500, hitSum: ks.hitSum });
      expect(r.insert?.samplesMs).toHaveLength(3);
    }
  });

  it('says whether boost::unordered_flat_map ran, and why not', () => {
    const r = runBaselines('w1', 100, ONE_PASS, makeKeySet(100)).find((x) => x.id === 'boost');
    if (r?.available === true) expect(r).toMatchObject({ hits: 100, misses: 100 });
    else
      expect(r?.label).toMatch(/^C\+\+ boost::unordered_flat_map: (not available \(Boost .* < 1\.81\)|Boost headers)/);
  });

  it('refuses keys that differ from the bench’s, naming what differs', () => {
    const ks = makeKeySet(500);
    const wrongKeys = { checksum: { ...ks.checksum, present: '0000000000000001' }, order: ks.order };
    expect(runBaselines('w1', 500, ONE_PASS, wrongKeys)[0]).toMatchObject({
      available: false,
      reason: expect.stringMatching(/present keys: XOR checksum differs/) as unknown,
    });
    const wrongOrder = { checksum: ks.checksum, order: ks.order.slice().reverse() };
    expect(runBaselines('w1', 500, ONE_PASS, wrongOrder)[2]).toMatchObject({
      available: false,
      reason: expect.stringMatching(/lookup order differs/) as unknown,
    });
  });
});
