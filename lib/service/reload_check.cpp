#include "service/reload_check.hpp"

namespace emsync::service {

Result<void> check_reload(const config::Config& running, const config::Config& next,
                          const std::string& path, const std::vector<config::Activation>& stored) {
  if (next.state_db != running.state_db || next.admin_socket != running.admin_socket ||
      next.metrics_listen != running.metrics_listen) {
    return make_error(Errc::invalid_input,
                      path +
                          ": state_db, admin_socket and metrics_listen cannot change while "
                          "the daemon runs; restart it to use the new ones");
  }
  std::string problems;
  for (const auto& activation : stored) {
    if (auto checked = config::check_references(activation, next); !checked) {
      problems += (problems.empty() ? "" : "\n") + checked.error().message +
                  " (delete the activation first, or keep it in the config)";
    }
  }
  if (!problems.empty()) {
    return make_error(Errc::invalid_input, problems);
  }
  return ok();
}

ConcurrencyLimit concurrency_after_reload(int wanted, int capacity) {
  if (wanted <= capacity) {
    return {wanted, std::nullopt};
  }
  return {capacity, "max_concurrent_runs " + std::to_string(wanted) +
                        " needs a restart (the thread pool was sized for " +
                        std::to_string(capacity) + ")"};
}

}  // namespace emsync::service
