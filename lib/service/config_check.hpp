// `emsyncd --check-config`: what keeps a config from working, found without
// starting the daemon, every problem at once (not only the first). Blocking.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace emsync::service {

// The problems of the config's surroundings, each "<key>: <what is wrong>":
// - every secret it names is read (a `*_file` that does not exist or cannot
//   be read, a `*_env` variable that is unset or empty); a relative file is
//   looked up as the daemon does (core/secret.hpp: $CREDENTIALS_DIRECTORY
//   when set, else the working directory);
// - the directory of state_db exists and the user running the check may
//   create files in it (the state DB, its lock and WAL, the spool), and the
//   state DB, when it exists, may be written;
// - the directory of admin_socket exists.
std::vector<std::string> check_surroundings(const config::Config& config);

// One source or destination reached (or not) by check_connections().
struct Reached {
  std::string key;                     // "sources.warehouse", "destinations.emarsys"
  std::optional<std::string> problem;  // nullopt: reached
};

// Connects to every source (RowSource::check_connection: no query of the
// user's) and calls every destination with its credentials (GET /field;
// check_settings(): 2 attempts of 10 s at most), in the config's order,
// sources first. One whose
// secret cannot be read is not tried (its problem says so).
std::vector<Reached> check_connections(const config::Config& config);

}  // namespace emsync::service
