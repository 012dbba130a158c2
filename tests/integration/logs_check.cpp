// The check behind the ctest integration.logs_clean, run after every
// integration group (a FIXTURES_CLEANUP test, see CMakeLists.txt): the logs of
// every emsyncd the groups ran, saved by the fixtures in
// $EMSYNC_TEST_LOG_CHECK_DIR, name no test secret, and no line at info level
// or above names an email. Hidden ("[.]"): no group runs it.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

// Debug and trace lines may name the contacts they are about (never secrets).
// Text: "<ts> debug ...", JSON: {"ts":...,"level":"debug",...}. A line of
// any other shape (an emsyncd error printed before logging starts, the rest
// of a multi-line message) counts as info.
bool below_info(const std::string& line) {
  static const std::regex k_debug(
      R"re(^\S+ (trace|debug) |^\{"ts":"[^"]*","level":"(trace|debug)")re");
  return std::regex_search(line, k_debug);
}

}  // namespace

TEST_CASE("no emsyncd log of the integration suite names a secret, or an email at info and above",
          "[.][logs_clean]") {
  const char* dir = std::getenv("EMSYNC_TEST_LOG_CHECK_DIR");
  REQUIRE(dir != nullptr);
  int processes = 0;
  std::vector<std::filesystem::path> logs;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".ran") {
      ++processes;
    } else if (entry.path().extension() == ".log") {
      logs.push_back(entry.path());
    }
  }
  // Not vacuous: the integration groups selected with this test ran and left
  // their marker; a group that starts no emsyncd leaves no log.
  INFO("no integration test left its marker in " << dir
                                                 << ": none ran, or EMSYNC_TEST_LOG_DIR missed them");
  REQUIRE(processes > 0);

  static const std::regex k_email(R"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,})");
  const std::vector<std::string> secrets = {k_wsse_secret,       k_oauth_secret,
                                            k_wrong_wsse_secret, k_inline_secret,
                                            k_odbc_password,     k_wrong_odbc_password};
  std::ostringstream offending;
  std::size_t lines = 0;
  for (const auto& log : logs) {
    std::ifstream in(log);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      ++lines;
      for (const auto& secret : secrets) {
        if (line.find(secret) != std::string::npos) {
          offending << log.filename().string() << ":" << number << ": secret: " << line << "\n";
        }
      }
      if (!below_info(line) && std::regex_search(line, k_email)) {
        offending << log.filename().string() << ":" << number << ": email: " << line << "\n";
      }
    }
  }
  std::printf("checked %zu lines in %zu emsyncd logs of %d test processes\n", lines, logs.size(),
              processes);
  INFO(offending.str());
  CHECK(offending.str().empty());
}

}  // namespace emsync::test
