#!/usr/bin/env bash
# The quick start: builds emsync, starts the Emarsys simulator and emsyncd on
# the embedded SQLite demo model (examples/demo.db), applies the demo
# activation, runs it, and prints what reached the simulator.
# Everything runs on loopback in a temporary directory, removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/install-deps.sh"
"$root/tools/build.sh"

bin="$root/build"
work=$(mktemp -d /tmp/emsync-quickstart.XXXXXX)
sim_pid="" daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# 1. The Emarsys simulator, with one WSSE API user.
printf 'demo-secret' >"$work/emarsys-secret"
"$bin/tools/emarsys-sim/emarsys-sim" --bind 127.0.0.1 --port 0 \
  --wsse-user demo001 --wsse-secret demo-secret >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
port=$(awk '/^listening on/ {print $3}' "$work/sim.out")
sim="http://127.0.0.1:$port"
list_id=$(curl -sf -X POST "$sim/sim/lists" -d '{"name":"emsync new contacts"}' | jq -r .id)
# Two contacts Emarsys already knows: they are updated, not created.
curl -sf -X POST "$sim/sim/contacts" \
  -d '{"contacts":[{"3":"ada.lovelace@example.com","1":"Augusta Ada"},{"3":"alan.turing@example.com"}]}' >/dev/null

# 2. emsyncd on the demo SQLite model, with its metrics on the first free
# port from 19100 (something already answering there is skipped).
metrics_port=19100
while (exec 3<>"/dev/tcp/127.0.0.1/$metrics_port") 2>/dev/null; do metrics_port=$((metrics_port + 1)); done
cat >"$work/emsyncd.json" <<JSON
{
  "state_db": "$work/state.db",
  "admin_socket": "$work/emsyncd.sock",
  "log": {"level": "info", "format": "text"},
  "metrics_listen": "127.0.0.1:$metrics_port",
  "sources": {"demo": {"type": "sqlite", "path": "$root/examples/demo.db"}},
  "destinations": {"emarsys": {"type": "emarsys", "api_url": "$sim/api/v2", "auth": "wsse",
                               "username": "demo001", "secret_file": "$work/emarsys-secret",
                               "new_contacts_list_id": $list_id}}
}
JSON
"$bin/daemon/emsyncd" --config "$work/emsyncd.json" 2>"$work/emsyncd.log" &
daemon_pid=$!
ctl() { "$bin/daemon/emsyncctl" --socket "$work/emsyncd.sock" "$@"; }
for _ in $(seq 100); do ctl ping >/dev/null 2>&1 && break; sleep 0.1; done
if ! ctl ping >/dev/null 2>&1; then
  echo "quickstart: emsyncd did not start; its log:" >&2
  cat "$work/emsyncd.log" >&2
  exit 1
fi

# 3. Apply the demo activation and run it.
ctl apply "$root/examples/demo-activation.json"
echo
echo "== emsyncctl run demo-contacts --wait"
status=0
ctl run demo-contacts --wait || status=$?
echo
echo "== emsyncctl errors demo-contacts"
ctl errors demo-contacts
echo
echo "== A second run sends nothing (every contact unchanged)"
ctl run demo-contacts --wait >/dev/null && ctl runs demo-contacts --limit 2
echo
echo "== Contacts in the Emarsys simulator"
curl -sf "$sim/sim/state" | jq -r '
  (.fields | map({key: (.id|tostring), value: .name}) | from_entries) as $custom
  | .contacts[] | .fields
  | [ .["3"], (.["1"] // ""), (.["2"] // ""), (.["11"] // ""), (.["4"] // ""), ((.["31"] // "")|tostring),
      ( to_entries | map(select($custom[.key])) | map("\($custom[.key])=\(.value)") | join(" ") ) ]
  | @tsv' | (printf 'EMAIL\tFIRST\tLAST\tCITY\tBIRTH\tOPTIN\tCUSTOM\n'; cat) | column -t -s "$(printf '\t')"
echo
echo "== Members of the new-contacts list $list_id (only the contacts emsync created)"
curl -sf "$sim/sim/state" | jq -r --argjson id "$list_id" '.lists[] | select(.id == $id) | .member_emails[]'
echo
echo "== Metrics: curl -s http://127.0.0.1:$metrics_port/metrics | grep emsync_contacts_total"
curl -sf "http://127.0.0.1:$metrics_port/metrics" | grep '^emsync_contacts_total'
echo "== Health: curl -s http://127.0.0.1:$metrics_port/healthz"
curl -sf "http://127.0.0.1:$metrics_port/healthz"
exit "$status"
