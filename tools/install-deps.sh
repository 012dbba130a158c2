#!/usr/bin/env bash
# Installs the Debian 12 packages emsync needs to build, test and run the
# quick start. Idempotent: only missing packages are installed (as root).
# Packages given as arguments are installed too (tools/package-test.sh: lintian).
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config git
  libboost1.81-dev libssl-dev ca-certificates openssl
  libpq-dev unixodbc-dev nlohmann-json3-dev libspdlog-dev libsqlite3-dev
  libxxhash-dev libcli11-dev catch2 libsystemd-dev libsimdjson-dev
  libhowardhinnant-date-dev tzdata
  postgresql curl jq bsdextrautils sqlite3
  odbc-postgresql libsqliteodbc # real ODBC drivers: the ODBC source's tests (psqlODBC, SQLite ODBC)
  systemd # systemd-analyze, systemd-sysusers, systemd-tmpfiles: the systemd.units test
  prometheus # promtool: the observability test checks a real scrape with `promtool check metrics`
  # The asan preset (tools/sanitize.sh, tools/fuzz.sh): clang with libFuzzer and
  # the sanitizer runtimes (libclang-rt is only a Recommends of clang-16), and
  # llvm-symbolizer-16 for readable reports.
  clang-16 libfuzzer-16-dev libclang-rt-16-dev llvm-16
  help2man dpkg-dev # the Debian package (tools/package.sh): man pages, dpkg-shlibdeps
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
