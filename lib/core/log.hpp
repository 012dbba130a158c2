// Logging setup for the daemon: spdlog to stderr (journald picks it up under
// systemd), as text or as JSON Lines ({"ts","level","msg"}).
#pragma once

#include <string>

#include "core/result.hpp"

namespace emsync {

// level: trace|debug|info|warn|error; format: text|json.
Result<void> setup_logging(const std::string& level, const std::string& format);

}  // namespace emsync
