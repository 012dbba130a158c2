#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "source/cancel_watch.hpp"

namespace emsync::source {

TEST_CASE("a cancel watch calls cancel once the flag is set, and only then", "[source]") {
  std::atomic<bool> flag{false};
  std::atomic<int> calls{0};
  {
    CancelWatch watch(&flag, [&] { ++calls; });
    std::this_thread::sleep_for(3 * CancelWatch::k_poll);
    CHECK(calls == 0);
    CHECK_FALSE(watch.fired());
    flag = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (calls == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK(watch.fired());
    std::this_thread::sleep_for(3 * CancelWatch::k_poll);
  }
  CHECK(calls == 1);
}

TEST_CASE("a cancel watch without a flag or never set never cancels", "[source]") {
  std::atomic<int> calls{0};
  { const CancelWatch watch(nullptr, [&] { ++calls; }); }
  std::atomic<bool> flag{false};
  {
    const auto started = std::chrono::steady_clock::now();
    { const CancelWatch watch(&flag, [&] { ++calls; }); }
    // The destructor wakes the watcher instead of waiting out its poll.
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
  }
  CHECK(calls == 0);
}

}  // namespace emsync::source
