// Per-API-user request limit in fixed windows: a window opens at a user's
// first request after the previous one ended and lasts --rate-window-ms
// (the 2020 recording in emarsys-api.md §7 showed Reset = first request +
// 60 s). Not thread-safe: the Simulator calls it under its mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "sim/time_text.hpp"

namespace emsync::sim {

struct RateDecision {
  bool allowed = true;
  int limit = 0;
  int remaining = 0;
  std::int64_t reset_epoch_seconds = 0;  // window end, rounded up
};

class RateLimiter {
 public:
  RateLimiter(int limit, std::chrono::milliseconds window);

  // Counts one request of `user` at `now`; past the limit it is refused.
  RateDecision admit(const std::string& user, Clock::time_point now);

  void reset();

 private:
  struct Window {
    Clock::time_point start;
    int count = 0;
  };

  int m_limit;
  std::chrono::milliseconds m_window;
  std::map<std::string, Window> m_windows;
};

}  // namespace emsync::sim
