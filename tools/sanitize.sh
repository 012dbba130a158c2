#!/usr/bin/env bash
# The sanitizer check of CI: builds the asan preset (clang-16, ASan + UBSan,
# UBSan fatal) into build-asan/ (the libraries, the unit tests and the fuzz
# targets; not the daemon, the integration tests or the benchmarks), runs the
# unit tests, then runs every fuzz target once over each input of its
# committed corpus fuzz/corpus/<target>/ (no fuzzing: tools/fuzz.sh does
# that). Exits non-zero on a failed test or any sanitizer report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/install-deps.sh"
cd "$root"
cmake --preset asan >/dev/null
cmake --build build-asan -j"$(nproc)" --target unit_tests fuzz

# Reports with function names and lines (the clang-16 runtime does not find
# llvm-symbolizer by itself).
symbolizer=$(command -v llvm-symbolizer-16 || command -v llvm-symbolizer || true)
export ASAN_OPTIONS=${symbolizer:+external_symbolizer_path=$symbolizer}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1${symbolizer:+:external_symbolizer_path=$symbolizer}
# systemd.units (labelled unit) checks the installed unit files, not code: tools/test.sh runs it.
ctest --test-dir build-asan -L unit -E '^systemd[.]' --output-on-failure --timeout 1500

for dir in fuzz/corpus/*/; do
  target=$(basename "$dir")
  inputs=("$dir"*)
  echo "== fuzz_$target over ${#inputs[@]} corpus inputs"
  if ! build-asan/fuzz/fuzz_"$target" "${inputs[@]}" >"build-asan/fuzz_$target.log" 2>&1; then
    tail -n 40 "build-asan/fuzz_$target.log" >&2
    echo "sanitize.sh: fuzz_$target failed on its corpus (log: build-asan/fuzz_$target.log)" >&2
    exit 1
  fi
done
echo "sanitize.sh: unit tests and fuzz corpora clean under ASan + UBSan"
