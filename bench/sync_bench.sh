#!/usr/bin/env bash
# Sync benchmark: emsyncd against a PostgreSQL model of N contacts and the
# Emarsys simulator, on loopback, in a private temp dir. Not a pass/fail test
# of speed: timings are reported as ratios against `psql \copy (model query)
# TO /dev/null` measured in the same run on the same cluster. It fails only
# when something does not work (a run does not succeed, or its counts are not
# what the model implies).
#
#   bench/sync_bench.sh --emsyncd PATH --emsyncctl PATH --sim PATH
#                       [--contacts N] [--scale K] [--perf DIR] [--keep]
#
# For each size (N, and K*N when --scale K > 1), with a fresh cluster
# database, simulator and emsyncd:
#   copy      best of 3 `psql \copy (model query) TO '/dev/null'` (the reference)
#   first     first run: every contact is new (PUT, 2008, POST + list add)
#   rerun     no change: every contact unchanged (pure read + diff path)
#   change1%  one column changed on 1% of the rows
# and emsyncd's memory: VmRSS right after start-up, VmHWM (peak RSS) of each
# phase (reset before it through /proc/PID/clear_refs) and over all of them,
# (peak - start) / N, and with --scale the marginal growth
# (peak(K*N) - peak(N)) / ((K-1)*N), in which fixed buffers cancel out.
#
# --perf DIR records `perf record -g` of emsyncd during each phase into
# DIR/perf-<N>-<phase>.data ($EMSYNC_BENCH_PERF_ARGS replaces "-g -F 499",
# e.g. "--call-graph dwarf -F 199" for call graphs without frame pointers). --keep leaves the temp dir (logs) in place.
# PostgreSQL runs as the `postgres` OS user when started as root (it refuses
# root); binaries from the newest /usr/lib/postgresql/*/bin or
# $EMSYNC_PG_BIN_DIR. Needs psql, curl and jq.
set -euo pipefail

emsyncd="" emsyncctl="" sim_bin="" contacts=200000 scale=1 perf_dir="" keep=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --emsyncd) emsyncd=$2; shift 2 ;;
    --emsyncctl) emsyncctl=$2; shift 2 ;;
    --sim) sim_bin=$2; shift 2 ;;
    --contacts) contacts=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --perf) perf_dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "sync_bench: unknown argument '$1'" >&2; usage ;;
  esac
done
for b in "$emsyncd" "$emsyncctl" "$sim_bin"; do
  [ -n "$b" ] && [ -x "$b" ] || { echo "sync_bench: --emsyncd, --emsyncctl and --sim must name executables" >&2; exit 2; }
done
[[ "$contacts" =~ ^[0-9]+$ ]] && [ "$contacts" -ge 100 ] || { echo "sync_bench: --contacts must be >= 100" >&2; exit 2; }
[[ "$scale" =~ ^[0-9]+$ ]] && [ "$scale" -ge 1 ] || { echo "sync_bench: --scale must be a positive integer" >&2; exit 2; }
for tool in psql curl jq awk; do
  command -v "$tool" >/dev/null || { echo "sync_bench: $tool is missing" >&2; exit 2; }
done
if [ -n "$perf_dir" ]; then
  command -v perf >/dev/null || { echo "sync_bench: --perf needs perf" >&2; exit 2; }
  mkdir -p "$perf_dir"; perf_dir=$(cd "$perf_dir" && pwd)
fi

