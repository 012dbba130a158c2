#!/usr/bin/env bash
# Draws the sync benchmark's chart: wall seconds against N (both log scales)
# for the reference (`psql \copy` of the model query) and the no-change rerun,
# with the issue #6 target (1.5 x the reference) dashed, from a results JSON of
# bench/sync_bench.sh.
#
#   bench/plot.sh [--results FILE] [--out PNG]
#
#   --results FILE  default: the latest run (by its "started" time) in bench/results
#                   of the default source (not --source cursor or odbc)
#   --out PNG       default: bench/results/chart.png
#
# Needs jq and gnuplot (Debian 12: apt-get install gnuplot-nox).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
results="" out="$here/results/chart.png"
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --results) results=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "plot: unknown argument '$1'" >&2; usage ;;
  esac
done
for tool in jq gnuplot; do
  command -v "$tool" >/dev/null || { echo "plot: $tool is missing (Debian 12: apt-get install gnuplot-nox jq)" >&2; exit 2; }
done
if [ -z "$results" ]; then
  results=$(for f in "$here"/results/*.json; do
              # the PostgreSQL (COPY) results only: not --source cursor/odbc runs
              [ -e "$f" ] && jq -r --arg f "$f" 'select((.source.kind // "postgres") == "postgres") | "\(.started) \($f)"' "$f"
            done | sort | tail -1 | cut -d' ' -f2-)
  [ -n "$results" ] || { echo "plot: no results in $here/results: run bench/sync_bench.sh first" >&2; exit 2; }
fi

data=$(mktemp /tmp/emsync-plot.XXXXXX)
trap 'rm -f "$data"' EXIT
jq -r '.sizes[] | "\(.n) \(.phases.reference.wall_s) \(.phases.rerun.wall_s)"' "$results" >"$data"
title=$(jq -r '"emsync no-change rerun vs psql \\\\copy, \(.started[0:10]), commit \(.commit), \(.machine.nproc) cores"' "$results")

gnuplot <<GNUPLOT
set terminal pngcairo size 900,560 font "sans,11"
set output "$out"
set title "$title"
set xlabel "contacts in the model (N)"
set ylabel "wall seconds"
set logscale xy
set format x "%.0s%c"
set grid
set key top left
set xrange [$(jq '.sizes[0].n / 2' "$results"):$(jq '.sizes[-1].n * 2' "$results")]
plot "$data" using 1:2 with linespoints lw 2 pt 7 title "reference: psql \\\\copy (model query) TO /dev/null", \
     "$data" using 1:3 with linespoints lw 2 pt 5 title "emsyncd no-change rerun", \
     "$data" using 1:(\$2 * 1.5) with lines dt 2 lw 1 lc rgb "gray40" title "target: 1.5 x reference"
GNUPLOT
echo "plot: $out (from $results)"
