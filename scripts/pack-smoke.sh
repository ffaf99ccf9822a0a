#!/usr/bin/env bash
# The release check: `npm pack` this checkout (with the prebuilt binaries of
# scripts/prebuild.sh, built first if prebuilds/ is missing), look inside the
# tarball, install it into an empty folder the way a user would but with the
# compilers hidden (the prebuilt linux-x64 addon must be used; only
# node-addon-api and node-gyp-build come from the registry), check that
# --build-from-source still compiles, check the linux-arm64 binary and load it
# in an arm64 Node under qemu, then load the package with require() and
# import, run a smoke op both ways, run the `tophash` CLI, bundle an app with
# esbuild and run it, and type-check a consumer in both module systems against
# the published .d.ts files.
#
#   bash scripts/pack-smoke.sh          (npm run test:pack)
#   KEEP=1 bash scripts/pack-smoke.sh   keep the temp folder for a look
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

work=$(mktemp -d "${TMPDIR:-/tmp}/tophash-pack.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "keeping $work"; fi
mkdir "$work/tarball" "$work/app"

if [ ! -d prebuilds/linux-x64 ]; then
  echo "== prebuilt binaries (scripts/prebuild.sh) =="
  npm run build:prebuilds --silent
fi

echo "== npm pack (prepack cleans and rebuilds dist/src) =="
npm pack --silent --pack-destination "$work/tarball" >/dev/null
tarball=$(ls "$work"/tarball/*.tgz)
tar -tzf "$tarball" | sed 's#^package/##' | sort >"$work/files.txt"
echo "$(basename "$tarball"): $(wc -l <"$work/files.txt") files, $(du -k "$tarball" | cut -f1) KiB"

fail=0
for need in package.json README.md LICENSE binding.gyp scripts/list-sources.js \
  dist/src/index.js dist/src/index.d.ts dist/src/index.mjs dist/src/index.d.mts \
  dist/src/prom.js dist/src/prom.d.ts dist/src/prom.mjs dist/src/prom.d.mts \
  dist/src/otel.js dist/src/otel.d.ts dist/src/otel.mjs dist/src/otel.d.mts \
  native/addon/addon.cpp native/core/table.h dist/scripts/cli.js dist/bench/run.js dist/bench/workloads/w1.js \
  prebuilds/linux-x64/tophash.glibc.node prebuilds/linux-x64/tophash_hooks.node \
  prebuilds/linux-arm64/tophash.glibc.node prebuilds/linux-arm64/tophash_hooks.node; do
  grep -qxF "$need" "$work/files.txt" || { echo "missing from the tarball: $need"; fail=1; }
done
# Every C++ source binding.gyp compiles must be in the tarball.
while read -r src; do
  grep -qxF "$src" "$work/files.txt" || { echo "missing from the tarball: $src (binding.gyp builds it)"; fail=1; }
done < <(node scripts/list-sources.js addon && node scripts/list-sources.js hooks)
# Nothing that is not needed to install or use the package.
# The CLI ships as compiled JavaScript only (dist/scripts, dist/bench), without declarations or maps.
# The CLI ships as compiled JavaScript only (dist/scripts, dist/bench), without declarations or maps;
# the only .node files are the prebuilt ones.
if grep -v '^prebuilds/' "$work/files.txt" |
  grep -E '^(test|bench|src|docs|build[^/]*|native/test)/|\.(node|tgz|o)$|^scripts/.*\.(ts|sh)$|^dist/(bench|scripts)/.*\.(d\.ts|map)$'; then
  echo "the files above should not be in the tarball"
  fail=1
fi
[ "$fail" = 0 ] || exit 1

# Stand-ins that fail loudly, first on PATH: what an install runs of them is a compile.
hidden="$work/no-compilers"
mkdir "$hidden"
for tool in cc gcc g++ c++ clang clang++ make python python3; do
  printf '#!/bin/sh\necho "pack smoke: %s is hidden" >&2\nexit 1\n' "$tool" >"$hidden/$tool"
  chmod +x "$hidden/$tool"
done

echo "== npm install <tarball> into an empty folder, compilers hidden (the prebuilt addon is used) =="
cd "$work/app"
echo '{ "name": "tophash-pack-smoke", "version": "1.0.0", "private": true }' >package.json
start=$(date +%s)
PATH="$hidden:$PATH" npm install --no-audit --no-fund "$tarball"
echo "installed in $(($(date +%s) - start)) s"
if [ -e node_modules/tophash/build ]; then
  echo "the install compiled the addon although a prebuilt one matches this platform"
  exit 1
fi
node -e "
  const file = require('node-gyp-build').path(require.resolve('tophash/package.json').replace(/package.json$/, ''));
  if (!/prebuilds[/]linux-x64[/]tophash[.]glibc[.]node$/.test(file)) throw new Error('node-gyp-build chose ' + file);
  const hooks = require(require.resolve('tophash').replace(/index[.]js$/, 'runtime/native.js')).loadHooks();
  console.log('prebuilt: ' + file.replace(process.cwd() + '/', '') + '; hooks beside it: ' + typeof hooks.memoryFloor);"

echo "== npm install --build-from-source runs node-gyp although a prebuilt addon fits (and fails here, compilers hidden) =="
mkdir "$work/app-src"
cp package.json "$work/app-src/"
if (cd "$work/app-src" && PATH="$hidden:$PATH" npm install --no-audit --no-fund --build-from-source "$tarball" >build.log 2>&1); then
  echo "npm install --build-from-source succeeded without compilers: it did not build from source"
  exit 1
fi
grep -m1 'gyp ERR! command .*"rebuild"' "$work/app-src/build.log"

echo "== the linux-arm64 prebuild: an aarch64 ELF exporting the Node-API entry point =="
arm=node_modules/tophash/prebuilds/linux-arm64
for addon in "$arm/tophash.glibc.node" "$arm/tophash_hooks.node"; do
  file -b "$addon" | grep -q 'ARM aarch64' || { echo "$addon is not an aarch64 ELF: $(file -b "$addon")"; exit 1; }
  aarch64-linux-gnu-readelf --dyn-syms -W "$addon" | grep ' napi_register_module_v1$' >/dev/null ||
    { echo "$addon does not export napi_register_module_v1"; exit 1; }
  echo "$(basename "$addon"): $(file -b "$addon" | cut -d, -f1-2), exports napi_register_module_v1"
done
if command -v qemu-aarch64 >/dev/null && bash "$root/scripts/aarch64-node.sh" "$root/build-aarch64/node-root"; then
  armroot="$root/build-aarch64/node-root"
  qemu-aarch64 -L "$armroot" "$armroot/usr/bin/node" -e "
    const { U64Map, cpu, kernels } = require('tophash');
    const file = require('node-gyp-build').path(require.resolve('tophash/package.json').replace(/package.json$/, ''));
    const m = new U64Map();
    m.setBatch(new Float64Array([1, 2]), new Float64Array([10, 20]));
    if (m.get(2) !== 20 || cpu().arch !== 'arm64') throw new Error('arm64 prebuild gave a wrong answer');
    console.log('arm64 Node ' + process.version + ' under qemu loaded ' + file.replace(process.cwd() + '/', '') +
      '; kernels ' + kernels().filter((k) => k.supported).map((k) => k.name).join(','));"
else
  echo "no arm64 Node under qemu here (qemu-user, or apt for Debian's nodejs:arm64, missing): arm64 prebuild not loaded"
fi

echo "== require('tophash') =="
node -e "
  const t0 = process.hrtime.bigint();
  const { U64Map, kernels, cpu } = require('tophash');
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = new U64Map({ capacity: 16 });
  m.set(42, 1.5).set(2n ** 60n, 7);
  if (m.get(42) !== 1.5 || m.get(2n ** 60n) !== 7) throw new Error('set/get gave a wrong answer');
  if (m.setBatch(new Float64Array([1, 2, 3]), new Float64Array([10, 20, 30])) !== 3) throw new Error('setBatch');
  const out = new Float64Array(3), found = new Uint8Array(3);
  if (m.getBatch(new BigUint64Array([1n, 9n, 3n]), out, found) !== 2) throw new Error('getBatch hits');
  if (out[0] !== 10 || !Number.isNaN(out[1]) || out[2] !== 30 || found.join() !== '1,0,1') throw new Error('getBatch out');
  m.close();
  console.log('require: ok in ' + ms.toFixed(1) + ' ms; kernels ' + kernels().filter((k) => k.active).map((k) => k.name) +
    '; ' + cpu().arch);"

echo "== npx tophash probe --json (the CLI the package puts on PATH) =="
npx --no-install tophash probe --json >probe.json
node -e "
  const r = require('./probe.json'), { kernels } = require('tophash');
  if (r.tophash !== require('tophash/package.json').version) throw new Error('probe version: ' + r.tophash);
  if (r.kernels.length !== kernels().length || r.calibration === null) throw new Error('probe report incomplete');
  console.log('tophash probe: ok; ' + r.cpu.model + '; selected ' + r.selected.match.kernel + '/' + r.selected.hash.kernel);"
# The bench's harness and baselines are dev dependencies: without them it must say what to install.
if npx --no-install tophash bench --quick --workloads W1 2>bench.err; then
  echo "tophash bench should refuse to run without tinybench"
  exit 1
fi
grep -F 'needs tinybench' bench.err

echo "== import { U64Map } from 'tophash' =="
node --input-type=module -e "
  import { U64Map, kernels, cpu, hash, hashBatch, CodedError } from 'tophash';
  import { createRequire } from 'node:module';
  const cjs = createRequire(import.meta.url)('tophash');
  if (U64Map !== cjs.U64Map || CodedError !== cjs.CodedError) throw new Error('ESM and CJS entries differ');
  const m = new U64Map();
  m.setBatch(new Uint32Array([5, 6]), new Float64Array([50, 60]));
  const out = new Float64Array(2);
  if (m.getBatch(new Float64Array([6, 5]), out) !== 2 || out[0] !== 60 || out[1] !== 50) throw new Error('getBatch');
  if (m.get(5n) !== 50) throw new Error('get');
  if (typeof hash('x') !== 'bigint' || hashBatch(new BigUint64Array(2)).length !== 2) throw new Error('hash');
  m.close();
  try { m.size; throw new Error('no ERR_CLOSED'); } catch (e) { if (!(e instanceof CodedError)) throw e; }
  console.log('import: ok; ' + kernels().length + ' kernels; ' + cpu().arch);"

echo "== tophash/prom beside prom-client (its optional peer, from npm's cache) =="
npm install --no-audit --no-fund --prefer-offline --no-save prom-client@"$(node -p "require('$root/node_modules/prom-client/package.json').version")" >/dev/null
node -e "
  const { Histogram } = require('tophash/prom');
  const { register } = require('prom-client');
  const h = new Histogram({ name: 'smoke_seconds', help: 'pack smoke', labelNames: ['route'], buckets: [0.1, 1] });
  h.observe({ route: '/a' }, 0.5);
  register.metrics().then((text) => {
    if (!text.includes('smoke_seconds_bucket{route=\"/a\",le=\"1\"} 1')) throw new Error('tophash/prom text: ' + text);
    console.log('tophash/prom (require): ok');
  });"
node --input-type=module -e "
  import { Counter } from 'tophash/prom';
  import { Registry } from 'prom-client';
  const registry = new Registry();
  const c = new Counter({ name: 'smoke_total', help: 'pack smoke', registers: [registry] });
  c.inc(2);
  const text = await registry.metrics();
  if (!text.includes('smoke_total 2')) throw new Error('tophash/prom ESM text: ' + text);
  console.log('tophash/prom (import): ok');"

echo "== an esbuild bundle of an app using tophash and tophash/prom, run away from node_modules =="
cat >bundle-app.js <<'EOF'
const { U64Map } = require('tophash');
const { Histogram } = require('tophash/prom');
const { register } = require('prom-client');
const m = new U64Map();
m.set(7, 70);
const h = new Histogram({ name: 'bundle_seconds', help: 'bundled', buckets: [1] });
h.observe(0.5);
register.metrics().then((text) => {
  if (m.get(7) !== 70 || !text.includes('bundle_seconds_bucket{le="1"} 1')) throw new Error('bundle: ' + text);
  console.log('bundled app: ok (tophash, tophash/prom and prom-client in one file, the addon copied beside it)');
});
EOF
"$root/node_modules/.bin/esbuild" bundle-app.js --bundle --platform=node --log-level=warning --outfile="$work/bundle/app.js"
if node "$work/bundle/app.js" 2>bundle.err; then
  echo "the bundle ran without its addon beside it"
  exit 1
fi
grep -o 'tophash: the native addon was not found beside this bundled code' bundle.err
grep -q 'TOPHASH_NATIVE' bundle.err || { echo "the error does not name TOPHASH_NATIVE:"; cat bundle.err; exit 1; }
cp -r node_modules/tophash/prebuilds "$work/bundle/"
node "$work/bundle/app.js"

echo "== tophash bench with its harness installed: runs, and names the rows it skips =="
npm install --no-audit --no-fund --prefer-offline --no-save tinybench@"$(node -p "require('$root/node_modules/tinybench/package.json').version")" >/dev/null
npx --no-install tophash bench --quick --workloads W1 --sizes 1000 --no-progress --out "$work/bench" >bench.md 2>bench.err
grep -F 'C++ absl::flat_hash_map: bench/native/baselines.cpp not found' bench.md >/dev/null ||
  { echo "the bench did not say it skipped the C++ rows:"; cat bench.md bench.err; exit 1; }
if npx --no-install tophash bench --quick --workloads W4 2>bench.err; then
  echo "tophash bench W4 should refuse to run without its xxhash baselines"
  exit 1
fi
grep -F 'W4 cannot run here: it needs @node-rs/xxhash' bench.err
echo "tophash bench: ok ($(grep -c '^|' bench.md) table lines)"

echo "== deep imports are closed by the exports map =="
if node -e "require('tophash/dist/src/runtime/native')" 2>/dev/null; then
  echo "tophash/dist/src/runtime/native should not resolve"
  exit 1
fi
node -e "console.log('package.json export: ' + require('tophash/package.json').version)"

echo "== tophash/otel loads without its optional peer (it uses the SDK's types only) =="
node -e "
  const { TophashMetricProducer } = require('tophash/otel');
  const { Aggregator } = require('tophash');
  const queries = new Aggregator({ key: 'string' });
  queries.record('select', 3);
  new TophashMetricProducer({ aggregators: [{ name: 'db.queries', aggregator: queries }] }).collect().then((r) => {
    const scope = r.resourceMetrics.scopeMetrics[0];
    if (scope?.scope.name !== 'tophash' || scope.metrics[0].descriptor.name !== 'db.queries') {
      throw new Error('tophash/otel: ' + JSON.stringify(r));
    }
    console.log('tophash/otel (require): ok');
  });
"
node --input-type=module -e "
  import { TophashMetricProducer } from 'tophash/otel';
  if (typeof TophashMetricProducer !== 'function') throw new Error('tophash/otel ESM: ' + typeof TophashMetricProducer);
  console.log('tophash/otel (import): ok');
"

echo "== the published types, from CommonJS and ESM consumers (tsc, nodenext) =="
cat >consumer.cts <<'EOF'
import { U64Map, kernels, type KernelInfo, type MapStats } from 'tophash';
const m = new U64Map({ capacity: 8, match: 'scalar' });
const hits: number = m.getBatch(new Float64Array(1), new Float64Array(1), new Uint8Array(1));
const stats: MapStats = m.stats();
const ks: KernelInfo[] = kernels();
// @ts-expect-error Int32Array keys are refused
m.setBatch(new Int32Array(1), new Float64Array(1));
export { hits, stats, ks };
EOF
cat >consumer.mts <<'EOF'
import { U64Map, cpu, hash, type CpuInfo, type U64Key } from 'tophash';
const m = new U64Map({ hash: 'fold', seed: 1n });
const v: number | undefined = m.get(1n);
const k: U64Key[] = [...m.keys()];
const c: CpuInfo = cpu();
const h: bigint = hash('x');
// @ts-expect-error an unknown kernel name
new U64Map({ match: 'sse9' });
export { v, k, c, h };
EOF
"$root/node_modules/.bin/tsc" --noEmit --strict --module nodenext --moduleResolution nodenext \
  --target es2022 --lib es2023,esnext.disposable --types node --typeRoots "$root/node_modules/@types" \
  consumer.cts consumer.mts
echo "types: ok (consumer.cts, consumer.mts)"

echo "== the published types under the older moduleResolution \"node\" (typesVersions) =="
# The bench step's install pruned prom-client (installed with --no-save, so extraneous); the
# tophash/prom types import it.
npm install --no-audit --no-fund --prefer-offline --no-save prom-client@"$(node -p "require('$root/node_modules/prom-client/package.json').version")" >/dev/null
mkdir node10 && cat >node10/consumer.ts <<'EOF'
import { Aggregator } from 'tophash';
import { Histogram } from 'tophash/prom';
const agg = new Aggregator({ key: { labels: ['route'] } });
agg.record({ route: '/a' }, 1);
// @ts-expect-error a label the aggregator was not made with
agg.record({ verb: 'GET' }, 1);
const h = new Histogram({ name: 'h', help: 'h', labelNames: ['route'] });
h.observe({ route: '/a' }, 0.1);
export { agg, h };
EOF
"$root/node_modules/.bin/tsc" --noEmit --strict --module commonjs --moduleResolution node \
  --target es2022 --lib es2023,esnext.disposable --types node --typeRoots "$root/node_modules/@types" \
  node10/consumer.ts
echo "types: ok (moduleResolution node finds tophash and tophash/prom)"
echo "pack smoke: ok"
