// Running out of memory while an Aggregator grows, sync and on the libuv
// pool: the error is ENOMEM and names the aggregator (the async job used to
// say "the map could not grow" for every class). A child process lowers its
// own address-space limit (prlimit) just above what it uses, then grows an
// aggregator until an allocation fails; the process survives and reports.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

const entry = path.join(__dirname, '..', 'dist', 'src', 'index.js');
const havePrlimit = process.platform === 'linux' && spawnSync('prlimit', ['--version']).status === 0;

const child = `
const { Aggregator } = require(process.env.TOPHASH_ENTRY);
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const batch = 2 ** 20;
const agg = new Aggregator({ key: 'u64', maxEntries: 2 ** 31, batchSize: batch });
const vm = Number(/VmSize:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const limit = spawnSync('prlimit', ['--pid', String(process.pid), '--as=' + (vm + 256 * 2 ** 20)]);
if (limit.status !== 0) throw new Error('prlimit failed: ' + limit.stderr);
(async () => {
  let k = 0;
  for (let round = 0; round < 200; round++) {
    try {
      // One event short of a full batch, so record() never flushes by itself.
      for (let i = 0; i < batch - 1; i++) agg.record(k++, 1);
      if (process.env.TOPHASH_MODE === 'async') await agg.flushAsync();
      else agg.flush();
    } catch (e) {
      console.log(JSON.stringify({ code: e.code, message: e.message, usable: agg.size > 0 }));
      return;
    }
  }
  console.log(JSON.stringify({ never: true }));
})();
`;

describe.runIf(havePrlimit)('an Aggregator out of memory', () => {
  it.each(['sync', 'async'])('%s: ENOMEM naming the aggregator, and the process lives on', (mode) => {
    const r = spawnSync(process.execPath, ['-e', child], {
      env: { ...process.env, TOPHASH_ENTRY: entry, TOPHASH_MODE: mode },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(report).toEqual({ code: 'ENOMEM', message: 'Out of memory: the aggregator could not grow', usable: true });
  });
});
