// Building the libpq connection string of a PostgreSQL source.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace emsync::source {

struct PgConnectInfo {
  // What libpq gets: every keyword of the configured conninfo, the password,
  // and defaults (connect_timeout=10, application_name=emsync,
  // client_encoding=UTF8, and sslmode=verify-full for a remote host, see
  // ssl_verdict()) for keywords left unset. Its `options` (the conninfo's,
  // else $PGOPTIONS) end with "-c default_transaction_read_only=on -c
  // statement_timeout=<ms>", so every transaction of the session starts read
  // only and every statement has the timeout. Never log it.
  std::string connect_string;
  // Safe for messages and logs: "host=... port=... dbname=... user=..." from
  // the configured conninfo, never a password.
  std::string description;
};

// Parses `conninfo` (keyword=value pairs or a postgresql:// URI) with libpq.
// Errors (Errc::invalid_input) say what is wrong without echoing a password.
Result<PgConnectInfo> make_connect_info(const std::string& conninfo,
                                        const std::optional<std::string>& password,
                                        std::chrono::milliseconds statement_timeout);

// Where a conninfo connects and with which sslmode: the conninfo's keywords,
// else the PGHOST, PGHOSTADDR, PGSSLMODE, PGSERVICE variables.
struct PgTarget {
  std::string host;      // host=, possibly a comma-separated list; "" when unset
  std::string hostaddr;  // hostaddr=, likewise
  std::optional<std::string> sslmode;
  bool service = false;  // service= names a pg_service.conf entry
};

enum class SslVerdict {
  keep,             // loopback or Unix socket, verify-full, or a service file decides
  add_verify_full,  // a remote host and no sslmode: emsync adds sslmode=verify-full
  weak,             // a remote host and an sslmode that does not verify the server's name
};

// The target is local when every entry of host and hostaddr is a Unix socket
// (a path, "@abstract", or empty: libpq's default socket), "localhost", or a
// loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z); otherwise remote.
SslVerdict ssl_verdict(const PgTarget& target);

// For `emsyncd --check-config`: a warning when the conninfo connects to a
// remote host with an sslmode weaker than verify-full; nullopt otherwise
// (also for a conninfo that does not parse: the run reports that).
std::optional<std::string> sslmode_warning(const std::string& conninfo);

}  // namespace emsync::source
