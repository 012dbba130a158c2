#!/usr/bin/env bash
# Sync benchmark (issue #6): emsyncd against a PostgreSQL model and the
# Emarsys simulator, on loopback, in a private temp dir. Speed is not pass/fail:
# the script fails only when something does not work (a run does not succeed,
# or its counts are not what the model implies). Timings are reported as
# ratios to `psql \copy (model query) TO '/dev/null'`, measured in the same run
# on the same cluster, and compared with the issue's targets.
#
#   bench/sync_bench.sh [--build DIR | --emsyncd PATH --emsyncctl PATH --sim PATH]
#                       [--source postgres|cursor|odbc] [--model contacts|crm]
#                       [--fetch-loop PATH] [--psqlodbc PATH]
#                       [--sizes "N ..."] [--10m] [--rate-limit R] [--results DIR] [--perf DIR]
#                       [--keep]
#
#   --build DIR     take the binaries from this build dir (default: build)
#   --source S      how emsyncd reads the model (issue #16), default postgres:
#                   postgres  the PostgreSQL source as configured by default
#                             (COPY on PostgreSQL)
#                   cursor    the PostgreSQL source with "read_mode": "cursor"
#                             (Redshift's way: DECLARE ... CURSOR / FETCH)
#                   odbc      the ODBC source through psqlODBC (Debian's
#                             odbc-postgresql), registered in a private
#                             odbcinst.ini ($ODBCSYSINI), with
#                             UseDeclareFetch=1;Fetch=10000 (streaming); each
#                             rerun is followed by a bare ODBC fetch loop over
#                             the same query with the same driver (phase
#                             fetch_loop; $EMSYNC_BENCH_FETCH_LOOP_ARGS adds
#                             options, e.g. "--wide")
#   --model M       the model (issue 19), default contacts:
#                   contacts  bench.contacts below (bio: 200 characters)
#                   crm       short mixed-type values with many NULLs
#                             (bench_common.sh, create_crm_model), 10 mapped
#                             fields as well; the JSON is <...>-crm.json
#   --fetch-loop PATH  that fetch loop (default: the build dir's
#                   bench/emsync-odbc-fetch-loop, or ../bench/ of --emsyncd's dir)
#   --psqlodbc PATH the psqlODBC driver library
#                   (default /usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so)
#   --sizes "N ..." model sizes, ascending (default: "100000 1000000")
#   --10m           also N = 10,000,000 (about 4 GB in the temp cluster)
#   --rate-limit R  the simulator allows R requests per minute (a 60 s window,
#                   as Emarsys counts them) and the destination's
#                   rate_limit_per_minute is R (issue 19: R = 1000); after the
#                   first run the script prints its requests, the least time
#                   R allows for them, and the 429s the simulator answered
#   --results DIR   where the JSON goes (default: bench/results); the file is
#                   <UTC date>-<short commit>.json (-dirty when the tree is)
#   --perf DIR      `perf record` emsyncd and the simulator during each phase into
#                   DIR/perf-<N>-<phase>.data ($EMSYNC_BENCH_PERF_ARGS replaces
#                   "-g -F 499", e.g. "--call-graph dwarf -F 199")
#   --keep          leave the temp dir (logs, reports, state DBs) in place
#
# Model: bench.contacts, id + 11 columns (email, first_name, last_name, city,
# birth_date and signup_date dates, opted_in and vip booleans, ltv and score
# numerics, bio: 200 characters); the activation maps 10 fields (5 system
# fields, 5 custom attributes). For each N, with a fresh database, simulator
# and emsyncd:
#   reference  best of 3 `psql \copy (model query) TO '/dev/null'`
#   first      first run, every contact new (PUT, 2008, POST + list add)
#   rerun      no change: every contact unchanged (read + diff); best of 3
#   fetch_loop (--source odbc) `emsync-odbc-fetch-loop` over the model query,
#              after each rerun (alternating); best of 3
#   change1%   city changed on 1% of the rows; best of 3 (a new change each)
# Per phase: wall seconds, CPU seconds of the client (psql or emsyncd), of the
# PostgreSQL cluster and of the simulator, the ratios of wall and of
# client + cluster CPU to the reference, and emsyncd's peak RSS (VmHWM, reset
# through /proc/PID/clear_refs before each phase). Per N: the state DB file
# size and its contact_state table (SQLite dbstat) per contact, after emsyncd
# stopped. Prints the tables and the targets met or missed (issue #6's for
# postgres; issue #16's for cursor, rerun <= 1.5 x \copy, and for odbc, rerun
# <= 1.3 x the fetch loop; peak RSS <= 64 MiB); writes the JSON;
# `bench/plot.sh` draws the chart from it.
#
# PostgreSQL, the simulator and emsyncd are started as bench_common.sh says.
# Needs psql, curl, jq, sqlite3 and git.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bench=sync_bench
# shellcheck source=bench_common.sh
. "$repo/bench/bench_common.sh"
build="" emsyncd="" emsyncctl="" sim_bin="" sizes_arg="100000 1000000" with_10m=0
source_kind=postgres model=contacts fetch_loop="" psqlodbc=/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so
results_dir="$repo/bench/results" perf_dir="" keep=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --emsyncd) emsyncd=$2; shift 2 ;;
    --emsyncctl) emsyncctl=$2; shift 2 ;;
    --sim) sim_bin=$2; shift 2 ;;
    --source) source_kind=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --fetch-loop) fetch_loop=$2; shift 2 ;;
    --psqlodbc) psqlodbc=$2; shift 2 ;;
    --sizes) sizes_arg=$2; shift 2 ;;
    --10m) with_10m=1; shift ;;
    --rate-limit) bench_rate_limit=$2; shift 2 ;;
    --results) results_dir=$2; shift 2 ;;
    --perf) perf_dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "sync_bench: unknown argument '$1'" >&2; usage ;;
  esac
