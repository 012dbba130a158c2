#include "core/result.hpp"

namespace emsync {

const char* to_string(Errc code) {
  switch (code) {
    case Errc::invalid_input: return "invalid_input";
    case Errc::not_found: return "not_found";
    case Errc::io_error: return "io_error";
    case Errc::source_error: return "source_error";
    case Errc::state_error: return "state_error";
    case Errc::transient: return "transient";
    case Errc::rate_limited: return "rate_limited";
    case Errc::auth_failed: return "auth_failed";
    case Errc::rejected: return "rejected";
    case Errc::protocol_error: return "protocol_error";
    case Errc::cancelled: return "cancelled";
    case Errc::timeout: return "timeout";
  }
  return "unknown";
}

}  // namespace emsync
