#!/usr/bin/env bash
# Builds the libFuzzer targets (native/test/fuzz_*.cpp) with clang under
# ASan/UBSan and runs each for $1 seconds (default 60), starting from the
# committed seed corpus in native/test/corpus/<target>/. New inputs go to a
# scratch copy, so a CI run leaves the tree as it was; a crash is saved as
# build-fuzz/crash-* and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
cmake -S . -B build-fuzz -DTOPHASH_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="${CXX_FUZZ:-clang++}" >/dev/null
cmake --build build-fuzz -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
for bin in build-fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  work=$(mktemp -d)
  [ -d "native/test/corpus/$name" ] && cp -r "native/test/corpus/$name/." "$work/"
  echo "== $name for ${seconds}s =="
  "$bin" "$work" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -artifact_prefix=build-fuzz/crash- -print_final_stats=1 2>&1 | grep -E "^(#|stat::|==|SUMMARY|Done)" | tail -6
  rm -rf "$work"
done
