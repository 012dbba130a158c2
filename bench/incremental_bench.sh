#!/usr/bin/env bash
# Incremental read benchmark (issue #17): emsyncd against a PostgreSQL model
# of N rows with `updated_at` (timestamptz, indexed) and the Emarsys
# simulator, on loopback, in a private temp dir. The issue's target: with 1%
# of the rows changed since the last run, the incremental run reads at most
# 2% of the rows and takes at most a tenth of the wall time of a full read
# that finds no change.
#
#   bench/incremental_bench.sh [--build DIR | --emsyncd PATH --emsyncctl PATH --sim PATH]
#                              [--rows N] [--shapes "narrow wide"] [--results DIR] [--keep]
#
#   --build DIR     take the binaries from this build dir (default: build)
#   --rows N        rows of each model (default 1000000)
#   --shapes S      the models, among narrow and wide (default both):
#                   narrow  sync_bench.sh's bench.contacts (id + 11 columns, 10
#                           mapped, about 300 bytes a row) plus updated_at
#                   wide    the same plus updated_at and 12 more columns (22
#                           mapped): 3 long texts of 200 to 1000 characters
#                           (largetext), often NULL, other values NULL in a
#                           row out of 3 to 10 (about 1.1 KB a row)
#   --results DIR   where the JSON goes (default: bench/results); the file is
#                   <UTC date>-<short commit>-incremental.json (-dirty when
#                   the tree is)
#   --keep          leave the temp dir (logs, reports, state DBs) in place
#
# updated_at starts an hour in the past, 100 s apart from row to row (so the
# 15-minute lookback behind the first watermark covers about 10 rows). The
# activation: incremental on updated_at, lookback 15m. For each shape, with a
# fresh database, simulator and emsyncd:
#   reference   one `psql \copy (model query) TO '/dev/null'`
#   first       the first run: a full read, every contact new
#   full        no change, a full read (full_every "1s", applied before, and
#               a second's wait: not `run --full`, which sends every
#               contact): the reference of the target; best of 3
#   incr0       no change, an incremental read (full_every "never" from
#               here on): what an incremental run costs at least; once
#   incr1%      1% of the rows (id % 100 = 0) get updated_at = now() and a
#               new city, then VACUUM ANALYZE; an incremental read; best of
#               3 (the same rows each time, so the lookback reads no other)
#   full1%      the same change read in full (full_every "1s" again): what
#               the incremental read saves on the same change; once
# Per phase: wall seconds, CPU seconds of emsyncd, of the PostgreSQL cluster
# and of the simulator, emsyncd's peak RSS, the rows read and the contacts
# sent. The script fails when something does not work: a run that does not
# succeed, reads another way (full / incremental) than planned, reads or
# sends other counts than the model implies, or an incr1% run that reads
# over 2% of the rows. The wall-time target is reported, met or missed.
# Needs psql, curl, jq and git; PostgreSQL, the simulator and emsyncd are
# started as bench_common.sh says.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bench=incremental_bench
# shellcheck source=bench_common.sh
. "$repo/bench/bench_common.sh"
build="" emsyncd="" emsyncctl="" sim_bin="" rows=1000000 shapes_arg="narrow wide"
results_dir="$repo/bench/results" keep=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --emsyncd) emsyncd=$2; shift 2 ;;
    --emsyncctl) emsyncctl=$2; shift 2 ;;
    --sim) sim_bin=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --shapes) shapes_arg=$2; shift 2 ;;
    --results) results_dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "$bench: unknown argument '$1'" >&2; usage ;;
  esac
done
check_binaries
[[ "$rows" =~ ^[0-9]+$ ]] && [ "$rows" -ge 1000 ] || usage_error "--rows must be an integer >= 1000: '$rows'"
read -r -a shapes <<<"$shapes_arg"
for shape in "${shapes[@]}"; do
  case "$shape" in narrow|wide) ;; *) usage_error "--shapes takes narrow and wide: '$shape'" ;; esac
