#!/usr/bin/env bash
# Arm (aarch64) in one command, on an x86-64 host: cross-compiles the engine
# and the GoogleTest suites with Debian's g++-aarch64-linux-gnu (GoogleTest
# itself from the sources libgtest-dev ships), runs them under qemu-aarch64
# (Debian's qemu-user), where every suite is instantiated once per match/hash
# kernel pair the emulated CPU reports (scalar, swar, neon x aes-portable,
# fold), then takes the addon's arm64 prebuild (or, without a fresh one,
# cross-builds the addon itself against Node's headers), checks it
# is an aarch64 ELF exporting the Node-API entry point and keeping every
# batch pipeline stage (scripts/check-pipeline-stages.js), and loads it in an
# arm64 Node under qemu (Debian's nodejs:arm64 unpacked into a folder, not
# installed: scripts/aarch64-node.sh), where scripts/aarch64-smoke.js checks
# the Arm probe and every kernel pair against a JS Map.
# Emulation says nothing about speed; the keyset quality suite runs at its
# smoke size here (TOPHASH_HASH_QUALITY=smoke), the rest in full.
#   scripts/test-aarch64.sh [gtest args...]   results: build-aarch64/results.json
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
dir=build-aarch64
sysroot=/usr/aarch64-linux-gnu

echo "== aarch64: native suites (cross-built, under qemu-aarch64) =="
cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE=scripts/aarch64-toolchain.cmake \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$dir" -j "$jobs" --target tophash_tests >/dev/null
# Two kinds of test run natively only (a filter given on the command line
# replaces this one): death tests in the "threadsafe" style re-exec the test
# binary, which qemu-user cannot do (execv of an aarch64 binary fails with
# ENOEXEC); and the pinned table's crash tests, whose killed child leaves a
# robust mutex locked: qemu-user does not pass the robust futex list to the
# kernel, so the lock is never marked EOWNERDEAD and the next locker waits
# forever.
TOPHASH_HASH_QUALITY=smoke qemu-aarch64 -L "$sysroot" "$dir/tophash_tests" \
  --gtest_output="json:$dir/results.json" --gtest_brief=1 \
  --gtest_filter='-*DeathTest.*:*PinnedCrash*' "$@"

# The arm64 prebuild the package ships (scripts/prebuild.sh: node-gyp with the same cross compiler)
# is the binary to check when it is newer than every native source; else it is cross-built here.
addon=prebuilds/linux-arm64/tophash.glibc.node
if [ -f "$addon" ] && [ -z "$(find native binding.gyp -newer "$addon" -type f -print -quit)" ]; then
  echo "== aarch64: the addon, as prebuilt for the package =="
else
  echo "== aarch64: the addon, cross-built against Node's headers =="
  nodedir=$(npm config get nodedir 2>/dev/null || true)
  [ -d "$nodedir/include/node" ] || nodedir=$(dirname "$(dirname "$(command -v node)")")
  cmake -S . -B "$dir/addon" -DCMAKE_TOOLCHAIN_FILE=scripts/aarch64-toolchain.cmake \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_JS_VERSION=cross -DCMAKE_JS_INC="$nodedir/include/node" \
    -DCMAKE_JS_SRC= -DCMAKE_JS_LIB= >/dev/null
  cmake --build "$dir/addon" -j "$jobs" --target tophash >/dev/null
  addon="$dir/addon/tophash.node"
fi
file -b "$addon" | grep -q 'ARM aarch64' || { echo "$addon is not an aarch64 ELF" >&2; exit 1; }
aarch64-linux-gnu-nm -D --defined-only "$addon" | grep -q napi_register_module_v1 ||
  { echo "$addon does not export napi_register_module_v1" >&2; exit 1; }
echo "$addon: $(file -b "$addon" | cut -d, -f1-2), exports napi_register_module_v1"
OBJDUMP=aarch64-linux-gnu-objdump node scripts/check-pipeline-stages.js "$addon"

echo "== aarch64: the addon in an arm64 Node under qemu =="
bash scripts/aarch64-node.sh "$dir/node-root"
TOPHASH_NATIVE="$PWD/$addon" qemu-aarch64 -L "$PWD/$dir/node-root" "$dir/node-root/usr/bin/node" \
  scripts/aarch64-smoke.js