done
check_binaries
case "$source_kind" in
  postgres|cursor) ;;
  odbc)
    fetch_loop=${fetch_loop:-$(dirname "$emsyncd")/../bench/emsync-odbc-fetch-loop}
    [ -x "$fetch_loop" ] || { echo "sync_bench: '$fetch_loop' is not an executable (build the target emsync-odbc-fetch-loop, or name it with --fetch-loop)" >&2; exit 2; }
    [ -f "$psqlodbc" ] || { echo "sync_bench: no psqlODBC driver at '$psqlodbc' (apt-get install odbc-postgresql, or name it with --psqlodbc)" >&2; exit 2; }
    ;;
  *) echo "sync_bench: --source must be postgres, cursor or odbc: '$source_kind'" >&2; exit 2 ;;
esac
case "$model" in
  contacts|crm) ;;
  *) echo "sync_bench: --model must be contacts or crm: '$model'" >&2; exit 2 ;;
esac
read -r -a sizes <<<"$sizes_arg"
[ "$with_10m" = 1 ] && sizes+=(10000000)
prev=0
for n in "${sizes[@]}"; do
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 100 ] && [ "$n" -gt "$prev" ] \
    || { echo "sync_bench: sizes must be ascending integers >= 100: '${sizes[*]}'" >&2; exit 2; }
  prev=$n
done
check_tools psql curl jq sqlite3 git awk
perf_check
mkdir -p "$results_dir"; results_dir=$(cd "$results_dir" && pwd)

bench_setup

# --source odbc: psqlODBC registered in a private odbcinst.ini, for emsyncd
# and the fetch loop alike (both inherit ODBCSYSINI); the system's
# /etc/odbcinst.ini is not read.
if [ "$source_kind" = odbc ]; then
  mkdir -p "$work/odbc"
  printf '[PostgreSQL Unicode]\nDescription=psqlODBC (sync_bench)\nDriver=%s\n' "$psqlodbc" >"$work/odbc/odbcinst.ini"
  export ODBCSYSINI="$work/odbc"
fi

# 1. PostgreSQL.
start_cluster

if [ "$model" = crm ]; then
  model_query=$crm_model_query
  mapping='"fields": { "first_name": 1, "last_name": 2, "city": 11, "zip": 13, "birth_date": 4, "opted_in": 31 },
  "custom_attributes": [ "orders", "ltv", "tier", "note" ],'
else
  model_query=$contacts_model_query
  mapping='"fields": { "first_name": 1, "last_name": 2, "city": 11, "birth_date": 4, "opted_in": 31 },
  "custom_attributes": [ "signup_date", "vip", "ltv", "score", "bio" ],'
fi

