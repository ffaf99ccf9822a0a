// A subset of the public API under valgrind memcheck (scripts/valgrind.sh):
// growth, batches, async batches on the libuv pool, iteration, deletes,
// long arena keys with lone surrogates, use after close, and a map left to
// the garbage collector. Valgrind checks every byte the addon touches.
'use strict';
const path = require('node:path');
const { U64Map, StrMap, hash, hashBatch } = require(path.join(__dirname, '..', '..', 'dist', 'src', 'index.js'));

function expect(ok, what) {
  if (!ok) throw new Error(`valgrind smoke: ${what}`);
}

async function main() {
  for (let round = 0; round < 3; round++) {
    const m = new U64Map();
    const n = 20000;
    const keys = new Float64Array(n).map((_, i) => i * 7 + round);
    expect(m.setBatch(keys, keys) === n, 'setBatch');
    const out = new Float64Array(n);
    expect(m.getBatch(keys, out) === n && out[n - 1] === keys[n - 1], 'getBatch');
    expect((await m.getBatchAsync(keys, out)) === n, 'getBatchAsync');
    for (let i = 0; i < 1000; i++) m.delete(keys[i]);
    expect([...m].length === n - 1000, 'iteration');
    m.close();

    const s = new StrMap();
    const strings = Array.from({ length: 5000 }, (_, i) => `key:${i}${i % 7 ? '' : 'x'.repeat(40)}\uD800`);
    s.setBatch(strings, new Float64Array(strings.length));
    expect(s.getBatch(strings, new Float64Array(strings.length)) === strings.length, 'StrMap getBatch');
    s.deleteBatch(strings.slice(0, 2500));
    expect(
      [...s.keys()].every((k) => typeof k === 'string'),
      'StrMap iteration',
    );
    s.close();

    hash('abc');
    hashBatch(new BigUint64Array(100));
    try {
      m.get(1);
      expect(false, 'a closed map answered');
    } catch (err) {
      if (err.code !== 'ERR_CLOSED') throw err;
    }
  }
  new U64Map().set(1, 1); // dropped without close(): freed by the GC
  for (let i = 0; i < 5 && typeof gc === 'function'; i++) {
    gc(); // eslint-disable-line no-undef
    await new Promise((resolve) => setTimeout(resolve, 1)); // eslint-disable-line no-undef
  }
  process.stdout.write('ok\n');
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
