// What a config reload must respect, decided on values: the settings that
// need a restart, the stored activations' references, and the concurrency
// the thread pool allows. Pure; the caller reads the new config, the stored
// activations and the secrets (reading a secret is the last check of a
// reload, in Service::load_resources).
//
// Rules:
//  - state_db, admin_socket and metrics_listen cannot change while the daemon
//    runs (a restart uses the new ones).
//  - Every stored activation must find its source and destination in the new
//    config; all the missing ones are named at once, each with the remedy.
//  - max_concurrent_runs may rise only up to what the thread pool was sized
//    for at start; above that it is lowered, with a warning saying a restart
//    is needed.
//
// Example:
//
//   auto checked = check_reload(running, *next, path, stored_activations);
//   if (!checked) return checked.error();  // the old config keeps running
//   const ConcurrencyLimit limit = concurrency_after_reload(next->max_concurrent_runs, capacity);
//   if (limit.warning) spdlog::warn("{}", *limit.warning);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/activation.hpp"
#include "config/config.hpp"
#include "core/result.hpp"

namespace emsync::service {

// Ok when `next` (read from `path`) may replace `running` for the stored
// activations `stored`; else Errc::invalid_input with every reason, one a line.
Result<void> check_reload(const config::Config& running, const config::Config& next,
                          const std::string& path, const std::vector<config::Activation>& stored);

struct ConcurrencyLimit {
  int max_concurrent_runs = 1;         // what the daemon applies
  std::optional<std::string> warning;  // when lower than asked
};
// The runs that may go at once after a reload asking for `wanted`, when the
// thread pool holds `capacity` of them. REQUIRES: wanted >= 1, capacity >= 1.
ConcurrencyLimit concurrency_after_reload(int wanted, int capacity);

}  // namespace emsync::service
