#!/usr/bin/env bash
# Runs scripts/valgrind/smoke.js (the addon through its public API) under
# valgrind memcheck: any invalid read/write, use of uninitialised memory in
# tophash's code or definitely-lost block fails the run. Needs a built addon
# (npm run build) and the Debian package valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null; then
  echo "valgrind not installed (apt-get install valgrind)" >&2
  exit 1
fi
log=$(mktemp)
status=0
valgrind --error-exitcode=9 --leak-check=full --show-leak-kinds=definite \
  --errors-for-leak-kinds=definite --suppressions=scripts/valgrind/node.supp \
  node --expose-gc scripts/valgrind/smoke.js >"$log" 2>&1 || status=$?
grep -E "ERROR SUMMARY|definitely lost|indirectly lost|^ok$" "$log" || true
if [ "$status" -ne 0 ]; then
  cat "$log" >&2
  echo "valgrind: memcheck failed (exit $status)" >&2
fi
rm -f "$log"
exit "$status"
