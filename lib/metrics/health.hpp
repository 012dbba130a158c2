// What GET /healthz answers (endpoint.hpp): a value, so that what decides it
// (service/state_db_health.hpp) needs no Asio.
#pragma once

#include <string>

namespace emsync::metrics {

struct Health {
  bool ok = true;
  std::string reason;  // one line, when not ok
};

}  // namespace emsync::metrics
