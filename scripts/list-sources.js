// Lists the C++ sources of one build part, for binding.gyp and CMakeLists.txt,
// so a new kernel file is picked up without editing either.
//   node scripts/list-sources.js engine   -> native/{core,simd,hash,cpu}/*.cpp
//   node scripts/list-sources.js addon    -> engine + native/addon/*.cpp
//   node scripts/list-sources.js hooks    -> native/hooks/*.cpp + the error helpers they use
//                                            (tophash_hooks.node, for tests and benchmarks)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const engineDirs = ['native/core', 'native/simd', 'native/hash', 'native/cpu'];
const part = process.argv[2];
const dirs = { addon: [...engineDirs, 'native/addon'], hooks: ['native/hooks'] }[part] ?? engineDirs;
const files = dirs.flatMap((dir) =>
  fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.cpp'))
    .sort()
    .map((f) => `${dir}/${f}`),
);
if (part === 'hooks') files.push('native/addon/errors.cpp');
process.stdout.write(files.join('\n') + '\n');
