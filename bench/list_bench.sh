#!/usr/bin/env bash
# List mode benchmark (issue 20): a list activation ("mode": "list") of a
# segment of N emails against a private PostgreSQL cluster and the Emarsys
# simulator, on loopback, in a private temp dir (bench_common.sh). Speed is
# not pass/fail: the script fails only when a run does not succeed or its
# counts are not what the segment implies.
#
#   bench/list_bench.sh [--build DIR | --emsyncd PATH --emsyncctl PATH --sim PATH]
#                       [--size N] [--perf DIR] [--keep]
#
#   --build DIR  take the binaries from this build dir (default: build)
#   --size N     members of the segment (default 1000000; at least 1000)
#   --perf DIR   `perf record` emsyncd and the simulator during each run into
#                DIR/perf-<phase>-<k>.data ($EMSYNC_BENCH_PERF_ARGS replaces
#                "-g -F 499")
#   --keep       leave the temp dir (logs, reports, state DB) in place
#
# Model: bench.segment (id, email, active), N active rows and N/200 inactive
# ones; the query `SELECT email FROM bench.segment WHERE active`. The
# simulator knows every contact (seeded through /sim/contacts), so every add
# succeeds. Phases, with one database and simulator:
#   reference  best of 3 `psql \copy (query) TO '/dev/null'`
#   first      the first run: N members added
#   rerun      no change: nothing sent; best of 3
#   churn1%    0.5% of the members leave (N/200 rows set inactive) and 0.5%
#              enter (the N/200 inactive rows set active); best of 3, each
#              with the next N/200 rows (the segment stays at N members)
#   rerun_restarted  no change, emsyncd just restarted: the members are read
#              from the state DB, not from what the daemon keeps between runs
#   reference  measured again after the churn (the same query, rows moved)
# Per phase: wall seconds, CPU seconds of emsyncd, of the cluster and of the
# simulator, wall / the best \copy, the list requests the phase needed
# (add and delete requests of at most 10,000 emails, from the run's counts;
# plus the one GET /contactlist each run makes), and the state DB + its WAL
# on disk right after it (emsyncd running) per member. Prints the table and
# the issue's targets: the no-change rerun within 1.5 x \copy, the churn
# rerun within 1.5 x \copy plus its requests (each costing what a request of
# the first run cost: its wall over the no-change rerun's, per request),
# state <= 40 bytes per member. At the end, the simulator's list must hold
# exactly the segment.
#
# Needs psql, curl, jq, seq, sqlite3 and git.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bench=list_bench
# shellcheck source=bench_common.sh
. "$repo/bench/bench_common.sh"
build="" emsyncd="" emsyncctl="" sim_bin="" n=1000000 keep=0 perf_dir="" runs=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --emsyncd) emsyncd=$2; shift 2 ;;
    --emsyncctl) emsyncctl=$2; shift 2 ;;
    --sim) sim_bin=$2; shift 2 ;;
    --size) n=$2; shift 2 ;;
    --perf) perf_dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "list_bench: unknown argument '$1'" >&2; usage ;;
  esac
done
check_binaries
[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1000 ] || usage_error "--size must be an integer >= 1000: '$n'"
check_tools psql curl jq seq sqlite3 git awk
perf_check
bench_setup
start_cluster

churn=$((n / 200))  # 0.5% leave, 0.5% enter
total=$((n + 4 * churn))  # room for 3 churn phases
query="SELECT email FROM bench.segment WHERE active"
db=bench_list dir="$work/list"
mkdir -p "$dir"
phases="$work/phases.txt"
: >"$phases"

log "creating the segment: $n active rows, $((total - n)) inactive"
psql_db postgres -c "CREATE DATABASE $db" >/dev/null
psql_db "$db" >/dev/null <<SQL
CREATE SCHEMA bench;
CREATE TABLE bench.segment (id integer PRIMARY KEY, email text NOT NULL, active boolean NOT NULL);
INSERT INTO bench.segment SELECT i, 'user' || i || '@example.com', i <= $n
  FROM generate_series(1, $total) AS i;
VACUUM ANALYZE bench.segment;
SQL

reference() {  # LABEL: best of 3 \copy by wall time
  local best; best=$(best_copy "$db" "$query")
  echo "$1 $best - 0 -" >>"$phases"
  log "$1 ${best%% *}s (wall psql_cpu postgres_cpu: $best)"
}
reference reference

start_simulator "$dir"
log "seeding the simulator with $total contacts"
for ((first = 1; first <= total; first += 20000)); do
  last=$((first + 19999 > total ? total : first + 19999))
  seq "$first" "$last" | awk 'BEGIN { printf "{\"contacts\":[" }
    { printf "%s{\"3\":\"user%d@example.com\"}", (NR > 1 ? "," : ""), $1 }
    END { printf "]}" }' >"$work/seed.json"
  curl -sf -X POST "$sim_url/sim/contacts" --data-binary "@$work/seed.json" >/dev/null \
    || die "seeding contacts $first..$last failed"
done
rm -f "$work/seed.json"
list_id=$(curl -sf -X POST "$sim_url/sim/lists" -d '{"name":"emsync bench new contacts"}' | jq -r .id)
source_json="{\"type\": \"postgres\", \"conninfo\": \"$(pg_conninfo "$db")\"}"
start_emsyncd "$dir" "$source_json" "$list_id"
cat >"$dir/activation.json" <<JSON
{ "name": "bench", "mode": "list", "source": "warehouse", "destination": "emarsys",
  "query": "$query", "email_column": "email", "list": {"name": "emsync bench segment"} }
