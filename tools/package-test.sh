#!/usr/bin/env bash
# CI's package check (.ci/run, last): builds the Debian package from this tree
# (tools/package.sh, reusing build/), runs lintian on it, installs it on this
# machine with `apt-get install ./emsync_*.deb`, checks what it installed
# (files, the config's owner and mode, the user and groups, the enabled unit
# and `systemd-analyze verify` of it, both --version texts, the man pages,
# the bash completion, with the installed emsyncd running by hand for the
# activation names), reinstalls it (an edited config is kept; the upgrade's
# migrations check on no, an older and a newer state DB), removes it (the
# state stays), purges it and checks what is left. Debian 12, as root.
# systemd need not be PID 1 (CI machines, containers): it starts nothing.
#
# It leaves the machine as it was (purging the package when a check fails)
# but for what Debian keeps after a purge:
# the user emsyncd and the groups emsyncd, emsyncd-admin, and /etc/credstore.
# Refuses to run where emsync is installed as a package already.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

fail() {
  echo "package-test: FAIL: $*" >&2
  exit 1
}
ok() { echo "  ok: $*"; }

if dpkg-query -W -f='${Status}' emsync 2>/dev/null | grep -q installed; then
  fail "the package emsync is installed on this machine already: this test installs and purges it"
fi
"$root/tools/install-deps.sh" lintian
# Whatever happens below, the machine is left without the package.
purge_on_exit() {
  if dpkg-query -W -f='${Status}' emsync 2>/dev/null | grep -q installed; then
    dpkg --purge emsync >/dev/null 2>&1 || echo "package-test: could not purge emsync" >&2
  fi
}
trap purge_on_exit EXIT
version=$(sed -n 's/^project(emsync VERSION \([0-9.]*\) .*/\1/p' "$root/CMakeLists.txt")
[[ -n $version ]] || fail "no project(emsync VERSION ...) in CMakeLists.txt"

echo "== tools/package.sh"
deb=$("$root/tools/package.sh" | tail -n 1)
[[ $(basename "$deb") == "emsync_${version}_amd64.deb" ]] || fail "$deb: expected emsync_${version}_amd64.deb"
ok "$deb ($(du -k "$deb" | cut -f1) KiB)"

echo "== the control data"
dpkg-deb --field "$deb" | sed 's/^/  /'
depends=$(dpkg-deb --field "$deb" Depends)
# Computed by dpkg-shlibdeps: the libraries the binaries link.
names=$(sed 's/ *([^)]*)//g; s/, */\n/g' <<<"$depends")
for lib in libc6 libstdc++6 libsqlite3-0 libpq5 libssl3 libsystemd0 libodbc2; do
  grep -qxF "$lib" <<<"$names" || fail "Depends lacks $lib: $depends"
done
ok "Depends computed (dpkg-shlibdeps)"
[[ $(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles) == /etc/emsyncd/emsyncd.json ]] ||
  fail "conffiles is not /etc/emsyncd/emsyncd.json"
ok "conffiles: /etc/emsyncd/emsyncd.json"

echo "== lintian"
lintian --fail-on error,warning --display-info "$deb" 2>&1 | grep -v "running with root privileges" | sed 's/^/  /'
ok "no error or warning"

echo "== apt-get install $deb"
export DEBIAN_FRONTEND=noninteractive
(cd "$(dirname "$deb")" && apt-get install -y -qq "./$(basename "$deb")") >/tmp/emsync-package-install.log 2>&1 || {
  cat /tmp/emsync-package-install.log >&2
  fail "apt-get install failed"
}
sed 's/^/  /' /tmp/emsync-package-install.log | grep -v '^  \(Selecting\|Preparing\|(Reading\)' || true
[[ $(dpkg-query -W -f='${Version}' emsync) == "$version" ]] || fail "dpkg does not show emsync $version installed"
ok "emsync $version installed"

echo "== files"
for path in /usr/sbin/emsyncd /usr/bin/emsyncctl /usr/lib/systemd/system/emsyncd.service \
  /usr/lib/sysusers.d/emsyncd.conf /usr/lib/tmpfiles.d/emsyncd.conf \
  /usr/share/man/man8/emsyncd.8.gz /usr/share/man/man1/emsyncctl.1.gz \
  /usr/share/bash-completion/completions/emsyncctl /usr/share/doc/emsync/README.md \
  /usr/share/doc/emsync/copyright /usr/share/doc/emsync/changelog.gz \
  /usr/share/doc/emsync/examples/emsyncd.json /etc/emsyncd/emsyncd.json; do
  [[ -e $path ]] || fail "$path is not installed"