odbc_connection_string() {  # DB -> psqlODBC to the bench cluster's socket, streaming 10,000 rows at a time
  echo "Driver={PostgreSQL Unicode};Servername=$pg_dir;Port=$pg_port;Database=$1;Username=postgres;UseDeclareFetch=1;Fetch=10000"
}
source_json() {  # DB -> the "warehouse" source of emsyncd's config
  local conninfo; conninfo=$(pg_conninfo "$1")
  case "$source_kind" in
    postgres) echo "{\"type\": \"postgres\", \"conninfo\": \"$conninfo\"}" ;;
    cursor) echo "{\"type\": \"postgres\", \"conninfo\": \"$conninfo\", \"read_mode\": \"cursor\"}" ;;
    odbc) echo "{\"type\": \"odbc\", \"connection_string\": \"$(odbc_connection_string "$1")\"}" ;;
  esac
}

# Results, one line each: phases "N phase wall client_cpu pg_cpu sim_cpu
# peak_rss_kib" (- where it does not apply) and sizes "N start_rss_kib
# peak_rss_kib state_db_bytes contact_state_bytes live_state_bytes" (the
# last: the largest state DB + WAL on disk right after a phase, emsyncd
# still running).
phases="$work/phases.txt" size_lines="$work/sizes.txt"
: >"$phases"; : >"$size_lines"

reference() {  # N DB: best of 3 \copy by wall time
  local n=$1 best; best=$(best_copy "$2" "$model_query")
  echo "$n reference $best - -" >>"$phases"
  log "N=$n: reference ${best%% *}s (wall psql_cpu postgres_cpu: $best)"
}

run_fetch_loop() {  # N DB: one bare ODBC fetch loop over the model query, as a fetch_loop phase line
  local n=$1 db=$2 out="$work/fetch-loop.json" tf="$work/time.txt" pg0 line TIMEFORMAT='%R %U %S'
  pg0=$(pg_cpu)
  # shellcheck disable=SC2086
  { time EMSYNC_ODBC_CONNECTION_STRING=$(odbc_connection_string "$db") \
      "$fetch_loop" ${EMSYNC_BENCH_FETCH_LOOP_ARGS:-} - "$model_query" >"$out" 2>"$work/fetch-loop.err"; } 2>"$tf" \
    || die "the fetch loop failed: $(cat "$work/fetch-loop.err")"
  [ "$(jq -r .rows "$out")" = "$n" ] || die "the fetch loop read $(jq -r .rows "$out") rows, not $n"
  sleep 0.2  # the backend's exit reaches the postmaster's child times
  line=$(awk -v pg="$(diff_s "$pg0" "$(pg_cpu)")" -v rss="$(jq -r .max_rss_kib "$out")" \
           '{ printf "%.3f %.2f %s - %s", $1, $2 + $3, pg, rss }' "$tf")
  echo "$n fetch_loop $line" >>"$phases"
  log "N=$n: fetch_loop ${line%% *}s ($(jq -c '{rows,bytes,long_values,max_rss_kib}' "$out"))"
}

