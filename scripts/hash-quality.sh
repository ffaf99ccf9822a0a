#!/usr/bin/env bash
# The full keyset quality run of the hash families (several minutes; CI runs a
# subset inside the native tests). Builds the GoogleTest binary, runs the
# keyset, avalanche and flooding suites at full size for every hash kernel
# this CPU has, and prints the results as Markdown tables (the README's
# "Hash quality" section is this output).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-native-release
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)" --target tophash_tests >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
TOPHASH_HASH_QUALITY=full "$dir/tophash_tests" \
  --gtest_filter='*HashQuality*:*Flooding*' >"$log" 2>&1 || status=$?
grep -E '^\[ +(FAILED|PASSED) +\]' "$log" >&2 || true
node scripts/hash-quality-report.js <"$log"
exit "$status"