done
check_tools psql curl jq git awk
mkdir -p "$results_dir"; results_dir=$(cd "$results_dir" && pwd)

bench_setup
start_cluster

# The shapes: extra columns of bench.contacts (create_contacts_model), their
# values, and the extra mapped columns (custom attributes; "w_" keeps their
# names apart from Emarsys' system fields: "Country" is a single choice).
updated_at_column="updated_at timestamptz"
updated_at_value="now() - interval '1 hour' - i * interval '100 seconds'"
wide_columns="$updated_at_column, w_company text, w_title text, w_phone text, w_street text,
  w_country text, w_orders integer, w_points numeric(10,2), w_last_order date, w_promo boolean,
  w_notes text, w_about text, w_prefs text"
wide_values="$updated_at_value, 'Company ' || (i % 50021),
  CASE WHEN i % 4 = 0 THEN NULL ELSE 'Title ' || (i % 301) END,
  '+49 30 ' || lpad((i::bigint * 7919 % 10000000)::text, 7, '0'),
  CASE WHEN i % 5 = 0 THEN NULL ELSE i || ' ' || left(md5((i + 1)::text), 20) || ' Street' END,
  (ARRAY['DE', 'FR', 'US', 'GB', 'PL'])[i % 5 + 1], i % 97,
  CASE WHEN i % 3 = 0 THEN NULL ELSE (i % 50000) * 0.25 END,
  CASE WHEN i % 6 = 0 THEN NULL ELSE DATE '2020-01-01' + (i % 1800) END,
  CASE WHEN i % 7 = 0 THEN NULL ELSE i % 2 = 1 END,
  CASE WHEN i % 3 = 0 THEN NULL ELSE left(repeat(md5(i::text || 'n'), 32), 200 + i % 800) END,
  CASE WHEN i % 2 = 0 THEN NULL ELSE left(repeat(md5(i::text || 'a'), 16), 500) END,
  CASE WHEN i % 10 < 7 THEN NULL ELSE left(repeat(md5(i::text || 'p'), 8), 250) END"
wide_attributes='"w_company", "w_title", "w_phone", "w_street", "w_country", "w_orders", "w_points",
  "w_last_order", "w_promo", {"column": "w_notes", "type": "largetext"},
  {"column": "w_about", "type": "largetext"}, {"column": "w_prefs", "type": "largetext"}'
wide_query_columns="updated_at, w_company, w_title, w_phone, w_street, w_country, w_orders, w_points,
  w_last_order, w_promo, w_notes, w_about, w_prefs"

# Phase lines: "SHAPE PHASE WALL CPU PG_CPU SIM_CPU PEAK_RSS_KIB ROWS_READ SENT".
phases="$work/phases.txt"
: >"$phases"

