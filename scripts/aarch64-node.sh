#!/usr/bin/env bash
# An arm64 Node to load the cross-built addon under qemu-aarch64, without
# installing anything for the host: Debian's nodejs:arm64 (Node 18; the addon
# uses Node-API 8, which it has) and its libraries are downloaded as .deb
# files and unpacked into a folder that qemu uses as the root (-L).
#   scripts/aarch64-node.sh DIR    ->  DIR/usr/bin/node (aarch64)
set -euo pipefail
root=$(realpath -m "${1:?usage: aarch64-node.sh DIR}")
if [ -x "$root/usr/bin/node" ]; then exit 0; fi
packages=(nodejs libnode108 libbrotli1 libc-ares2 libicu72 libnghttp2-14 libssl3 libuv1 zlib1g
  libstdc++6 libgcc-s1 libc6)
debs=$(mktemp -d)
trap 'rm -rf "$debs"' EXIT
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -qq
fi
(cd "$debs" && apt-get download -qq "${packages[@]/%/:arm64}" node-acorn node-cjs-module-lexer \
  node-undici node-busboy 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
mkdir -p "$root"
for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
[ -x "$root/usr/bin/node" ] || { echo "no arm64 node in $root" >&2; exit 1; }
