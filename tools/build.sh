#!/usr/bin/env bash
# Configures (Ninja, ccache) and builds emsync into build/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMSYNC_WERROR=ON >/dev/null
cmake --build "$root/build" -j"$(nproc)"