bench_shape() {  # SHAPE
  local shape=$1 db="bench_$1" dir="$work/$1" query attributes=""
  mkdir -p "$dir"
  log "$shape: creating the model ($rows rows)"
  if [ "$shape" = narrow ]; then
    create_contacts_model "$db" "$rows" "$updated_at_column" "$updated_at_value"
    query=${contacts_model_query/ FROM/, updated_at FROM}
  else
    create_contacts_model "$db" "$rows" "$wide_columns" "$wide_values"
    query=${contacts_model_query/ FROM/, $wide_query_columns FROM}
    attributes=", $wide_attributes"
  fi
  query=$(tr -s ' \n' ' ' <<<"$query")
  psql_db "$db" -c "CREATE INDEX contacts_updated_at ON bench.contacts (updated_at)" \
    -c "VACUUM ANALYZE bench.contacts" >/dev/null
  log "$shape: table $(psql_db "$db" -Atc "SELECT pg_size_pretty(pg_table_size('bench.contacts'))")"

  local tf="$dir/time-reference.txt" TIMEFORMAT='%R'
  { time psql_db "$db" -c "\\copy ($query) TO '/dev/null'" >/dev/null; } 2>"$tf"
  echo "$shape reference $(cat "$tf") - - - - $rows -" >>"$phases"

  start_simulator "$dir"
  local list_id; list_id=$(curl -sf -X POST "$sim_url/sim/lists" -d '{"name":"emsync bench"}' | jq -r .id)
  start_emsyncd "$dir" "{\"type\": \"postgres\", \"conninfo\": \"$(pg_conninfo "$db")\"}" "$list_id"

  apply_activation() {  # FULL_EVERY
    cat >"$dir/activation.json" <<JSON
{ "name": "bench", "source": "warehouse", "destination": "emarsys",
  "query": "$query",
  "email_column": "email",
  "fields": { "first_name": 1, "last_name": 2, "city": 11, "birth_date": 4, "opted_in": 31 },
  "custom_attributes": [ "signup_date", "vip", "ltv", "score", "bio"$attributes ],
  "insert_new_contacts": true,
  "incremental": { "cursor_column": "updated_at", "lookback": "15m", "full_every": "$1" } }
JSON
    ctl apply "$dir/activation.json" >/dev/null || die "apply failed: $(tail -5 "$dir/emsyncd.log")"
  }
  run_phase() {  # PHASE READ ROWS_READ_MAX SENT: runs, checks the read, rows read <= MAX, contacts sent
    local phase=$1 read=$2 max=$3 sent=$4
    echo 5 >"/proc/$daemon_pid/clear_refs" 2>/dev/null || true
    timed_run "$phase"
    local got_read got_rows got_sent
    got_read=$(jq -r .read <<<"$run_report")
    got_rows=$(jq -r .rows_read <<<"$run_report")
    got_sent=$(jq -r '.updated + .inserted' <<<"$run_report")
    [ "$got_read" = "$read" ] && [ "$got_rows" -le "$max" ] && [ "$got_sent" = "$sent" ] \
      || die "$shape $phase run: expected a $read read of at most $max rows sending $sent contacts: $run_report"
    echo "$shape $phase $run_wall $run_cpu $run_pg $run_sim $(kib "$daemon_pid" VmHWM) $got_rows $got_sent" >>"$phases"
    log "$shape: $phase ${run_wall}s, CPU emsyncd ${run_cpu}s postgres ${run_pg}s simulator ${run_sim}s ($(jq -c '{read,watermark,read_from,rows_read,unchanged,updated,inserted}' <<<"$run_report"))"
  }

  apply_activation never
  log "$shape: first run"
  run_phase first full "$rows" "$rows"
  apply_activation 1s
  for _ in 1 2 3; do
    sleep 1.1  # full_every 1s has passed since the last full read
    run_phase full full "$rows" 0
  done
  keep_best "$shape" full
  apply_activation never
  run_phase incr0 incremental $((rows / 100)) 0
  change_1_percent() {
    psql_db "$db" -c "UPDATE bench.contacts SET updated_at = now(), city = city || '-moved' WHERE id % 100 = 0" \
      -c "VACUUM ANALYZE bench.contacts" >/dev/null
  }
  for _ in 1 2 3; do
    change_1_percent
    run_phase 'incr1%' incremental $((rows * 2 / 100)) $((rows / 100))
  done
  keep_best "$shape" 'incr1%'
  apply_activation 1s
  sleep 1.1
  change_1_percent
  run_phase 'full1%' full "$rows" $((rows / 100))

  stop_pid "$daemon_pid"; daemon_pid=""
  stop_pid "$sim_pid"; sim_pid=""
  psql_db postgres -c "DROP DATABASE $db" >/dev/null
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for shape in "${shapes[@]}"; do bench_shape "$shape"; done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# The JSON: measurements, ratios and the targets, in jq.
commit=$(tree_commit)
result="$results_dir/$(date -u +%Y-%m-%d)-$commit-incremental.json"
jq -n --rawfile phases "$phases" --arg started "$started" --arg commit "$commit" \
  --argjson nproc "$(nproc)" --argjson rows "$rows" \
  --arg cpu_model "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
  --arg load_before "$load_before" --arg load_after "$load_after" \
  --arg postgres "$("$pg_bin/postgres" --version | awk '{print $3}')" \
  --arg emsyncd "$("$emsyncd" --version 2>/dev/null || echo "?")" \
  --arg build_type "$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$emsyncd")/../CMakeCache.txt" 2>/dev/null)" '
