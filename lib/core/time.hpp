// Time as emsync stores and prints it: Unix milliseconds inside, RFC 3339 UTC
// outside (admin output, logs).
#pragma once

#include <cstdint>
#include <string>

namespace emsync {

using UnixMillis = std::int64_t;

UnixMillis now_millis();

// "2026-11-28T13:57:43Z" (milliseconds are dropped).
std::string format_rfc3339(UnixMillis t);

}  // namespace emsync