done
ok "binaries, unit, sysusers.d, tmpfiles.d, man pages, completion, docs, config"
check_stat() { # path "mode user group"
  local got
  got=$(stat -c '%a %U %G' "$1") || fail "$1 does not exist"
  [[ $got == "$2" ]] || fail "$1 is $got, expected $2"
  ok "$1 $2"
}
check_stat /etc/emsyncd/emsyncd.json "640 root emsyncd"
check_stat /etc/emsyncd "755 root root"
check_stat /etc/credstore "700 root root"
getent passwd emsyncd | grep -q ':/var/lib/emsyncd:' || fail "no user emsyncd with home /var/lib/emsyncd"
getent group emsyncd-admin >/dev/null || fail "no group emsyncd-admin"
ok "user emsyncd, groups emsyncd and emsyncd-admin"
[[ -L /etc/systemd/system/multi-user.target.wants/emsyncd.service ]] || fail "emsyncd.service is not enabled"
ok "emsyncd.service enabled (not started)"
if ! out=$(systemd-analyze verify --recursive-errors=yes emsyncd.service 2>&1) || [[ -n $out ]]; then
  echo "$out" >&2
  fail "systemd-analyze verify complained about the installed emsyncd.service"
fi
ok "systemd-analyze verify emsyncd.service: no complaint"

echo "== versions"
[[ $(emsyncd --version) == "emsyncd $version" ]] || fail "emsyncd --version: $(emsyncd --version)"
[[ $(emsyncctl --version) == "emsyncctl $version" ]] || fail "emsyncctl --version: $(emsyncctl --version)"
ok "emsyncd $version, emsyncctl $version"

echo "== man pages"
commands=$(emsyncctl --help | awk '/^Subcommands:/ {on = 1; next} on && /^[^ ]/ {on = 0} on && NF {print $1}')
[[ $(wc -l <<<"$commands") -ge 10 ]] || fail "emsyncctl --help lists too few commands: $commands"
page=$(MANWIDTH=200 man -P cat emsyncctl 2>/dev/null) || page=$(zcat /usr/share/man/man1/emsyncctl.1.gz)
for command in $commands; do
  grep -qw -- "$command" <<<"$page" || fail "emsyncctl(1) does not mention the command $command"
done
ok "emsyncctl(1) names every command of emsyncctl --help"
zcat /usr/share/man/man8/emsyncd.8.gz | grep -q -- '--check-migrations' || fail "emsyncd(8) lacks --check-migrations"
ok "emsyncd(8) documents --check-migrations"

echo "== bash completion"
# Completes like bash does for COMP_WORDS; prints COMPREPLY, one a line.
complete_words() {
  bash -c 'source /usr/share/bash-completion/completions/emsyncctl
           COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _emsyncctl; printf "%s\n" "${COMPREPLY[@]}"' \
    complete "$@"
}
[[ $(complete_words emsyncctl "" | sort) == "$(sort <<<"$commands")" ]] || fail "the commands completed are not those of --help"
[[ $(complete_words emsyncctl re | sort | tr '\n' ' ') == "reload resume retry " ]] ||
  fail "'emsyncctl re' completes to $(complete_words emsyncctl re)"
complete_words emsyncctl run --w | grep -qx -- --wait || fail "'emsyncctl run --w' does not complete --wait"
ok "commands and options"
# No daemon here: no names, no error, no wait.
start=$SECONDS
out=$(complete_words emsyncctl --socket /nonexistent/control.sock run "" 2>&1)
[[ -z $out ]] || fail "completing a name without a daemon printed: $out"
((SECONDS - start <= 3)) || fail "completing a name without a daemon took $((SECONDS - start)) s"
ok "activation names: none without a daemon, silently, at once"

echo "== apt-get install --reinstall: an edited config is kept, with its owner and mode"
sed -i 's/"run_history_days": 90/"run_history_days": 30/' /etc/emsyncd/emsyncd.json
(cd "$(dirname "$deb")" && apt-get install -y -qq --reinstall "./$(basename "$deb")") >/dev/null 2>&1 ||
  fail "apt-get install --reinstall failed"
grep -q '"run_history_days": 30' /etc/emsyncd/emsyncd.json || fail "the reinstall replaced the edited config"
check_stat /etc/emsyncd/emsyncd.json "640 root emsyncd"

echo "== an upgrade checks the migrations first (a reinstall runs the postinst as an upgrade)"
# What the postinst says about the state DB the daemon left (no restart here:
# systemd is not PID 1, so only the check is seen).
reinstall_output() {
  (cd "$(dirname "$deb")" && apt-get install -y -qq --reinstall "./$(basename "$deb")") 2>&1 ||
    fail "apt-get install --reinstall failed"
}
postinst_says() { grep -E 'state\.db|not restarted' <<<"$1" | sed 's/^/    /'; }
state_db_at() { # schema version
  sqlite3 /var/lib/emsyncd/state.db "PRAGMA user_version = $1"
  chown -R emsyncd:emsyncd /var/lib/emsyncd
}
install -d -m 0700 -o emsyncd -g emsyncd /var/lib/emsyncd
out=$(reinstall_output)
grep -q 'no state DB yet' <<<"$out" || fail "no state DB: the postinst said: $out"
ok "no state DB: 'no state DB yet'"
postinst_says "$out"
state_db_at 10
out=$(reinstall_output)
grep -q 'schema version 10; the next start migrates it to' <<<"$out" || fail "schema 10: the postinst said: $out"
ok "an older state DB: the migrations the start applies are named"
postinst_says "$out"
state_db_at 999
out=$(reinstall_output)
if ! grep -q 'newer than this emsync' <<<"$out" || ! grep -q 'emsyncd.service is not restarted' <<<"$out"; then
  fail "a newer state DB: the postinst said: $out"
