// Handles are released when garbage-collected: their native slots (and key
// bytes) go back to the aggregator at the next flush. Runs in a child with gc
// exposed.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

import { describe, expect, it } from 'vitest';

const entry = path.join(__dirname, '..', 'dist', 'src', 'index.js');

const script = `
const { Aggregator } = require(${JSON.stringify(entry)});
const agg = new Aggregator({ key: 'string' });
const kept = agg.handle('kept');
for (let i = 0; i < 10000; i++) agg.handle('k' + i).record(1);
const before = agg.stats().handles;
(async () => {
  for (let i = 0; i < 20; i++) { gc(); await new Promise((r) => setImmediate(r)); }
  agg.flush();
  kept.record(5);
  const after = agg.stats();
  console.log(JSON.stringify({ before, handles: after.handles, entries: after.entries, kept: agg.get('kept') }));
})();
`;

describe('handle lifetime', () => {
  it('releases collected handles and keeps live ones working', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      before: number;
      handles: number;
      entries: number;
      kept: { count: number; sum: number };
    };
    expect(r.before).toBe(10001);
    expect(r.handles).toBeLessThan(100);
    expect(r.handles).toBeGreaterThanOrEqual(1);
    expect(r.entries).toBe(10001);
    expect(r.kept).toMatchObject({ count: 1, sum: 5 });
  });
});
