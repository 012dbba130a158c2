#!/usr/bin/env bash
# Rate benchmark: how close the real emarsys::Client (one rate limiter per
# API user shared by its Clients, a pool of keep-alive connections) keeps to
# an Emarsys rate limit without tripping it. emarsys-sim on loopback limits
# the API user to LIMIT requests per WINDOW_MS (a short window, so a run
# spans several windows in a minute); emsync-rate-driver sends PUT /contact
# batches of one contact from WORKERS coroutines through CLIENTS Clients of
# that user for SECONDS. Not a pass/fail test of speed: it fails only when
# something does not work (no call succeeds, a tool is missing).
#
#   bench/rate_bench.sh --driver PATH --sim PATH [--seconds 60] [--limit 600]
#                       [--window-ms 10000] [--workers 16] [--clients 2]
#                       [--connections 4] [--rate-per-minute R] [--slow-ms MS]
#                       [--append FILE] [--keep]
#
# R (the destinations' rate_limit_per_minute) defaults to the simulator's
# limit per minute. --slow-ms delays every reply by MS (the simulator's slow
# fault at rate 1), so that latency, not the limit, would cap one connection. Reported, from the simulator's request log (each line
# timestamped on arrival):
#   share     requests answered 200 per second / allowed (LIMIT per WINDOW_MS)
#   429s      total, and the longest run of consecutive 429s
#   windows   the most requests (429s included) in one of the simulator's
#             fixed windows (opened by the first request after the last one
#             ended, as emarsys-sim counts them), and in any WINDOW_MS span
# --append FILE appends the table to FILE (e.g. bench/RESULTS.md); --keep
# leaves the temp dir (logs) in place. Needs curl, jq and perl.
set -euo pipefail

driver="" sim_bin="" seconds=60 limit=600 window_ms=10000 workers=16 clients=2 connections=4
rate="" slow_ms=0 append="" keep=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --driver) driver=$2; shift 2 ;;
    --sim) sim_bin=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --window-ms) window_ms=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --rate-per-minute) rate=$2; shift 2 ;;
    --slow-ms) slow_ms=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "rate_bench: unknown argument '$1'" >&2; usage ;;
  esac
done
for b in "$driver" "$sim_bin"; do
  [ -n "$b" ] && [ -x "$b" ] || { echo "rate_bench: --driver and --sim must name executables" >&2; exit 2; }
done
for n in "$seconds" "$limit" "$window_ms" "$workers" "$clients" "$connections"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "rate_bench: '$n' is not a positive integer" >&2; exit 2; }
done
[ -n "$rate" ] || rate=$((limit * 60000 / window_ms))
for tool in curl jq perl awk; do
  command -v "$tool" >/dev/null || { echo "rate_bench: $tool is missing" >&2; exit 2; }
done

work=$(mktemp -d /tmp/emsync-rate-bench.XXXXXX)
sim_pid=""
cleanup() {
  set +e
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  if [ "$keep" = 1 ]; then echo "rate_bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "rate_bench: $*" >&2; }

[[ "$slow_ms" =~ ^[0-9]+$ ]] || { echo "rate_bench: --slow-ms must be a number" >&2; exit 2; }
faults='{}'
[ "$slow_ms" -gt 0 ] && faults="{\"rate_slow\": 1, \"slow_ms\": $slow_ms}"

# The simulator; its per-request log lines get an arrival timestamp (epoch s).
"$sim_bin" --bind 127.0.0.1 --port 0 --wsse-user bench001 --wsse-secret bench-secret \
  --rate-limit "$limit" --rate-window-ms "$window_ms" --faults "$faults" >"$work/sim.out" \
  2> >(perl -MTime::HiRes=time -ne '$| = 1; printf "%.6f %s", time, $_' >"$work/sim.log") &
sim_pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
port=$(awk '/^listening on/ {print $3}' "$work/sim.out")
[ -n "$port" ] || { log "emarsys-sim did not start"; exit 1; }
sim="http://127.0.0.1:$port"

log "limit $limit per ${window_ms} ms, rate_limit_per_minute $rate, $workers workers, $clients clients x $connections connections, replies delayed $slow_ms ms, ${seconds} s"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$driver" --api-url "$sim/api/v2" --user bench001 --secret bench-secret --rate-per-minute "$rate" \
  --connections "$connections" --workers "$workers" --clients "$clients" --seconds "$seconds" \
  >"$work/driver.json" || { log "the driver failed: $(cat "$work/driver.json")"; exit 1; }
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
state_429=$(curl -sf "$sim/sim/state" | jq .rate_limited)
kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
sleep 0.2  # the timestamping pipe drains

# One line per API request: "<arrival s> <status>".
awk '$3 ~ /^\/api\// && $4 == "->" { print $1, $5 }' "$work/sim.log" >"$work/requests.txt"
read -r total ok n429 longest fixed_max windows sliding_max < <(awk -v w="$window_ms" '
  { t[NR] = $1; s[NR] = $2 }
  END {
    for (i = 1; i <= NR; i++) {
      if (s[i] == 200) ok++
      if (s[i] == 429) { n429++; run++; if (run > longest) longest = run } else run = 0
      # The simulator'\''s fixed windows: opened by the first request after the last one ended.
      if (i == 1 || t[i] >= start + w / 1000) { start = t[i]; count = 0; windows++ }
      if (++count > fixed_max) fixed_max = count
      # Any span of one window length.
      while (t[i] - t[first + 1] >= w / 1000) first++
      if (i - first > sliding_max) sliding_max = i - first
    }
    print NR, ok + 0, n429 + 0, longest + 0, fixed_max + 0, windows + 0, sliding_max + 0
  }' "$work/requests.txt")

driver_seconds=$(jq .seconds "$work/driver.json")
allowed=$(awk -v l="$limit" -v w="$window_ms" 'BEGIN { printf "%.2f", l * 1000 / w }')
achieved=$(awk -v n="$ok" -v s="$driver_seconds" 'BEGIN { printf "%.2f", n / s }')
share=$(awk -v a="$achieved" -v b="$allowed" 'BEGIN { printf "%.1f", 100 * a / b }')

table=$(cat <<EOF
emsync rate benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo "?"), $(nproc) cores, load average before $load_before, after $load_after
Simulator limit $limit requests per $window_ms ms, every reply delayed $slow_ms ms; rate_limit_per_minute $rate; $workers workers over $clients Clients of one API user (one shared limiter), $connections connections each; ${driver_seconds} s.

| measure | value |
|---|---:|
| requests sent (simulator log) | $total |
| answered 200 | $ok |
| achieved rate, requests/s | $achieved |
| allowed rate, requests/s | $allowed |
| **share of the allowed rate** | **${share}%** |
| 429s received (simulator log / \`/sim/state\`) | $n429 / $state_429 |
| longest run of consecutive 429s | $longest |
| most requests in one simulator window (limit $limit) | $fixed_max (in $windows windows) |
| most requests in any ${window_ms} ms span | $sliding_max |
| driver calls: ok / failed / cut off at the end | $(jq -r '"\(.calls_ok) / \([.calls_failed[]] | add // 0) / \(.calls_cut_off)"' "$work/driver.json") |
EOF
)
echo
echo "$table"
if [ -n "$append" ]; then
  printf '\n%s\n' "$table" >>"$append"
  log "appended to $append"
fi
[ "$ok" -gt 0 ] || { log "no request succeeded"; exit 1; }
