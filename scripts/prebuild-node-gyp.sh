#!/usr/bin/env bash
# The node-gyp that scripts/prebuild.sh hands prebuildify. binding.gyp builds
# two addons into build/Release, and prebuildify takes the first .node file it
# lists there as the one to ship, so the test-and-bench hooks addon is moved
# aside to build/hooks, which prebuildify then copies in as an artifact.
set -euo pipefail
node-gyp "$@"
mkdir -p build/hooks
mv -f build/Release/tophash_hooks.node build/hooks/tophash_hooks.node
