// A subset of the public API under valgrind memcheck (scripts/valgrind.sh):
// growth, batches, async batches on the libuv pool, iteration, deletes,
// long arena keys with lone surrogates, use after close, and a map left to
// the garbage collector. Valgrind checks every byte the addon touches.
'use strict';
const path = require('node:path');
const { U64Map, StrMap, hash, hashBatch } = require(path.join(__dirname, '..', '..', 'dist', 'src', 'index.js'));
(async () => {
  for (let r = 0; r < 3; r++) {
    const m = new U64Map();
    const n = 20000;
    const keys = new Float64Array(n).map((_, i) => i * 7 + r);
    m.setBatch(keys, keys);
    const out = new Float64Array(n);
    m.getBatch(keys, out);
    await m.getBatchAsync(keys, out);
    for (let i = 0; i < 1000; i++) m.delete(keys[i]);
    let c = 0; for (const _ of m) c++;
    m.close();
    const s = new StrMap();
    const sk = Array.from({ length: 5000 }, (_, i) => 'key:' + i + (i % 7 ? '' : 'x'.repeat(40)) + '\uD800');
    s.setBatch(sk, new Float64Array(sk.length));
    s.getBatch(sk, new Float64Array(sk.length));
    s.deleteBatch(sk.slice(0, 2500));
    for (const _ of s) c++;
    s.close();
    hash('abc'); hashBatch(new BigUint64Array(100));
    try {
      m.get(1);
      throw new Error('a closed map answered');
    } catch (err) {
      if (err.code !== 'ERR_CLOSED') throw err;
    }
  }
  new U64Map().set(1, 1); // dropped without close: freed by GC or at exit
  global.gc && global.gc();
  console.log('ok');
})();