fi
ok "a newer state DB: refused, not restarted, the upgrade itself succeeds"
postinst_says "$out"
rm -rf /var/lib/emsyncd

echo "== the installed emsyncd, on the demo model: completion of activation names"
# Started by hand (no systemd here), on loopback; the destination is never
# called (apply --no-check, no run).
work=$(mktemp -d /tmp/emsync-package-test.XXXXXX)
printf 'unused' >"$work/secret"
cat >"$work/emsyncd.json" <<JSON
{"state_db": "$work/state.db", "admin_socket": "$work/control.sock", "metrics_listen": "",
 "sources": {"demo": {"type": "sqlite", "path": "$root/examples/demo.db"}},
 "destinations": {"emarsys": {"type": "emarsys", "api_url": "http://127.0.0.1:9/api/v2", "auth": "wsse",
                              "username": "demo001", "secret_file": "$work/secret",
                              "new_contacts_list_id": 1}}}
JSON
emsyncd --config "$work/emsyncd.json" 2>"$work/emsyncd.log" &
daemon_pid=$!
stop_daemon() { kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null; rm -rf "$work"; }
for _ in $(seq 100); do emsyncctl --socket "$work/control.sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
emsyncctl --socket "$work/control.sock" apply --no-check "$root/examples/demo-activation.json" >/dev/null || {
  cat "$work/emsyncd.log" >&2
  stop_daemon
  fail "the installed emsyncd did not take the demo activation"
}
names=$(complete_words emsyncctl --socket "$work/control.sock" run "")
names_env=$(EMSYNC_SOCKET=$work/control.sock complete_words emsyncctl show demo)
migrations=$(emsyncd --check-migrations "$work/emsyncd.json")
stop_daemon
[[ $names == demo-contacts ]] || fail "'emsyncctl --socket S run' completes to '$names', expected demo-contacts"
[[ $names_env == demo-contacts ]] || fail "'emsyncctl show demo' with EMSYNC_SOCKET completes to '$names_env'"
ok "activation names from the running daemon (--socket and \$EMSYNC_SOCKET)"
grep -q 'up to date' <<<"$migrations" || fail "--check-migrations on the daemon's state DB: $migrations"
ok "--check-migrations on its state DB: ${migrations#*: }"

echo "== dpkg --remove emsync: the state and the config stay"
# A state DB as the daemon leaves it.
install -d -m 0700 -o emsyncd -g emsyncd /var/lib/emsyncd
install -m 0600 -o emsyncd -g emsyncd /dev/null /var/lib/emsyncd/state.db
dpkg --remove emsync >/tmp/emsync-package-remove.log 2>&1 || {
  cat /tmp/emsync-package-remove.log >&2
  fail "dpkg --remove failed"
}
[[ ! -e /usr/sbin/emsyncd ]] || fail "/usr/sbin/emsyncd is still there after remove"
[[ -e /var/lib/emsyncd/state.db ]] || fail "remove deleted the state DB"
[[ -e /etc/emsyncd/emsyncd.json ]] || fail "remove deleted the config"
ok "binaries gone; /var/lib/emsyncd/state.db and /etc/emsyncd/emsyncd.json kept"

echo "== dpkg --purge emsync"
dpkg --purge emsync >/tmp/emsync-package-purge.log 2>&1 || {
  cat /tmp/emsync-package-purge.log >&2
  fail "dpkg --purge failed"
}
sed 's/^/  /' /tmp/emsync-package-purge.log
grep -q 'removing /var/lib/emsyncd' /tmp/emsync-package-purge.log || fail "purge did not say it removes /var/lib/emsyncd"
for path in /var/lib/emsyncd /etc/emsyncd /etc/systemd/system/multi-user.target.wants/emsyncd.service \
  /usr/lib/systemd/system/emsyncd.service; do
  [[ ! -e $path && ! -L $path ]] || fail "$path is left after the purge"
done
! dpkg-query -W -f='${Status}' emsync 2>/dev/null | grep -q installed || fail "dpkg still lists emsync"
ok "nothing of emsync left but the user emsyncd, its groups and /etc/credstore"
rm -f /tmp/emsync-package-install.log /tmp/emsync-package-remove.log /tmp/emsync-package-purge.log
echo "package-test: PASS"