bench_size() {  # N
  local n=$1 db="bench_$1" dir="$work/n$1"
  mkdir -p "$dir"
  log "N=$n: creating the model"
  "create_${model}_model" "$db" "$n"
  reference "$n" "$db"

  start_simulator "$dir"
  local list_id; list_id=$(curl -sf -X POST "$sim_url/sim/lists" -d '{"name":"emsync bench"}' | jq -r .id)
  start_emsyncd "$dir" "$(source_json "$db")" "$list_id"
  local start_kb peak_kb live_bytes=0; start_kb=$(kib "$daemon_pid" VmRSS); peak_kb=$(kib "$daemon_pid" VmHWM)

  cat >"$dir/activation.json" <<JSON
{ "name": "bench", "source": "warehouse", "destination": "emarsys",
  "query": "$model_query",
  "email_column": "email",
  $mapping
  "insert_new_contacts": true }
JSON
  ctl apply "$dir/activation.json" >/dev/null || die "apply failed: $(tail -5 "$dir/emsyncd.log")"

  run_phase() {  # PHASE FIELD EXPECTED: runs, checks report.FIELD == EXPECTED
    local phase=$1 field=$2 expected=$3
    perf_start "$perf_dir/perf-$n-$phase.data"
    # Reset VmHWM to the current RSS, so the phase's own peak can be read after it.
    echo 5 >"/proc/$daemon_pid/clear_refs" 2>/dev/null || true
    timed_run "$phase"
    perf_stop
    [ "$(jq -r ".$field" <<<"$run_report")" = "$expected" ] && [ "$(jq -r .status <<<"$run_report")" = succeeded ] \
      || die "$phase run: expected $field=$expected: $run_report"
    local live; live=$(( $(stat -c %s "$dir/state.db") + $(stat -c %s "$dir/state.db-wal" 2>/dev/null || echo 0) ))
    [ "$live" -gt "$live_bytes" ] && live_bytes=$live
    local hwm; hwm=$(kib "$daemon_pid" VmHWM)
    [ "$hwm" -gt "$peak_kb" ] && peak_kb=$hwm
    echo "$n $phase $run_wall $run_cpu $run_pg $run_sim $hwm" >>"$phases"
    log "N=$n: $phase ${run_wall}s, CPU emsyncd ${run_cpu}s postgres ${run_pg}s simulator ${run_sim}s ($(jq -c '{rows_read,unchanged,updated,inserted,rejected,failed}' <<<"$run_report"))"
  }
  log "N=$n: first run"
  run_phase first inserted "$n"
  if [ -n "${bench_rate_limit:-}" ]; then
    # The first run's requests (the request log holds no /sim/ calls), the
    # least time the limit allows them (a full window for each R, the last
    # one partial), and the 429s.
    local sim_state requests limited least
    sim_state=$(curl -sf "$sim_url/sim/state")
    requests=$(jq '.requests | length' <<<"$sim_state")
    limited=$(jq .rate_limited <<<"$sim_state")
    least=$(awk -v r="$requests" -v l="$bench_rate_limit" 'BEGIN { printf "%.1f", (r - 1) / l * 60 }')
    log "N=$n: rate limit $bench_rate_limit/min: first run ${run_wall}s for $requests requests (least the limit allows: ${least}s; $(awk -v w="$run_wall" -v m="$least" 'BEGIN { printf "%.3f", w / m }') x), $limited answered 429"
  fi
  # Like the reference: best of 3 by wall time (this machine's noise is
  # larger than the differences measured); the peak RSS is that of all 3.
  # With --source odbc each rerun is followed by the bare fetch loop over the
  # same query, so that both see the same state of the machine.
  for _ in 1 2 3; do
    run_phase rerun unchanged "$n"
    if [ "$source_kind" = odbc ]; then run_fetch_loop "$n" "$db"; fi
  done
  keep_best "$n" rerun
  if [ "$source_kind" = odbc ]; then keep_best "$n" fetch_loop; fi
  for _ in 1 2 3; do
    psql_db "$db" -c "UPDATE bench.contacts SET city = city || '-moved' WHERE id % 100 = 0" \
      -c "VACUUM ANALYZE bench.contacts" >/dev/null
    run_phase 'change1%' updated $((n / 100))
  done
  keep_best "$n" 'change1%'

  cp "/proc/$daemon_pid/smaps" "$dir/emsyncd.smaps" 2>/dev/null || true  # for --keep
  stop_pid "$daemon_pid"; daemon_pid=""
  stop_pid "$sim_pid"; sim_pid=""
  # emsyncd checkpointed and removed the WAL on exit: the file is the whole state.
  local db_bytes table_bytes
  db_bytes=$(( $(stat -c %s "$dir/state.db") + $(stat -c %s "$dir/state.db-wal" 2>/dev/null || echo 0) ))
  table_bytes=$(sqlite3 -readonly "$dir/state.db" "SELECT sum(pgsize) FROM dbstat WHERE name = 'contact_state'")
  echo "$n $start_kb $peak_kb $db_bytes $table_bytes $live_bytes" >>"$size_lines"
  psql_db postgres -c "DROP DATABASE $db" >/dev/null
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for n in "${sizes[@]}"; do bench_size "$n"; done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# 2. The JSON: measurements, derived ratios and the issue's targets, all in jq.
commit=$(tree_commit)
suffix=""
[ "$source_kind" = postgres ] || suffix="-$source_kind"
[ "$model" = contacts ] || suffix="$suffix-$model"
result="$results_dir/$(date -u +%Y-%m-%d)-$commit$suffix.json"
driver=""
[ "$source_kind" = odbc ] && driver="$psqlodbc ($(dpkg-query -W -f '${Package} ${Version}' odbc-postgresql 2>/dev/null || echo "?"))"
jq -n --rawfile phases "$phases" --rawfile sizes "$size_lines" \
  --arg started "$started" --arg commit "$commit" --argjson nproc "$(nproc)" \
  --arg cpu_model "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
  --arg load_before "$load_before" --arg load_after "$load_after" \
  --arg postgres "$("$pg_bin/postgres" --version | awk '{print $3}')" \
  --arg emsyncd "$("$emsyncd" --version 2>/dev/null || echo "?")" \
  --arg build_type "$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$emsyncd")/../CMakeCache.txt" 2>/dev/null)" \
  --arg source "$source_kind" --arg driver "$driver" \
  --arg query "$model_query" --arg model "$model" '
