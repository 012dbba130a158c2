# Sourced by the sync benchmarks (sync_bench.sh, incremental_bench.sh), not
# run: the binaries, a private PostgreSQL cluster, the contacts model, the
# Emarsys simulator and emsyncd in the script's temp dir, and CPU and memory
# readings from /proc.
#
# The sourcing script sets `bench` (its name, for messages), `repo`, `keep`
# and the binaries' options (`build`, `emsyncd`, `emsyncctl`, `sim_bin`),
# then calls, in this order: check_binaries, check_tools TOOL..., bench_setup
# (the temp dir $work, removed at exit unless keep=1, with everything
# started), start_cluster; then per model: create_contacts_model,
# start_simulator, start_emsyncd, ctl ... and timed_run (a run, timed),
# keep_best (the fastest of a phase's runs), stop_pid "$daemon_pid";
# best_copy DB QUERY, the reference the runs are set against.
#
# PostgreSQL runs as the `postgres` OS user when started as root (it refuses
# root); binaries from the newest /usr/lib/postgresql/*/bin or
# $EMSYNC_PG_BIN_DIR.

log() { echo "$bench: $*" >&2; }
die() { log "$*"; exit 1; }
usage_error() { echo "$bench: $*" >&2; exit 2; }

check_binaries() {  # the binaries from --build DIR (default build/), or each named
  if [ -z "$emsyncd$emsyncctl$sim_bin" ]; then
    build=${build:-$repo/build}
    emsyncd=$build/daemon/emsyncd emsyncctl=$build/daemon/emsyncctl sim_bin=$build/tools/emarsys-sim/emarsys-sim
  elif [ -n "$build" ]; then
    usage_error "--build and --emsyncd/--emsyncctl/--sim exclude each other"
  fi
  for b in "$emsyncd" "$emsyncctl" "$sim_bin"; do
    [ -x "$b" ] || usage_error "'$b' is not an executable (build first, or name the binaries)"
  done
}

