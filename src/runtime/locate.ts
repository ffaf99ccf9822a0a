// Where the compiled addons are. In order: TOPHASH_NATIVE; a build from
// source in the package (node-gyp's build/Release or build/Debug, cmake-js's
// build-cmake/Release), which wins over a prebuilt binary as node-gyp-build
// would have it; then the prebuilt binary for this platform, which
// node-gyp-build picks from prebuilds/<platform>-<arch>/. Bundled code has no
// package root above it, so the same places are searched beside the bundle.
import * as fs from 'node:fs';
import * as path from 'node:path';

const ADDON = 'tophash.node';
const HOOKS = 'tophash_hooks.node';
const BUILD_DIRS = ['build/Release', 'build/Debug', 'build-cmake/Release'];

// node-gyp-build ships no types; path() is the part used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };

function packageRoot(): string | null {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

// The prebuilt addon node-gyp-build chooses under dir, if any. The hooks addon sits beside it
// untagged, so the tagged tophash.<tags>.node always ranks first; the name check is a guard.
function prebuilt(dir: string): string | null {
  try {
    const file = nodeGypBuild.path(dir);
    return path.basename(file).startsWith('tophash_hooks') ? null : file;
  } catch {
    return null;
  }
}

function notFound(tried: string[], bundled: boolean): Error {
  const platform = `${process.platform}-${process.arch}`;
  const where = `looked for ${tried.join(', ')}, and for prebuilds/${platform}/ there`;
  if (bundled) {
    return new Error(
      `tophash: the native addon was not found beside this bundled code (${where}). ` +
        'Bundlers (esbuild, webpack, ...) do not copy .node files: copy node_modules/tophash/prebuilds ' +
        `(or, for an addon built from source, node_modules/tophash/build/Release/*.node) into ${__dirname}, ` +
        'or set TOPHASH_NATIVE to the path of the tophash .node file; ' +
        "see the README's Bundlers section.",
    );
  }
  return new Error(
    `tophash: the native addon is not built and no prebuilt binary matches ${platform} (${where}). ` +
      'Run `npm rebuild tophash --build-from-source` (or `npm run build` in a clone); it needs python3, make ' +
      'and a C++17 compiler. If the addon is elsewhere, set TOPHASH_NATIVE to its path.',
  );
}

/** The tophash addon to load: TOPHASH_NATIVE, a build from source, or the prebuilt binary. */
export function locateAddon(): string {
  const explicit = process.env.TOPHASH_NATIVE;
  if (explicit) {
    const file = path.resolve(explicit);
    if (!fs.existsSync(file)) {
      throw new Error(`tophash: TOPHASH_NATIVE is set to ${explicit}, but ${file} does not exist.`);
    }
    return file;
  }
  const root = packageRoot();
  const base = root ?? __dirname;
  const tried = root === null ? [path.join(base, ADDON)] : BUILD_DIRS.map((dir) => path.join(base, dir, ADDON));
  const file = tried.find((f) => fs.existsSync(f)) ?? prebuilt(base);
  if (file === undefined || file === null) throw notFound(tried, root === null);
  return file;
}

/** The test and benchmark hooks addon: beside the tophash addon that was loaded, else in the build folders. */
export function locateHooks(addonFile: string): string | undefined {
  const root = packageRoot();
  const builds = root === null ? [] : BUILD_DIRS.map((dir) => path.join(root, dir, HOOKS));
  return [path.join(path.dirname(addonFile), HOOKS), ...builds].find((f) => fs.existsSync(f));
}