def num: if . == "-" then null else tonumber end;
def round($d): (. * pow(10; $d) | round) / pow(10; $d);
($phases | split("\n") | map(select(length > 0) | split(" ")
  | { shape: .[0], phase: .[1], wall_s: (.[2] | num), cpu_s: (.[3] | num), postgres_cpu_s: (.[4] | num),
      simulator_cpu_s: (.[5] | num), peak_rss_kib: (.[6] | num), rows_read: (.[7] | num),
      sent: (.[8] | num) })) as $ph
| ($ph | map(.shape) | unique) as $shapes
| { benchmark: "emsync incremental reads (issue #17)", started: $started, commit: $commit,
    emsyncd: $emsyncd, build_type: $build_type, postgres: $postgres, rows: $rows,
    machine: { nproc: $nproc, cpu_model: $cpu_model,
               load_before: ($load_before | split(" ") | map(tonumber)),
               load_after: ($load_after | split(" ") | map(tonumber)) },
    shapes: [$shapes[] as $s | ($ph | map(select(.shape == $s))) as $p
      | ($p | map(select(.phase == "full"))[0]) as $full
      | ($p | map(select(.phase == "incr1%"))[0]) as $incr
      | { shape: $s,
          phases: ($p | map({ key: .phase, value: (del(.shape, .phase)
                     + { wall_over_full: (.wall_s / $full.wall_s | round(3)) }) }) | from_entries),
          targets: [
            { name: "incr1% rows read / rows", value: ($incr.rows_read / $rows | round(4)),
              limit: 0.02, met: ($incr.rows_read / $rows <= 0.02) },
            { name: "incr1% wall / full no-change read wall", value: ($incr.wall_s / $full.wall_s | round(3)),
              limit: 0.1, met: ($incr.wall_s / $full.wall_s <= 0.1),
              note: "incr1% \($incr.wall_s) s, full \($full.wall_s) s" } ] }] }
' >"$result"

# The tables, from the JSON.
jq -r '
def f($d): if . == null then "-" else (. * pow(10; $d) | round) / pow(10; $d) | tostring end;
"emsync incremental benchmark \(.started), commit \(.commit), \(.machine.nproc) cores (\(.machine.cpu_model)), PostgreSQL \(.postgres), \(.emsyncd) (\(.build_type)), \(.rows) rows",
"Load average (1/5/15 min) before: \(.machine.load_before | map(tostring) | join(" ")), after: \(.machine.load_after | map(tostring) | join(" "))",
"",
"| shape | phase | wall s | × full read | emsyncd CPU s | postgres CPU s | simulator CPU s | peak RSS MiB | rows read | sent |",
"|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
(.shapes[] | .shape as $s | .phases | to_entries[]
 | "| \($s) | \(if .key == "reference" then "psql \\copy" else .key end) | \(.value.wall_s | f(2)) | \(.value.wall_over_full | f(3)) | \(.value.cpu_s | f(2)) | \(.value.postgres_cpu_s | f(2)) | \(.value.simulator_cpu_s | f(2)) | \(.value.peak_rss_kib | if . then ./1024 else null end | f(1)) | \(.value.rows_read | f(0)) | \(.value.sent | f(0)) |"),
"",
"| shape | target (issue #17) | measured | limit | result |",
"|---|---|---:|---:|---|",
(.shapes[] | .shape as $s | .targets[]
 | "| \($s) | \(.name) | \(.value) | ≤ \(.limit) | \(if .met then "met" else "**missed**" end)\(if .note then " (\(.note))" else "" end) |")
' "$result"
echo
echo "Results: $result"
