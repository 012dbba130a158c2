#!/usr/bin/env bash
# Fuzzing: builds the asan preset (clang-16, libFuzzer, ASan + UBSan) into
# build-asan/ and runs every fuzz target in fuzz/ for SECONDS each (default
# 60), or only the TARGETs named (admin_request, config, ...).
#
#   tools/fuzz.sh [SECONDS] [TARGET...]
#
# Each target starts from its committed corpus fuzz/corpus/<target>/ and adds
# the new inputs it finds there (review them with `git status`; commit the
# ones worth keeping; `git clean -f fuzz/corpus` drops every uncommitted one). A crash, a
# sanitizer report, a failed invariant, a hang (10 s) or a leak stops that
# target and leaves its input in build-asan/fuzz-findings/<target>/; the
# script runs the other targets, names every finding and exits 1.
# See README "Fuzzing" for turning a finding into a regression test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift $(($# > 0 ? 1 : 0))
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: tools/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi
targets=("$@")
if ((${#targets[@]} == 0)); then
  for dir in "$root"/fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

"$root/tools/install-deps.sh"
cd "$root"
cmake --preset asan >/dev/null
cmake --build build-asan -j"$(nproc)" --target fuzz

# Reports with function names and lines (the clang-16 runtime does not find
# llvm-symbolizer by itself).
symbolizer=$(command -v llvm-symbolizer-16 || command -v llvm-symbolizer || true)
export ASAN_OPTIONS=${symbolizer:+external_symbolizer_path=$symbolizer}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1${symbolizer:+:external_symbolizer_path=$symbolizer}
findings=()
for target in "${targets[@]}"; do
  binary=build-asan/fuzz/fuzz_$target
  [ -x "$binary" ] || { echo "fuzz.sh: no fuzz target '$target'" >&2; exit 2; }
  out=build-asan/fuzz-findings/$target
  mkdir -p "$out" "fuzz/corpus/$target"
  echo "== fuzz_$target for ${seconds}s"
  if ! "$binary" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$out/" "fuzz/corpus/$target" 2>"$out/log.txt"; then
    tail -n 40 "$out/log.txt" >&2
    input=$(ls -t "$out" | grep -E '^(crash|leak|timeout|oom)-' | head -n 1 || true)
    findings+=("$target: $out/${input:-(no input written, see log.txt)}")
  else
    grep -E '^stat::(number_of_executed_units|new_units_added)' "$out/log.txt" || true
  fi
done

if ((${#findings[@]})); then
  echo "fuzz.sh: findings (reproduce with build-asan/fuzz/fuzz_<target> <file>; log in build-asan/fuzz-findings/<target>/log.txt):" >&2
  printf '  %s\n' "${findings[@]}" >&2
  exit 1
fi
echo "fuzz.sh: no findings"
