// Building the libpq connection string of a PostgreSQL source.
#pragma once

#include <optional>
#include <string>

#include "core/result.hpp"

namespace emsync::source {

struct PgConnectInfo {
  // What libpq gets: every keyword of the configured conninfo, the password,
  // and defaults (connect_timeout=10, application_name=emsync,
  // client_encoding=UTF8) for keywords left unset. Never log it.
  std::string connect_string;
  // Safe for messages and logs: "host=... port=... dbname=... user=..." from
  // the configured conninfo, never a password.
  std::string description;
};

// Parses `conninfo` (keyword=value pairs or a postgresql:// URI) with libpq.
// Errors (Errc::invalid_input) say what is wrong without echoing a password.
Result<PgConnectInfo> make_connect_info(const std::string& conninfo,
                                        const std::optional<std::string>& password);

}  // namespace emsync::source