JSON
ctl apply "$dir/activation.json" >/dev/null || die "apply failed: $(tail -5 "$dir/emsyncd.log")"

keep_fastest() {  # PHASE: of its lines, the fastest, with the largest state of them
  local tmp="$work/phases.tmp"
  awk -v p="$1" '
    $1 == p { if (best == "" || $2 < bw) { best = $0; bw = $2 } if ($7 > state) state = $7; next }
    { print }
    END { if (best != "") { k = split(best, f, " "); f[7] = state; line = f[1]; for (i = 2; i <= k; i++) line = line " " f[i]; print line } }
  ' "$phases" >"$tmp" && mv "$tmp" "$phases"
}

run_phase() {  # PHASE ADDED REMOVED: runs, checks the report's added and removed
  local phase=$1 added=$2 removed=$3 requests live
  perf_start "$perf_dir/perf-${phase%\%}-$((++runs)).data"
  timed_run "$phase"
  perf_stop
  [ "$(jq -r .status <<<"$run_report")" = succeeded ] \
    && [ "$(jq -r .added <<<"$run_report")" = "$added" ] \
    && [ "$(jq -r .removed <<<"$run_report")" = "$removed" ] \
    && [ "$(jq -r .rows_read <<<"$run_report")" = "$n" ] \
    || die "$phase run: expected added=$added removed=$removed rows_read=$n: $run_report"
  requests=$(( (added + 9999) / 10000 + (removed + 9999) / 10000 + 1 ))
  live=$(( $(stat -c %s "$dir/state.db") + $(stat -c %s "$dir/state.db-wal" 2>/dev/null || echo 0) ))
  echo "$phase $run_wall $run_cpu $run_pg $run_sim $requests $live" >>"$phases"
  log "$phase ${run_wall}s, CPU emsyncd ${run_cpu}s postgres ${run_pg}s simulator ${run_sim}s, $requests requests, state $live bytes, emsyncd RSS $(( $(kib "$daemon_pid" VmRSS) / 1024 )) MiB after ($(jq -c '{rows_read,unchanged,added,removed,not_found,rejected,failed}' <<<"$run_report"))"
}

log "first run"
run_phase first "$n" 0
for _ in 1 2 3; do run_phase rerun 0 0; done
keep_fastest rerun
for round in 1 2 3; do
  # Rows round*churn+1.. leave; rows n+(round-1)*churn+1.. enter.
  psql_db "$db" -c "UPDATE bench.segment SET active = false WHERE id > $(((round - 1) * churn)) AND id <= $((round * churn))" \
    -c "UPDATE bench.segment SET active = true WHERE id > $((n + (round - 1) * churn)) AND id <= $((n + round * churn))" \
    -c "VACUUM ANALYZE bench.segment" >/dev/null
  run_phase 'churn1%' "$churn" "$churn"
done
keep_fastest 'churn1%'
# The same rerun with a daemon just started, which must read every member
# from the state DB (the daemon keeps them between runs: member_cache.hpp).
stop_pid "$daemon_pid"; daemon_pid=""
start_emsyncd "$dir" "$source_json" "$list_id"
run_phase rerun_restarted 0 0
reference reference_after

stop_pid "$daemon_pid"; daemon_pid=""
segment_list=$(sqlite3 "$dir/state.db" "SELECT list_id FROM list_state")
members=$(curl -sf "$sim_url/sim/lists/members?id=$segment_list" | jq '.emails | length')
[ "$members" = "$n" ] || die "the simulator's list holds $members members, not $n"

# The table, and the targets.
copy=$(awk '$1 == "reference" { print $2 }' "$phases")
awk -v copy="$copy" -v n="$n" '
  BEGIN { printf "%-16s %8s %8s %8s %8s %7s %9s %8s %10s\n", "phase", "wall_s", "x_copy", "emsyncd", "pg_cpu", "sim_cpu", "requests", "B/member", "state_B" }
  { ratio = $2 / copy; per = ($7 == "-" ? "-" : sprintf("%.1f", $7 / n))
    printf "%-16s %8.2f %8.2f %8s %8s %7s %9s %8s %10s\n", $1, $2, ratio, $3, $4, $5, $6, per, $7 }
' "$phases"
# A request's cost: the first run's wall over the no-change rerun's, per
# request it sent (100 adds of 10,000 emails at 1M).
awk -v copy="$copy" -v n="$n" '
  { wall[$1] = $2; req[$1] = $6; state[$1] = $7 }
  END {
    per_request = (wall["first"] - wall["rerun"]) / (req["first"] - 1)
    churn_requests = req["churn1%"] - 1
    budget = 1.5 * copy + churn_requests * per_request
    printf "a request: %.3f s ((first - rerun) / %d requests)\n", per_request, req["first"] - 1
    printf "target: no-change rerun <= 1.5 x \\copy: %.2f x (%s)\n", wall["rerun"] / copy, (wall["rerun"] <= 1.5 * copy ? "met" : "MISSED")
    printf "target: churn rerun <= 1.5 x \\copy + its %d requests: %.2f s <= %.2f s (%s)\n", churn_requests, wall["churn1%"], budget, (wall["churn1%"] <= budget ? "met" : "MISSED")
    printf "target: state DB + WAL <= 40 B per member: %.1f B after the churn (%s)\n", state["churn1%"] / n, (state["churn1%"] / n <= 40 ? "met" : "MISSED")
  }' "$phases"
log "commit $(tree_commit), $(nproc) cores; list members in the simulator at the end: $members (expected $n)"
