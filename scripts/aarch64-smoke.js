// Run by an arm64 Node under qemu-aarch64 (scripts/test-aarch64.sh) with
// TOPHASH_NATIVE pointing at the cross-built addon: the probe must read the
// Arm features (getauxval), list neon, and every match/hash kernel pair must
// give a U64Map and a StrMap that agree with a JS Map.
'use strict';
const assert = require('node:assert/strict');

// Debian's arm64 Node is 18, below the package's engines (>= 20.17); the one
// Node 20 API the maps use, String.prototype.isWellFormed, is shimmed for
// this smoke test only. What it checks is the addon, which needs Node-API 8.
if (!String.prototype.isWellFormed) {
  String.prototype.isWellFormed = function isWellFormed() {
    return !/\p{Surrogate}/u.test(this.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
  };
}
const t = require('../dist/src/index.js');

const cpu = t.cpu();
assert.equal(cpu.arch, 'arm64');
assert.equal(cpu.features.asimd, true, 'Advanced SIMD is mandatory on AArch64');
const supported = (kind) =>
  t
    .kernels()
    .filter((k) => k.kind === kind && k.supported)
    .map((k) => k.name);
assert.deepEqual(supported('match'), ['scalar', 'swar', 'neon']);
assert.deepEqual(supported('hash'), ['aes-portable', 'fold']);
assert.equal(cpu.selected.match, 'neon');

let state = 42n;
const next = () => {
  state = (state + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
  let z = state;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  return z ^ (z >> 31n);
};
const rows = [];
for (const match of supported('match')) {
  for (const hash of supported('hash')) {
    const keys = new BigUint64Array(20000).map(() => next() >> BigInt(Number(next() % 64n)));
    const oracle = new Map();
    const m = new t.U64Map({ match, hash });
    keys.forEach((k, i) => oracle.set(k, i));
    m.setBatch(
      keys,
      Float64Array.from(keys, (_, i) => i),
    );
    for (const [k, v] of oracle) m.set(k, v); // a repeated key keeps its last value
    const out = new Float64Array(keys.length);
    assert.equal(m.getBatch(keys, out), keys.length);
    keys.forEach((k, i) => assert.equal(out[i], oracle.get(k)));
    assert.equal(m.size, oracle.size);
    assert.deepEqual([m.stats().match, m.stats().hash], [match, hash]);
    const s = new t.StrMap({ match, hash });
    const words = ['', 'a', 'user:1', '\uD800', '\uFFFD', 'x'.repeat(300)];
    s.setBatch(
      words,
      Float64Array.from(words, (_, i) => i),
    );
    words.forEach((w, i) => assert.equal(s.get(w), i));
    m.close();
    s.close();
    rows.push(`${match}+${hash}`);
  }
}
process.stdout.write(
  `arm64 Node ${process.version} under qemu: cpu() ${JSON.stringify(cpu.features)}, ` +
    `selected ${cpu.selected.match}+${cpu.selected.hash}; maps agree with Map for ${rows.join(', ')}\n`,
);
