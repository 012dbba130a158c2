// What the fuzz targets share: FUZZ_CHECK, an invariant checked in every build
// (NDEBUG or not) whose failure aborts, so libFuzzer keeps the input as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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

}  // namespace emsync::fuzz

#define FUZZ_CHECK(condition) \
  ((condition) ? void() : ::emsync::fuzz::fail(#condition, __FILE__, __LINE__))
