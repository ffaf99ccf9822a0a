// What tophash.node exports is the engine and nothing else: the test and
// benchmark hooks live in tophash_hooks.node, and the native string packers
// (which lost to the JS packer in every measurement) are gone.
import { describe, expect, it } from 'vitest';

import { loadHooks, native } from '../src/runtime/native';
import * as strpack from '../src/runtime/strpack';

const hooks = ['emptyCall', 'externalMemory', 'memoryFloor'];
const removed = ['packStrings', 'packJoined'];

describe('addon exports', () => {
  it('tophash.node exports no test or benchmark hook and no string packer', () => {
    const names = Object.keys(native);
    for (const name of [...hooks, ...removed]) expect(names, name).not.toContain(name);
    expect(names).toEqual(
      expect.arrayContaining(['U64Map', 'StrMap', 'BpfMap', 'Aggregator', 'mapGet', 'strGet', 'hashBytes']),
    );
  });

  it('tophash_hooks.node exports the hooks and works beside tophash.node', () => {
    const h = loadHooks();
    expect(Object.keys(h).sort()).toEqual(hooks);
    const before = h.externalMemory();
    const m = new native.U64Map(1000, 1n, undefined, undefined);
    expect(h.externalMemory() - before).toBe(m.stats().bytes);
    m.close();
    expect(h.externalMemory()).toBe(before);
    expect(h.emptyCall({ a: 1 }, 2n)).toBeUndefined();
  });

  it('the string packer has no switch', () => {
    expect(Object.keys(strpack)).not.toContain('setStringPacker');
    expect(Object.keys(strpack)).not.toContain('STRING_PACKERS');
  });
});
