#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (unit + integration with a real PostgreSQL cluster and the Emarsys
# simulator on loopback) through ctest. Exits non-zero when a test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/install-deps.sh"
"$root/tools/build.sh"
cd "$root/build"
ctest --output-on-failure --timeout 1500 -LE bench "$@"
