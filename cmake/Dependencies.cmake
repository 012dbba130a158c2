# Every third-party dependency, with the minimum version Debian 12 ships.
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq>=15)
pkg_check_modules(ODBC REQUIRED IMPORTED_TARGET odbc>=2.3)  # unixodbc-dev
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
# sd_notify (readiness, watchdog) for the Type=notify unit; a later issue uses sd-journal too.
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd>=252)
find_package(Catch2 2.13 REQUIRED)
# The simulator reads contact batches with simdjson: nlohmann::json took half
# of its CPU in a benchmark's first run, and the simulator was the limit.
find_package(simdjson 3.0 REQUIRED)
# Howard Hinnant's date/tz.h for IANA time zones (GCC 12's libstdc++ has no
# std::chrono::zoned_time). Debian's date::date-tz reads the OS database,
# /usr/share/zoneinfo (package tzdata), never the network; the target
# defines USE_OS_TZDB=1 for its users.
find_package(date 3.0 REQUIRED)
