// What the fuzz targets share: FUZZ_CHECK, an invariant checked in every build
// (NDEBUG or not) whose failure aborts, so libFuzzer keeps the input as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string_view>

namespace emsync::fuzz {

[[noreturn]] inline void fail(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, condition);
  std::abort();
}

// libFuzzer's input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// An HTTP reply from libFuzzer's input: its first byte picks the status from
// `statuses`, the rest is the body. Nothing for an empty input.
struct Reply {
  int status = 0;
  std::string_view body;
};
inline std::optional<Reply> as_reply(const std::uint8_t* data, std::size_t size,
                                     std::span<const int> statuses) {
  if (size == 0) {
    return std::nullopt;
  }
  return Reply{statuses[data[0] % statuses.size()], as_text(data + 1, size - 1)};
}

}  // namespace emsync::fuzz

#define FUZZ_CHECK(condition) \
  ((condition) ? void() : ::emsync::fuzz::fail(#condition, __FILE__, __LINE__))
