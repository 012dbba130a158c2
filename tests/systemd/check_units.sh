#!/usr/bin/env bash
# ctest systemd.units (label unit): checks what `cmake --install` ships for
# systemd, offline (no systemd as PID 1, no daemon started):
#   1. installs the build tree into a temporary root (DESTDIR, prefix /usr as
#      a Debian package), so the unit is checked as installed, with the real
#      binaries at the paths it names;
#   2. `systemd-analyze verify --root`: any complaint fails (an unknown key or
#      a bad value is only a warning there, hence --recursive-errors=yes and
#      "no output at all");
#   3. `systemd-analyze security --offline`: fails above exposure 2.0;
#   4. `systemd-sysusers --root` and `systemd-tmpfiles --create --root` apply
#      the sysusers.d and tmpfiles.d files to the temporary root (any error
#      fails) and the results are checked.
#
#   check_units.sh CMAKE BUILD_DIR
set -euo pipefail

if (($# != 2)); then
  echo "usage: $0 CMAKE BUILD_DIR" >&2
  exit 2
fi
cmake=$1
build=$2
unit=emsyncd.service
threshold=20 # systemd-analyze's exposure x 10: fails above 2.0

indent() { sed 's/^/  /'; }

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles; do
  command -v "$tool" >/dev/null || fail "$tool not found (Debian package systemd)"
done
echo "systemd: $(systemd-analyze --version | head -n 1)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

# The units emsyncd.service depends on (sysinit.target, network-online.target,
# ...) come from the host, the rest from the install.
mkdir -p "$root/usr/lib/systemd" "$root/etc"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
if ! DESTDIR=$root "$cmake" --install "$build" --prefix /usr >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log" >&2
  fail "cmake --install $build failed (build emsyncd and emsyncctl first)"
fi
installed=$(sed -n 's|^-- Installing: '"$root"'||p' "$tmp/install.log")
echo "installed into a temporary root (cmake --install --prefix /usr, DESTDIR):"
indent <<<"$installed"
unit_path=$(grep "/systemd/system/$unit\$" <<<"$installed") || fail "no $unit installed"

# 2. verify, by unit name: also proves the unit lands in systemd's search path.
# It checks that ExecStart=/ExecReload= name executables inside the root.
echo "systemd-analyze verify --root $unit ($unit_path)"
if ! out=$(systemd-analyze verify --recursive-errors=yes --root="$root" "$unit" 2>&1) || [[ -n $out ]]; then
  echo "$out" >&2
  fail "systemd-analyze verify complained about $unit"
fi
echo "  ok: no complaint"

# 3. security exposure.
echo "systemd-analyze security --offline=true --threshold=$threshold $unit"
if ! out=$(systemd-analyze security --no-pager --offline=true --threshold="$threshold" \
  --root="$root" "$unit" 2>&1); then
  echo "$out" >&2
  fail "exposure of $unit above $((threshold / 10)).$((threshold % 10))"
fi
exposure=$(grep -o 'Overall exposure level for .*' <<<"$out") || {
  echo "$out" >&2
  fail "no exposure figure in the output"
}
echo "  ok: $exposure"

# 4. sysusers.d and tmpfiles.d, applied to the temporary root. Given by base
# name, the files are looked up in the tools' search paths (so they are
# installed where the tools look), and any error in them fails (without a
# name, systemd-sysusers only warns).
echo "systemd-sysusers --root emsyncd.conf"
if ! out=$(systemd-sysusers --root="$root" emsyncd.conf 2>&1) || grep -qv '^Creating ' <<<"$out"; then
  echo "$out" >&2
  fail "systemd-sysusers complained about emsyncd.conf"
fi
indent <<<"$out"
grep -q '^emsyncd:x:[0-9]*:[0-9]*:[^:]*:/var/lib/emsyncd:' "$root/etc/passwd" ||
  fail "sysusers.d did not create the emsyncd user with home /var/lib/emsyncd"
grep -q '^emsyncd:' "$root/etc/group" || fail "sysusers.d did not create the emsyncd group"
grep -q '^emsyncd-admin:' "$root/etc/group" ||
  fail "sysusers.d did not create the operators group emsyncd-admin"
echo "  ok: user and group emsyncd, group emsyncd-admin"

echo "systemd-tmpfiles --create --root emsyncd.conf"
mkdir -p "$root/var/lib/emsyncd"
mkdir -m 0700 "$root/var/lib/emsyncd/spool" # as the daemon makes it
if ! out=$(systemd-tmpfiles --create --root="$root" emsyncd.conf 2>&1) || [[ -n $out ]]; then
  echo "$out" >&2
  fail "systemd-tmpfiles complained about emsyncd.conf"
fi
check_dir() { # path mode owner
  local got
  got=$(stat -c '%a %U' "$root$1" 2>/dev/null) || fail "tmpfiles.d did not create $1"
  [[ $got == "$2 $3" ]] || fail "$1 is $got, expected $2 $3"
  echo "  ok: $1 $2 $3"
}
check_dir /etc/emsyncd 755 root
check_dir /etc/credstore 700 root
check_dir /var/lib/emsyncd/spool 700 root # `e`: age only, mode kept
echo "PASS"