def rows($text): $text | split("\n") | map(select(length > 0) | split(" "));
def num: if . == "-" then null else tonumber end;
def round($d): (. * pow(10; $d) | round) / pow(10; $d);
def target($name; $value; $limit; $cmp; $n; $note):
  { name: $name, n: $n, value: ($value | round(2)), comparison: $cmp, limit: $limit,
    met: (if $cmp == "<=" then $value <= $limit else $value >= $limit end), note: $note };
(rows($phases) | map({ n: (.[0] | tonumber), phase: .[1], wall_s: (.[2] | num), cpu_s: (.[3] | num),
                       postgres_cpu_s: (.[4] | num), simulator_cpu_s: (.[5] | num),
                       peak_rss_kib: (.[6] | num) })) as $ph
| [rows($sizes)[] | map(tonumber) as [$n, $start, $peak, $db, $table, $live]
   | ($ph | map(select(.n == $n))) as $p
   | ($p | map(select(.phase == "reference"))[0]) as $ref
   | { n: $n, start_rss_kib: $start, peak_rss_kib: $peak,
       state_db_bytes: $db, state_db_bytes_per_contact: ($db / $n | round(1)),
       contact_state_bytes_per_contact: ($table / $n | round(1)),
       live_state_bytes_per_contact: ($live / $n | round(1)),
       phases: ($p | map({ key: .phase,
                           value: (del(.n, .phase) + {
                             contacts_per_s: ($n / .wall_s | round(0)),
                             wall_ratio: (.wall_s / $ref.wall_s | round(2)),
                             cpu_ratio: ((.cpu_s + .postgres_cpu_s) / ($ref.cpu_s + $ref.postgres_cpu_s) | round(2)) }) })
                   | from_entries) }] as $sz
| [range(1; $sz | length) as $i
   | { from_n: $sz[$i - 1].n, to_n: $sz[$i].n,
       bytes_per_contact: (($sz[$i].peak_rss_kib - $sz[$i - 1].peak_rss_kib) * 1024 / ($sz[$i].n - $sz[$i - 1].n) | round(1)) }] as $growth