pg_bin=${EMSYNC_PG_BIN_DIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$pg_bin/initdb" ] || { echo "sync_bench: no PostgreSQL server binaries (set EMSYNC_PG_BIN_DIR)" >&2; exit 2; }

work=$(mktemp -d /tmp/emsync-bench.XXXXXX)
chmod 755 "$work"
pg_dir="$work/pg"
pg_port=$((20000 + RANDOM % 20000))  # names the socket file only: no TCP listener
sim_pid="" daemon_pid="" perf_pid="" pg_started=0

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop_pid() {  # PID: SIGTERM, wait
  [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true
}
cleanup() {
  set +e
  stop_pid "$perf_pid"; stop_pid "$daemon_pid"; stop_pid "$sim_pid"
  [ "$pg_started" = 1 ] && as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1
  if [ "$keep" = 1 ]; then echo "sync_bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
log() { echo "sync_bench: $*" >&2; }
die() { log "$*"; exit 1; }

# 1. PostgreSQL: private cluster on a unix socket in $pg_dir, fsync off.
mkdir -p "$pg_dir"
[ "$(id -u)" = 0 ] && chown postgres: "$pg_dir"
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; die "initdb failed"; }
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-p $pg_port -k $pg_dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { tail -20 "$pg_dir/server.log" >&2; die "pg_ctl start failed"; }
pg_started=1
psql_db() { local db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -h "$pg_dir" -p "$pg_port" -U postgres -d "$db" "$@"; }

model_query="SELECT email, first_name, city, birth_date, opted_in, ltv, orders, last_order FROM bench.contacts"

# A database with N contacts: email + 7 typed columns (text, text, date,
# boolean, numeric, integer, timestamptz).
create_model() {  # DB N
  psql_db postgres -c "CREATE DATABASE $1" >/dev/null
  psql_db "$1" >/dev/null <<SQL
CREATE SCHEMA bench;
CREATE TABLE bench.contacts (id integer PRIMARY KEY, email text, first_name text, city text,
                             birth_date date, opted_in boolean, ltv numeric(12,2), orders integer,
                             last_order timestamptz);
INSERT INTO bench.contacts
  SELECT i, 'user' || i || '@example.com', 'First' || i, 'City' || (i % 997),
         DATE '1950-01-01' + (i % 20000), i % 2 = 0, (i % 100000) * 1.37, i % 50,
         TIMESTAMPTZ '2020-01-01 00:00:00+00' + i * INTERVAL '1 minute'
  FROM generate_series(1, $2) AS i;
VACUUM ANALYZE bench.contacts;
SQL
}

copy_reference() {  # DB -> best of 3 seconds
  local best="" t start
  for _ in 1 2 3; do
    start=$(now)
    psql_db "$1" -c "\\copy ($model_query) TO '/dev/null'" >/dev/null
    t=$(elapsed "$start")
    best=$(awk -v a="$t" -v b="$best" 'BEGIN { print (b == "" || a < b) ? a : b }')
  done
  echo "$best"
}

kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }  # PID VmRSS|VmHWM -> kB
clk_tck=$(getconf CLK_TCK)
cpu_s() {  # PID -> user + system CPU seconds so far
  sed 's/^.*) //' "/proc/$1/stat" | awk -v hz="$clk_tck" '{ printf "%.2f", ($12 + $13) / hz }'
}

# Results: one line per phase "size phase seconds copy_seconds emsyncd_cpu
# sim_cpu", and per size
# "size start_kb peak_kb".
phases="$work/phases.txt" memory="$work/memory.txt"
: >"$phases"; : >"$memory"

bench_size() {  # N
  local n=$1 db="bench_$1" dir="$work/n$1"
  mkdir -p "$dir"
  log "N=$n: creating the model"
  create_model "$db" "$n"
  log "N=$n: psql \\copy reference (best of 3)"
  local copy_s; copy_s=$(copy_reference "$db")
  echo "$n copy $copy_s $copy_s - - -" >>"$phases"

  # The simulator, with a limit high enough not to matter.
  "$sim_bin" --bind 127.0.0.1 --port 0 --wsse-user bench001 --wsse-secret bench-secret \
    --rate-limit 1000000 >"$dir/sim.out" 2>"$dir/sim.log" &
  sim_pid=$!
  for _ in $(seq 100); do grep -q '^listening on' "$dir/sim.out" 2>/dev/null && break; sleep 0.1; done
  local port; port=$(awk '/^listening on/ {print $3}' "$dir/sim.out")
  [ -n "$port" ] || die "emarsys-sim did not start: $(cat "$dir/sim.log")"
  local sim="http://127.0.0.1:$port"
  local list_id; list_id=$(curl -sf -X POST "$sim/sim/lists" -d '{"name":"emsync bench"}' | jq -r .id)

  printf 'bench-secret' >"$dir/emarsys-secret"
  cat >"$dir/emsyncd.json" <<JSON
{
  "state_db": "$dir/state.db",
  "admin_socket": "$dir/emsyncd.sock",
  "log": {"level": "info", "format": "text"},
  "sources": {"warehouse": {"type": "postgres",
                            "conninfo": "host=$pg_dir port=$pg_port user=postgres dbname=$db"}},
  "destinations": {"emarsys": {"type": "emarsys", "api_url": "$sim/api/v2", "auth": "wsse",
                               "username": "bench001", "secret_file": "$dir/emarsys-secret",
                               "new_contacts_list_id": $list_id,
                               "rate_limit_per_minute": 100000000}}
}
JSON
  "$emsyncd" --config "$dir/emsyncd.json" 2>"$dir/emsyncd.log" &
  daemon_pid=$!
  ctl() { "$emsyncctl" --socket "$dir/emsyncd.sock" "$@"; }
  local up=0
  for _ in $(seq 600); do  # up to 30 s: leaves room for a valgrind wrapper
    if ctl ping >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.05
  done
  [ "$up" = 1 ] || die "emsyncd did not start: $(cat "$dir/emsyncd.log")"
  local start_kb peak_kb; start_kb=$(kib "$daemon_pid" VmRSS); peak_kb=$(kib "$daemon_pid" VmHWM)

  cat >"$dir/activation.json" <<JSON
{ "name": "bench", "source": "warehouse", "destination": "emarsys",
  "query": "$model_query",
  "email_column": "email",
  "fields": { "first_name": 1, "city": 11, "birth_date": 4, "opted_in": 31 },
  "custom_attributes": [ "ltv", "orders", "last_order" ],
  "insert_new_contacts": true }
JSON
  ctl apply "$dir/activation.json" >/dev/null || die "apply failed: $(tail -5 "$dir/emsyncd.log")"

  run_phase() {  # PHASE FIELD EXPECTED: runs, checks report.FIELD == EXPECTED
    local phase=$1 field=$2 expected=$3 start t report
    if [ -n "$perf_dir" ]; then
      # shellcheck disable=SC2086
      perf record -q ${EMSYNC_BENCH_PERF_ARGS:--g -F 499} -p "$daemon_pid" -o "$perf_dir/perf-$n-$phase.data" 2>"$dir/perf-$phase.log" &
      perf_pid=$!
      sleep 0.5
    fi
    local cpu0 sim0; cpu0=$(cpu_s "$daemon_pid"); sim0=$(cpu_s "$sim_pid")
    # Reset VmHWM to the current RSS, so the phase's own peak can be read after it.
    echo 5 >"/proc/$daemon_pid/clear_refs" 2>/dev/null || true
    start=$(now)
    report=$(ctl --json run bench --wait) || die "$phase run did not succeed: $report"
    t=$(elapsed "$start")
    local cpu sim_cpu
    cpu=$(awk -v a="$cpu0" -v b="$(cpu_s "$daemon_pid")" 'BEGIN { printf "%.2f", b - a }')
    sim_cpu=$(awk -v a="$sim0" -v b="$(cpu_s "$sim_pid")" 'BEGIN { printf "%.2f", b - a }')
    if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; perf_pid=""; fi
    echo "$report" >"$dir/report-$phase.json"
    local got; got=$(jq -r ".$field" <<<"$report")
    [ "$got" = "$expected" ] && [ "$(jq -r .status <<<"$report")" = succeeded ] \
      || die "$phase run: expected $field=$expected: $report"
    local hwm; hwm=$(kib "$daemon_pid" VmHWM)
    [ "$hwm" -gt "$peak_kb" ] && peak_kb=$hwm
    echo "$n $phase $t $copy_s $cpu $sim_cpu $hwm" >>"$phases"
    log "N=$n: $phase ${t}s, emsyncd CPU ${cpu}s, simulator CPU ${sim_cpu}s ($(jq -c '{rows_read,unchanged,updated,inserted,rejected,failed}' <<<"$report"))"
  }
  log "N=$n: first run"
  run_phase first inserted "$n"
  run_phase rerun unchanged "$n"
  psql_db "$db" -c "UPDATE bench.contacts SET city = city || '-moved' WHERE id % 100 = 0" \
    -c "VACUUM ANALYZE bench.contacts" >/dev/null
  run_phase 'change1%' updated $((n / 100))

  echo "$n $start_kb $peak_kb" >>"$memory"
  cp "/proc/$daemon_pid/smaps" "$dir/emsyncd.smaps" 2>/dev/null || true  # for --keep
  stop_pid "$daemon_pid"; daemon_pid=""
  stop_pid "$sim_pid"; sim_pid=""
  psql_db postgres -c "DROP DATABASE $db" >/dev/null
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
sizes=("$contacts")
[ "$scale" -gt 1 ] && sizes+=($((contacts * scale)))
for n in "${sizes[@]}"; do bench_size "$n"; done

# 4. The report (markdown).
echo
echo "emsync sync benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), $("$emsyncd" --version 2>/dev/null || echo "emsyncd ?")"
echo "Load average (1/5/15 min) before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine stretches wall times; CPU seconds are less sensitive)"
echo
echo "| N | phase | wall s | ratio to psql COPY | contacts/s | emsyncd CPU s | simulator CPU s | emsyncd peak RSS in phase MiB |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|"
awk '{ printf "| %d | %s | %.2f | %.1f | %.0f | %s | %s | %s |\n", $1, ($2 == "copy" ? "psql \\copy (reference)" : $2), $3, $3 / $4, $1 / $3, $5, $6, ($7 == "-" ? "-" : sprintf("%.1f", $7 / 1024)) }' "$phases"
echo
echo "emsyncd memory (VmRSS after start-up; peak = highest VmHWM over the three runs):"
echo
echo "| N | start RSS MiB | peak RSS MiB | (peak - start) / N bytes |"
echo "|---:|---:|---:|---:|"
awk '{ printf "| %d | %.1f | %.1f | %.1f |\n", $1, $2 / 1024, $3 / 1024, ($3 - $2) * 1024 / $1 }' "$memory"
if [ "${#sizes[@]}" -gt 1 ]; then
  echo
  awk 'NR == 1 { n1 = $1; p1 = $3 } NR == 2 { printf "Marginal growth (peak(%d) - peak(%d)) / %d = %.1f bytes per contact\n", $1, n1, $1 - n1, ($3 - p1) * 1024 / ($1 - n1) }' "$memory"
fi
