#include <catch2/catch.hpp>
#include <string>

#include "metrics/process.hpp"

using emsync::metrics::parse_proc_stat;

TEST_CASE("parses /proc/self/stat, whatever the command name holds", "[metrics]") {
  // Fields 1..24 of proc(5): utime 14 = 250, stime 15 = 50 ticks, starttime
  // 22 = 1000 ticks, vsize 23 = 123456789 bytes, rss 24 = 2000 pages.
  const std::string text =
      "4242 (emsyncd) (x y)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 5 0 1000 "
      "123456789 2000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto stats = parse_proc_stat(text, 100, 4096, 1700000000);
  REQUIRE(stats);
  CHECK(stats->cpu_seconds == 3.0);
  CHECK(stats->resident_bytes == 2000.0 * 4096);
  CHECK(stats->virtual_bytes == 123456789.0);
  CHECK(stats->start_time_seconds == 1700000010.0);

  CHECK_FALSE(parse_proc_stat("", 100, 4096, 0));
  CHECK_FALSE(parse_proc_stat("1 (short) S 1 2 3", 100, 4096, 0));
}

TEST_CASE("ProcessMetrics reads this process", "[metrics]") {
  emsync::metrics::Registry registry;
  emsync::metrics::ProcessMetrics process(registry);
  const std::string text = registry.render();
  CHECK(text.find("\nprocess_open_fds 0\n") == std::string::npos);
  CHECK(text.find("\nprocess_resident_memory_bytes 0\n") == std::string::npos);
  CHECK(text.find("\nprocess_start_time_seconds ") != std::string::npos);
}
