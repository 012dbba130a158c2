#!/usr/bin/env bash
# Builds the Debian package emsync_<version>_amd64.deb from this tree with
# CPack's DEB generator (packaging/CMakeLists.txt; README.md, "The Debian
# package", says why CPack) and prints its path. The version is CMake's
# project(VERSION). Debian 12, as root for the missing build packages.
#
#   tools/package.sh [BUILD_DIR]
#
# BUILD_DIR (default build/) is configured as tools/build.sh does, so the tree
# tools/test.sh built is reused: only the binaries, the man pages and the
# changelog are built. The package is written to BUILD_DIR/package/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$root/build}")
"$root/tools/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMSYNC_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target emsyncd emsyncctl man_pages deb_changelog
rm -rf "$build/package"
if ! cpack --config "$build/CPackConfig.cmake" -B "$build/package" >"$build/cpack.log" 2>&1; then
  cat "$build/cpack.log" >&2
  echo "package.sh: cpack failed (log: $build/cpack.log)" >&2
  exit 1
fi
deb=$(ls "$build"/package/emsync_*.deb)
echo "$deb"