| (($sz | map(select(.n == 1000000))[0]) // $sz[-1]) as $t
| ($growth | map(select(.to_n == $t.n))[0]) as $g
| ($t.phases.fetch_loop // null) as $loop
| { benchmark: (if $source == "postgres" then "emsync sync (issue #6)"
               else "emsync sync (issue #6), source \($source) (issue #16)" end),
    started: $started, commit: $commit, emsyncd: $emsyncd,
    build_type: $build_type, postgres: $postgres,
    source: ({ kind: $source } + (if $driver != "" then { driver: $driver } else {} end)),
    machine: { nproc: $nproc, cpu_model: $cpu_model,
               load_before: ($load_before | split(" ") | map(tonumber)),
               load_after: ($load_after | split(" ") | map(tonumber)) },
    model: { name: $model, query: $query, columns: 12, mapped_fields: 10 },
    sizes: $sz, rss_growth: $growth,
    ratios: ({ n: $t.n, rerun_over_copy: $t.phases.rerun.wall_ratio }
             + (if $loop then { rerun_over_fetch_loop: ($t.phases.rerun.wall_s / $loop.wall_s | round(2)) } else {} end)),
    targets: (if $source == "cursor" then [
      target("no-change rerun wall / psql \\copy"; $t.phases.rerun.wall_ratio; 1.5; "<="; $t.n; null),
      target("peak RSS MiB"; $t.peak_rss_kib / 1024; 64; "<="; $t.n; null)
    ] elif $source == "odbc" then [
      target("no-change rerun wall / bare ODBC fetch loop"; $t.phases.rerun.wall_s / $loop.wall_s; 1.3; "<="; $t.n;
             "rerun \($t.phases.rerun.wall_s) s, fetch loop \($loop.wall_s) s, psql \\copy \($t.phases.reference.wall_s) s"),
      target("peak RSS MiB"; $t.peak_rss_kib / 1024; 64; "<="; $t.n; null)
    ] else [
      target("no-change rerun wall / reference"; $t.phases.rerun.wall_ratio; 1.5; "<="; $t.n; null),
      target("1% changed rerun wall / reference"; $t.phases["change1%"].wall_ratio; 1.6; "<="; $t.n; null),
      target("first run contacts/s"; $t.phases.first.contacts_per_s; 50000; ">="; $t.n;
             "CPU s: emsyncd \($t.phases.first.cpu_s), simulator \($t.phases.first.simulator_cpu_s), postgres \($t.phases.first.postgres_cpu_s) in \($t.phases.first.wall_s) s wall"),
      target("peak RSS MiB"; $t.peak_rss_kib / 1024; 64; "<="; $t.n; null),
      target("state DB bytes per contact"; $t.state_db_bytes_per_contact; 128; "<="; $t.n; null),
      target("state DB + WAL bytes per contact after each phase, running (issue 19)";
             $t.live_state_bytes_per_contact; 100; "<="; $t.n; null)
    ] + (if $g then [target("RSS growth bytes per contact, \($g.from_n) to \($g.to_n)"; $g.bytes_per_contact; 16; "<="; $t.n; null)] else [] end) end) }
' >"$result"

# 3. The tables, from the JSON.
jq -r '
def f($d):  # fixed $d decimals
  if . == null then "-"
  else (if . < 0 then "-" else "" end) as $sign
       | ((if . < 0 then -. else . end) * pow(10; $d) | round | tostring) as $s
       | ([range(0; $d + 1 - ($s | length))] | map("0") | join("")) + $s
       | $sign + (if $d == 0 then . else .[0:length - $d] + "." + .[length - $d:] end) end;
"emsync sync benchmark \(.started), commit \(.commit), \(.machine.nproc) cores (\(.machine.cpu_model)), PostgreSQL \(.postgres), \(.emsyncd) (\(.build_type)), source \(.source.kind)\(if .source.driver then " through \(.source.driver)" else "" end)",
"Load average (1/5/15 min) before: \(.machine.load_before | map(tostring) | join(" ")), after: \(.machine.load_after | map(tostring) | join(" ")) (other work stretches wall times; CPU seconds are less sensitive)",
"",
"| N | phase | wall s | × reference wall | contacts/s | client CPU s | postgres CPU s | simulator CPU s | × reference CPU | peak RSS MiB |",
"|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
(.sizes[] | .n as $n | .phases | to_entries[]
 | "| \($n) | \(if .key == "reference" then "psql \\copy (reference)" elif .key == "fetch_loop" then "bare ODBC fetch loop" else .key end) | \(.value.wall_s | f(2)) | \(.value.wall_ratio | f(2)) | \(.value.contacts_per_s | f(0)) | \(.value.cpu_s | f(2)) | \(.value.postgres_cpu_s | f(2)) | \(.value.simulator_cpu_s | f(2)) | \(.value.cpu_ratio | f(2)) | \(.value.peak_rss_kib | if . then ./1024 else null end | f(1)) |"),
"",
"Client CPU and peak RSS: psql for the reference (no RSS), the fetch loop for its line, emsyncd otherwise. × reference CPU: (client + postgres CPU) / that of the reference.",
(.ratios | "At N = \(.n): no-change rerun / psql \\copy \(.rerun_over_copy | f(2))\(if .rerun_over_fetch_loop then ", rerun / bare ODBC fetch loop \(.rerun_over_fetch_loop | f(2))" else "" end)"),
"",
"| N | start RSS MiB | peak RSS MiB | state DB bytes/contact | contact_state bytes/contact | state DB + WAL bytes/contact, running (max after a phase) |",
"|---:|---:|---:|---:|---:|---:|",
(.sizes[] | "| \(.n) | \(.start_rss_kib / 1024 | f(1)) | \(.peak_rss_kib / 1024 | f(1)) | \(.state_db_bytes_per_contact | f(1)) | \(.contact_state_bytes_per_contact | f(1)) | \(.live_state_bytes_per_contact | f(1)) |"),
(.rss_growth[] | "RSS growth (peak(\(.to_n)) - peak(\(.from_n))) / \(.to_n - .from_n) = \(.bytes_per_contact | f(1)) bytes per contact"),
"",
"| target (issue #\(if .source.kind == "postgres" then 6 else 16 end)) | N | measured | limit | result |",
"|---|---:|---:|---:|---|",
(.targets[] | (if .limit >= 1000 then 0 else 2 end) as $d | "| \(.name) | \(.n) | \(.value | f($d)) | \(if .comparison == "<=" then "≤" else "≥" end) \(.limit) | \(if .met then "met" else "**missed**" end)\(if .note then " (\(.note))" else "" end) |")
' "$result"
echo
echo "Results: $result"
