// Lists the C++ sources of one build part, for binding.gyp and CMakeLists.txt,
// so a new kernel file is picked up without editing either.
//   node scripts/list-sources.js engine   -> native/{core,simd,hash,cpu}/*.cpp
//   node scripts/list-sources.js addon    -> engine + native/addon/*.cpp
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const engineDirs = ['native/core', 'native/simd', 'native/hash', 'native/cpu'];
const dirs = process.argv[2] === 'addon' ? [...engineDirs, 'native/addon'] : engineDirs;
const files = dirs.flatMap((dir) =>
  fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.cpp'))
    .sort()
    .map((f) => `${dir}/${f}`),
);
process.stdout.write(files.join('\n') + '\n');