check_tools() {  # TOOL...
  for tool in "$@"; do
    command -v "$tool" >/dev/null || usage_error "$tool is missing"
  done
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop_pid() {  # PID: SIGTERM, wait
  [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true
}

bench_setup() {
  pg_bin=${EMSYNC_PG_BIN_DIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
  [ -x "$pg_bin/initdb" ] || usage_error "no PostgreSQL server binaries (set EMSYNC_PG_BIN_DIR)"
  work=$(mktemp -d /tmp/emsync-bench.XXXXXX)
  chmod 755 "$work"
  pg_dir="$work/pg"
  pg_port=$((20000 + RANDOM % 20000))  # names the socket file only: no TCP listener
  sim_pid="" daemon_pid="" perf_pid="" pg_started=0
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
bench_cleanup() {
  set +e
  stop_pid "$perf_pid"; stop_pid "$daemon_pid"; stop_pid "$sim_pid"
  [ "$pg_started" = 1 ] && as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1
  if [ "$keep" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}

# A private cluster on a unix socket in $pg_dir, fsync off.
start_cluster() {
  mkdir -p "$pg_dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$pg_dir"
  as_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$work/initdb.log" 2>&1 \
    || { cat "$work/initdb.log" >&2; die "initdb failed"; }
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-p $pg_port -k $pg_dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { tail -20 "$pg_dir/server.log" >&2; die "pg_ctl start failed"; }
  pg_started=1
}
psql_db() { local db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -h "$pg_dir" -p "$pg_port" -U postgres -d "$db" "$@"; }
pg_conninfo() { echo "host=$pg_dir port=$pg_port user=postgres dbname=$1"; }  # DB

# The contacts model: bench.contacts, id + 11 columns (+ EXTRA_COLUMNS, e.g.
# "updated_at timestamptz", valued by EXTRA_VALUES, SQL of i), N rows.
contacts_model_query="SELECT email, first_name, last_name, city, birth_date, signup_date, opted_in, vip, ltv, score, bio FROM bench.contacts"
create_contacts_model() {  # DB N [EXTRA_COLUMNS EXTRA_VALUES]
  local columns="" values=""
  [ $# -ge 4 ] && columns=", $3" values=", $4"
  psql_db postgres -c "CREATE DATABASE $1" >/dev/null
  psql_db "$1" >/dev/null <<SQL
CREATE SCHEMA bench;
CREATE TABLE bench.contacts (id integer PRIMARY KEY, email text, first_name text, last_name text,
                             city text, birth_date date, signup_date date, opted_in boolean,
                             vip boolean, ltv numeric(12,2), score numeric(6,3), bio text$columns);
INSERT INTO bench.contacts
  SELECT i, 'user' || i || '@example.com', 'First' || i, 'Last' || (i % 7919), 'City' || (i % 997),
         DATE '1950-01-01' + (i % 20000), DATE '2015-01-01' + (i % 3650), i % 2 = 0, i % 10 = 0,
         (i % 100000) * 1.37, (i % 1000) / 7.0,
         left(repeat(md5(i::text), 7), 200)$values
  FROM generate_series(1, $2) AS i;
VACUUM ANALYZE bench.contacts;
SQL
}

# The CRM model (issue 19): the typical CRM profile of short mixed-type
# values with many NULLs, in a table of the same name so that the phases'
# UPDATE of city applies: id + 11 columns: email, first and last names,
# city, a 5-digit zip, a birth date (NULL in 20%), an opt-in boolean, a small
# integer of orders, a lifetime value numeric(10,2) (NULL in 30%), a tier
# token (NULL in 70%) and a short note (NULL in 75%).
crm_model_query="SELECT email, first_name, last_name, city, zip, birth_date, opted_in, orders, ltv, tier, note FROM bench.contacts"
create_crm_model() {  # DB N
  psql_db postgres -c "CREATE DATABASE $1" >/dev/null
  psql_db "$1" >/dev/null <<SQL
CREATE SCHEMA bench;
CREATE TABLE bench.contacts (id integer PRIMARY KEY, email text, first_name text, last_name text,
                             city text, zip text, birth_date date, opted_in boolean,
                             orders smallint, ltv numeric(10,2), tier text, note text);
INSERT INTO bench.contacts
  SELECT i, 'user' || i || '@example.com',
         (ARRAY['Anna','Ben','Chloé','David','Emma','Finn','Grace','Hugo','Inès','Jonas'])[i % 10 + 1],
         'Last' || (i % 7919), 'City' || (i % 997), lpad((i % 99991)::text, 5, '0'),
         CASE WHEN i % 5 = 0 THEN NULL ELSE DATE '1950-01-01' + (i % 20000) END, i % 3 <> 0,
         (i % 40)::smallint, CASE WHEN i % 10 < 3 THEN NULL ELSE (i % 50000) * 0.37 END,
         CASE i % 10 WHEN 0 THEN 'gold' WHEN 1 THEN 'silver' WHEN 2 THEN 'bronze' END,
         CASE WHEN i % 4 = 0 THEN 'vip since ' || (2000 + i % 25) END
  FROM generate_series(1, $2) AS i;
VACUUM ANALYZE bench.contacts;
SQL
}

clk_tck=$(getconf CLK_TCK)
cpu_s() {  # PID -> user + system CPU seconds so far
  sed 's/^.*) //' "/proc/$1/stat" | awk -v hz="$clk_tck" '{ printf "%.2f", ($12 + $13) / hz }'
}
pg_cpu() {  # -> CPU seconds of the cluster so far: postmaster, its live and its reaped children
  local pm; pm=$(head -1 "$pg_dir/data/postmaster.pid")
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | sed 's/^\([0-9]*\) (.*) /\1 /' \
    | awk -v pm="$pm" -v hz="$clk_tck" '
        $1 == pm { t += $13 + $14 + $15 + $16 }
        $3 == pm { t += $13 + $14 }
        END { printf "%.2f", t / hz }'
}
diff_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }  # PID VmRSS|VmHWM -> kB

# The best of 3 `psql \copy (QUERY) TO '/dev/null'` by wall time, as
# "WALL_S PSQL_CPU_S POSTGRES_CPU_S".
best_copy() {  # DB QUERY
  local best="" line pg0 tf="$work/time.txt" TIMEFORMAT='%R %U %S'
  for _ in 1 2 3; do
    pg0=$(pg_cpu)
    { time psql_db "$1" -c "\\copy ($2) TO '/dev/null'" >/dev/null; } 2>"$tf"
    sleep 0.2  # the backend's exit reaches the postmaster's child times
    line=$(awk -v pg="$(diff_s "$pg0" "$(pg_cpu)")" '{ printf "%.3f %.2f %s", $1, $2 + $3, pg }' "$tf")
    if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then best=$line; fi
  done
  echo "$best"
}

# The simulator in DIR ($sim_pid, its URL $sim_url), with a limit high enough
# not to matter (or $bench_rate_limit requests per minute when set, which
# the destination is then told too) and no payloads in its request log. (Its heap on transparent
# huge pages, glibc.malloc.hugetlb=1, took 17% off its CPU but slowed the
# phases after the first run by ~20%.)
start_simulator() {  # DIR
  local dir=$1 port
  "$sim_bin" --bind 127.0.0.1 --port 0 --wsse-user bench001 --wsse-secret bench-secret \
    --rate-limit "${bench_rate_limit:-1000000}" --rate-window-ms 60000 --no-payload-log \
    >"$dir/sim.out" 2>"$dir/sim.log" &
  sim_pid=$!
  for _ in $(seq 100); do grep -q '^listening on' "$dir/sim.out" 2>/dev/null && break; sleep 0.1; done
  port=$(awk '/^listening on/ {print $3}' "$dir/sim.out")
  [ -n "$port" ] || die "emarsys-sim did not start: $(cat "$dir/sim.log")"
  sim_url="http://127.0.0.1:$port"
}

# emsyncd in DIR ($daemon_pid; `ctl` speaks to it) reading the source
# SOURCE_JSON as "warehouse", writing to the simulator as "emarsys" (new
# contacts to list LIST_ID).
start_emsyncd() {  # DIR SOURCE_JSON LIST_ID
  daemon_dir=$1
  printf 'bench-secret' >"$daemon_dir/emarsys-secret"
  cat >"$daemon_dir/emsyncd.json" <<JSON
{
  "state_db": "$daemon_dir/state.db",
  "admin_socket": "$daemon_dir/emsyncd.sock",
  "metrics_listen": "",
  "log": {"level": "info", "format": "text"},
  "sources": {"warehouse": $2},
  "destinations": {"emarsys": {"type": "emarsys", "api_url": "$sim_url/api/v2", "auth": "wsse",
                               "username": "bench001", "secret_file": "$daemon_dir/emarsys-secret",
                               "new_contacts_list_id": $3,
                               "rate_limit_per_minute": ${bench_rate_limit:-100000000}}}
}
JSON
  "$emsyncd" --config "$daemon_dir/emsyncd.json" 2>"$daemon_dir/emsyncd.log" &
  daemon_pid=$!
  local up=0
  for _ in $(seq 600); do  # up to 30 s: leaves room for a valgrind wrapper
    if ctl ping >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.05
  done
  [ "$up" = 1 ] || die "emsyncd did not start: $(cat "$daemon_dir/emsyncd.log")"
}
ctl() { "$emsyncctl" --socket "$daemon_dir/emsyncd.sock" "$@"; }

# `perf record` of emsyncd and the simulator into FILE until perf_stop, when
# $perf_dir is set ($EMSYNC_BENCH_PERF_ARGS replaces "-g -F 499";
# EMSYNC_BENCH_PERF_ALL=-a records every process, PostgreSQL's and idle
# time included: a timeline of both cores, `perf script -F comm,tid,time`).
perf_start() {  # FILE
  [ -n "$perf_dir" ] || return 0
  # shellcheck disable=SC2086
  perf record -q ${EMSYNC_BENCH_PERF_ARGS:--g -F 499} ${EMSYNC_BENCH_PERF_ALL:--p "$daemon_pid,$sim_pid"} -o "$1" 2>"$1.log" &
  perf_pid=$!
  sleep 0.5
}
perf_stop() {
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; perf_pid=""; fi
}
perf_check() {  # the --perf DIR given: made absolute
  [ -n "$perf_dir" ] || return 0
  command -v perf >/dev/null || usage_error "--perf needs perf"
  mkdir -p "$perf_dir"; perf_dir=$(cd "$perf_dir" && pwd)
}

# One run of the activation "bench", timed: sets run_wall (seconds),
# run_cpu (emsyncd's CPU seconds), run_pg (the cluster's), run_sim (the
# simulator's) and run_report (the run report). Dies when the run does not
# succeed (emsyncctl exits non-zero).
timed_run() {  # PHASE [RUN OPTION...]
  local phase=$1 cpu0 sim0 pg0 tf="$daemon_dir/time-$1.txt" TIMEFORMAT='%R'
  shift
  cpu0=$(cpu_s "$daemon_pid"); sim0=$(cpu_s "$sim_pid"); pg0=$(pg_cpu)
  { time ctl --json run bench --wait "$@" >"$daemon_dir/report-$phase.json"; } 2>"$tf" \
    || die "$phase run did not succeed: $(cat "$daemon_dir/report-$phase.json")"
  run_wall=$(cat "$tf")
  run_cpu=$(diff_s "$cpu0" "$(cpu_s "$daemon_pid")"); run_sim=$(diff_s "$sim0" "$(cpu_s "$sim_pid")")
  sleep 0.2  # closed source connections reach the postmaster's child times
  run_pg=$(diff_s "$pg0" "$(pg_cpu)")
  run_report=$(cat "$daemon_dir/report-$phase.json")
}

# Phase lines in the file $phases: "KEY PHASE WALL_S ... PEAK_RSS_KIB ..."
# (field 7 the peak RSS). Of the lines of KEY and PHASE, keeps the fastest,
# with the highest peak RSS of them.
keep_best() {  # KEY PHASE
  local tmp="$work/phases.tmp"
  awk -v n="$1" -v p="$2" '
    $1 == n && $2 == p { if (best == "" || $3 < bw) { best = $0; bw = $3 } if ($7 > hwm) hwm = $7; next }
    { print }
    END { if (best != "") { k = split(best, f, " "); f[7] = hwm; line = f[1]; for (i = 2; i <= k; i++) line = line " " f[i]; print line } }
  ' "$phases" >"$tmp" && mv "$tmp" "$phases"
}

# The short commit of the tree measured, "-dirty" when its code has
# uncommitted changes.
tree_commit() {
  local commit; commit=$(git -C "$repo" rev-parse --short HEAD)
  git -C "$repo" diff --quiet HEAD -- lib daemon tools CMakeLists.txt ':!*.md' || commit="$commit-dirty"
  echo "$commit"
}
