// End to end: what emsyncd writes to stderr, as JSON Lines and for the
// journal. Real emsyncd/emsyncctl, the simulator, the SQLite demo model.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;


std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

// The emsyncd logs this test process saved in $EMSYNC_TEST_LOG_DIR.
std::size_t saved_logs() {
  const char* dir = std::getenv("EMSYNC_TEST_LOG_DIR");
  std::size_t count = 0;
  if (dir != nullptr) {
    const std::string prefix = std::to_string(::getpid()) + "-";
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      count += entry.path().filename().string().rfind(prefix, 0) == 0 ? 1 : 0;
    }
  }
  return count;
}

}  // namespace

TEST_CASE("log.format json: every line emsyncd writes is one JSON object with the line keys",
          "[logs]") {
  TempDir dir("emsync-json-log");
  Simulator sim;
  DaemonOptions options;
  options.extra_config = {{"log", {{"level", "debug"}, {"format", "json"}}}};
  // As inherited from a unit whose stderr was the journal: this stderr is a
  // file, so the lines must not get journal priorities.
  options.env = {{"JOURNAL_STREAM", "1:1"}};
  const std::size_t saved_before = saved_logs();
  std::optional<Daemon> daemon;
  daemon.emplace(dir, demo_sources(),
                 json{{"emarsys", wsse_destination(sim, dir, sim.create_list("emsync demo"))}},
                 options);
  daemon->ctl_json({"apply", source_dir() + "/examples/demo-activation.json"});
  CHECK(daemon->run("demo-contacts").at("rejected") == 4);
  REQUIRE(daemon->process().terminate(10s) == 0);

  const auto lines = lines_of(daemon->log());
  REQUIRE(lines.size() > 3);
  std::set<std::string> levels;
  for (const auto& line : lines) {
    INFO(line);
    const json parsed = json::parse(line, nullptr, false);
    REQUIRE(parsed.is_object());
    CHECK(parsed.value("ts", "").size() == 24);  // 2024-05-01T10:00:00.123Z
    CHECK(parsed.value("level", "") != "");
    CHECK(parsed.value("msg", "") != "");
    CHECK(parsed.value("pid", 0) == daemon->pid());
    CHECK(parsed.value("version", "") == EMSYNC_VERSION);
    CHECK(parsed.value("logger", "") == "emsyncd");
    levels.insert(parsed.value("level", ""));
  }
  CHECK(levels.count("debug") == 1);
  CHECK(levels.count("info") == 1);
  CHECK(json::parse(lines.back()).at("msg") == "emsyncd stopped");

  daemon.reset();  // saves its log, when ctest runs this (see logs_check.cpp)
  if (std::getenv("EMSYNC_TEST_LOG_DIR") != nullptr) {
    CHECK(saved_logs() == saved_before + 1);
  }
}

TEST_CASE("when stderr is the journal, each line starts with its priority and has no timestamp",
          "[logs]") {
  TempDir dir("emsync-journal-log");
  Simulator sim;
  write_text_file(dir.path() / "emsyncd.json",
                  daemon_config(dir, demo_sources(),
                                {{"emarsys", wsse_destination(sim, dir, std::nullopt)}})
                      .dump());
  // JOURNAL_STREAM names the file stderr is, as systemd sets it for a unit
  // with StandardError=journal (stat %d:%i is st_dev:st_ino in decimal).
  ChildProcess emsyncd({"sh", "-c",
                        "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec \"$0\" --config "
                        "\"$1\"",
                        EMSYNCD_PATH, (dir.path() / "emsyncd.json").string()});
  const std::vector<std::string> ping = {EMSYNCCTL_PATH, "--socket",
                                         (dir.path() / "emsyncd.sock").string(), "ping"};
  for (int i = 0; i < 200 && run_command(ping).exit_code != 0 && !emsyncd.poll(); ++i) {
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(emsyncd.terminate(10s) == 0);

  const auto lines = lines_of(emsyncd.stderr_text());
  REQUIRE(lines.size() > 2);
  static const std::regex k_journal_line(
      R"(^(<7>(trace|debug)|<6>info|<4>warning|<3>error|<2>critical) .*)");
  for (const auto& line : lines) {
    INFO(line);
    CHECK(std::regex_match(line, k_journal_line));
  }
  CHECK(lines.back() == "<6>info emsyncd stopped");
}

}  // namespace emsync::test
