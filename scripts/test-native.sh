#!/usr/bin/env bash
# Native unit tests: the GoogleTest suites built plain and under ASan + UBSan,
# and the concurrency suites (offload: rings, shared aggregator, offload
# thread) under ThreadSanitizer when clang is there.
# The plain build runs twice: on this CPU as it is, and with
# TOPHASH_CPU_MASK=0x1, which hides every feature above the x86-64 baseline,
# so the SSE2-only path (what an old CPU or a bare VM gets; the build itself
# uses no -m flags) is tested on any machine. Each run is split into one
# shard per core; results land in build-native-*/results-*.json, which
# scripts/kernel-report.js turns into the table of which kernels ran. The
# release build's test executable is also checked for every batch pipeline
# stage (scripts/check-pipeline-stages.js), as the addon is by npm test: the
# two are built with different flags.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

# run_suites DIR LABEL [VAR=value ...]
run_suites() {
  local dir=$1 label=$2 status=0 i
  shift 2
  echo "== native tests ($label) =="
  rm -f "$dir"/results-"$label"-*.json
  local pids=()
  for ((i = 0; i < jobs; i++)); do
    env "$@" GTEST_TOTAL_SHARDS="$jobs" GTEST_SHARD_INDEX="$i" \
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$dir/tophash_tests" --gtest_brief=1 --gtest_output="json:$dir/results-$label-$i.json" \
      >"$dir/log-$label-$i.txt" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      status=1
      cat "$dir/log-$label-$i.txt"
    fi
  done
  grep -h -E '^\[ +(PASSED|SKIPPED|FAILED) +\] [0-9]+ test' "$dir"/log-"$label"-*.txt || true
  return "$status"
}

for variant in release sanitize; do
  dir=build-native-$variant
  flags=(-DCMAKE_BUILD_TYPE=Release)
  [ "$variant" = sanitize ] && flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOPHASH_SANITIZE=ON)
  cmake -S . -B "$dir" "${flags[@]}" >/dev/null
  cmake --build "$dir" -j "$jobs" >/dev/null
  run_suites "$dir" "$variant"
  if [ "$variant" = release ]; then
    run_suites "$dir" sse2-only TOPHASH_CPU_MASK=0x1
    echo "== batch pipeline stages (cmake release build) =="
    node scripts/check-pipeline-stages.js "$dir/tophash_tests"
  fi
done

if command -v clang++ >/dev/null; then
  echo "== native tests (ThreadSanitizer: offload rings and threads) =="
  cmake -S . -B build-native-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTOPHASH_TSAN=ON \
    -DCMAKE_CXX_COMPILER=clang++ >/dev/null
  cmake --build build-native-tsan -j "$jobs" >/dev/null
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 build-native-tsan/tophash_tsan_tests --gtest_brief=1 \
    --gtest_output="json:build-native-tsan/results-tsan.json"
else
  echo "== native tests (ThreadSanitizer): skipped, clang++ not found =="
fi
