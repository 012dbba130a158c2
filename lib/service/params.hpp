// Reading admin request parameters (internal to lib/service).
#pragma once

#include <string>
#include <type_traits>

#include "admin/protocol.hpp"
#include "core/result.hpp"

namespace emsync::service {

// The non-empty string parameter `key`, or an invalid_input error naming it.
inline Result<std::string> string_param(const admin::Request& request, const char* key) {
  auto it = request.params.find(key);
  if (it == request.params.end() || !it->is_string() || it->get<std::string>().empty()) {
    return make_error(Errc::invalid_input, std::string("'") + request.method +
                                               "' needs the parameter '" + key + "' (a string)");
  }
  return it->get<std::string>();
}

// The parameter `key`, or `fallback` when absent or null. A value of the
// wrong type throws nlohmann::json::exception (Service::dispatch answers it);
// so does a floating-point number (2.5, 1e3) for an integer parameter, which
// nlohmann would cast (undefined behaviour beyond the integer's range:
// "limit": 1e300).
template <class T>
T param_or(const admin::Request& request, const char* key, T fallback) {
  auto it = request.params.find(key);
  if (it == request.params.end() || it->is_null()) {
    return fallback;
  }
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (it->is_number_float()) {
      throw nlohmann::json::type_error::create(
          302, std::string("'") + key + "' must be an integer, not " + it->dump(), &*it);
    }
  }
  return it->get<T>();
}

}  // namespace emsync::service
