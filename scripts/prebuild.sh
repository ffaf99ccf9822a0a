#!/usr/bin/env bash
# The prebuilt binaries the package ships (npm run build:prebuilds, before npm
# pack): prebuildify builds both addons against this machine's Node headers
# (npm's nodedir setting, else the ones beside `node`) into
# prebuilds/<platform>-<arch>/, linux-x64 natively and linux-arm64 with Debian's
# g++-aarch64-linux-gnu. They are Node-API builds, so one file serves every Node
# version the package accepts. The addon is named tophash.glibc.node: its libc
# tag makes node-gyp-build prefer it over the untagged tophash_hooks.node beside it.
# The builds run in a copy of the sources (build-prebuild/), because prebuildify
# moves the addon out of build/Release, and build/ is the one the tests use.
# They are not stripped: the symbols let scripts/check-pipeline-stages.js check
# the very binary that ships (scripts/test-aarch64.sh does, for arm64).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
stage=$root/build-prebuild
nodedir=$(npm config get nodedir 2>/dev/null || true)
[ -d "$nodedir/include/node" ] || nodedir=$(dirname "$(dirname "$(command -v node)")")
export npm_config_nodedir=$nodedir JOBS=${JOBS:-2}
target=$(node -p process.versions.node)

rm -rf prebuilds "$stage"
mkdir -p "$stage/scripts"
cp -r package.json binding.gyp native "$stage/"
cp scripts/list-sources.js scripts/prebuild-node-gyp.sh "$stage/scripts/"

prebuild() {
  npx --no-install prebuildify --cwd "$stage" --out "$root" --napi --target "$target" --tag-libc --quiet \
    --node-gyp "$stage/scripts/prebuild-node-gyp.sh" --artifacts "$stage/build/hooks" "$@"
}

if command -v aarch64-linux-gnu-g++ >/dev/null; then
  echo "== prebuild linux-arm64 (cross-built with aarch64-linux-gnu-g++) =="
  CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
    prebuild --arch arm64
else
  echo "prebuild: no aarch64-linux-gnu-g++ (Debian's g++-aarch64-linux-gnu): no linux-arm64 prebuild" >&2
fi

echo "== prebuild $(node -p 'process.platform + "-" + process.arch') =="
prebuild

find prebuilds -type f -name '*.node' -exec ls -l {} +
