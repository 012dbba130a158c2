#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/log.hpp"

using emsync::is_journal_stream;
using emsync::log_event;
using emsync::make_log_formatter;
using nlohmann::json;

namespace {

// Makes a logger writing to a string, formatted as the daemon formats, the
// default logger while it lives (log_event writes to the default logger).
class CapturedLog {
 public:
  explicit CapturedLog(std::string_view format,
                       spdlog::level::level_enum level = spdlog::level::trace,
                       bool to_journal = false)
      : m_previous(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(m_out);
    auto logger = std::make_shared<spdlog::logger>("emsyncd", sink);
    logger->set_formatter(make_log_formatter(format, to_journal));
    logger->set_level(level);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(m_previous); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(m_out.str());
    for (std::string line; std::getline(in, line);) {
      result.push_back(line);
    }
    return result;
  }

  // Every line parsed; fails the test on a line that is not a JSON object.
  std::vector<json> json_lines() const {
    std::vector<json> result;
    for (const auto& line : lines()) {
      CAPTURE(line);
      auto parsed = json::parse(line, nullptr, false);
      REQUIRE(parsed.is_object());
      result.push_back(std::move(parsed));
    }
    return result;
  }

 private:
  std::ostringstream m_out;
  std::shared_ptr<spdlog::logger> m_previous;
};

// "2024-05-01T10:00:00.123Z info rest" -> "info rest"
std::string without_timestamp(const std::string& line) {
  const auto space = line.find(' ');
  REQUIRE(space == 24);
  return line.substr(space + 1);
}

}  // namespace

TEST_CASE("json: events put their fields at the top level, next to ts, level, msg and pid",
          "[core][log]") {
  CapturedLog log("json");
  log_event(spdlog::level::info, "run_finished",
            {{"run_id", 7}, {"activation", "crm"}, {"ok", true}, {"error", nullptr},
             {"duration_seconds", 1.5}});
  const auto lines = log.json_lines();
  REQUIRE(lines.size() == 1);
  const json& line = lines[0];
  CHECK(line["msg"] == "run_finished");
  CHECK(line["level"] == "info");
  CHECK(line["pid"].is_number_integer());
  CHECK(line["ts"].get<std::string>().size() == 24);  // 2024-05-01T10:00:00.123Z
  CHECK(line["version"] == EMSYNC_VERSION);
  CHECK(line["logger"] == "emsyncd");
  CHECK(line["run_id"] == 7);
  CHECK(line["activation"] == "crm");
  CHECK(line["ok"] == true);
  CHECK(line["error"].is_null());
  CHECK(line["duration_seconds"] == 1.5);
}

TEST_CASE("json: plain spdlog lines and events without fields are one object per line",
          "[core][log]") {
  CapturedLog log("json");
  spdlog::info("plain {} with \"quotes\"\nand a newline", 1);
  spdlog::warn("bad utf-8 \xff here");
  log_event(spdlog::level::debug, "tick", nullptr);
  log_event(spdlog::level::err, "empty", json::object());
  const auto lines = log.json_lines();
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["msg"] == "plain 1 with \"quotes\"\nand a newline");
  for (const auto& line : lines) {
    CHECK(line["version"] == EMSYNC_VERSION);
    CHECK(line["logger"] == "emsyncd");
  }
  CHECK(lines[1]["level"] == "warning");
  CHECK(lines[2]["msg"] == "tick");
  CHECK(lines[2].size() == 6);
  CHECK(lines[3]["msg"] == "empty");
  CHECK(lines[3]["level"] == "error");
}

TEST_CASE("json: a field named like a line key is renamed, never duplicated", "[core][log]") {
  CapturedLog log("json");
  log_event(spdlog::level::info, "odd",
            {{"msg", "field"}, {"ts", 1}, {"level", "x"}, {"pid", 2}, {"version", "v"},
             {"logger", "l"}});
  const auto line = log.json_lines().at(0);
  CHECK(line["msg"] == "odd");
  CHECK(line["field_msg"] == "field");
  CHECK(line["field_ts"] == 1);
  CHECK(line["field_level"] == "x");
  CHECK(line["field_pid"] == 2);
  CHECK(line["field_version"] == "v");
  CHECK(line["field_logger"] == "l");
  CHECK(line["version"] == EMSYNC_VERSION);
}

TEST_CASE("text: events are logfmt, values with spaces, quotes or = quoted and escaped",
          "[core][log]") {
  CapturedLog log("text");
  log_event(spdlog::level::warn, "run_finished",
            {{"activation", "crm"},
             {"rows", 3},
             {"ok", false},
             {"error", nullptr},
             {"reason", "source said \"no\" = bad\\path\nnext"},
             {"empty", ""},
             {"ratio", 0.25}});
  spdlog::info("plain message {}", "stays");
  const auto lines = log.lines();
  REQUIRE(lines.size() == 2);
  CHECK(without_timestamp(lines[0]) ==
        R"(warning run_finished activation=crm empty="" error=null ok=false ratio=0.25 )"
        R"(reason="source said \"no\" = bad\\path\nnext" rows=3)");
  CHECK(without_timestamp(lines[1]) == "info plain message stays");
}

TEST_CASE("events below the logger's level are not written", "[core][log]") {
  CapturedLog log("json", spdlog::level::info);
  log_event(spdlog::level::debug, "hidden", {{"a", 1}});
  spdlog::debug("hidden too");
  log_event(spdlog::level::info, "shown", {{"a", 1}});
  const auto lines = log.json_lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["msg"] == "shown");
}

TEST_CASE("json: lines written from many threads at once each parse", "[core][log]") {
  CapturedLog log("json");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        if (i % 2 == 0) {
          log_event(spdlog::level::info, "step", {{"thread", t}, {"i", i}});
        } else {
          spdlog::info("thread {} step {}", t, i);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const auto lines = log.json_lines();
  REQUIRE(lines.size() == 800);
  int events = 0;
  for (const auto& line : lines) {
    if (line["msg"] == "step") {
      ++events;
      CHECK(line.contains("thread"));
      CHECK(line.contains("i"));
    }
  }
  CHECK(events == 400);
}

TEST_CASE("stderr is the journal only when $JOURNAL_STREAM names its device and inode",
          "[core][log][journal]") {
  CHECK(is_journal_stream("8:12345", 8, 12345));
  CHECK(is_journal_stream("64769:18446744073709551615", 64769, static_cast<ino_t>(-1)));
  CHECK_FALSE(is_journal_stream("8:12345", 8, 12346));  // stderr redirected elsewhere
  CHECK_FALSE(is_journal_stream("8:12345", 9, 12345));
  CHECK_FALSE(is_journal_stream("", 8, 12345));  // unset
  for (const char* malformed : {"8", "8:", ":12345", "8:12345x", "8:12345:1", "x8:12345", "-8:12345",
                                " 8:12345", "0x8:12345"}) {
    CAPTURE(malformed);
    CHECK_FALSE(is_journal_stream(malformed, 8, 12345));
  }
}

TEST_CASE("journal: text lines start with the sd-daemon priority and have no timestamp",
          "[core][log][journal]") {
  CapturedLog log("text", spdlog::level::trace, true);
  spdlog::trace("t");
  spdlog::debug("d");
  spdlog::info("i {}", 1);
  spdlog::warn("w");
  spdlog::error("e");
  spdlog::critical("c");
  log_event(spdlog::level::info, "run_finished", {{"run_id", 3}});
  CHECK(log.lines() == std::vector<std::string>{"<7>trace t", "<7>debug d", "<6>info i 1",
                                                 "<4>warning w", "<3>error e", "<2>critical c",
                                                 "<6>info run_finished run_id=3"});
}

TEST_CASE("journal: JSON lines start with the priority, then are whole JSON objects",
          "[core][log][journal]") {
  CapturedLog log("json", spdlog::level::trace, true);
  spdlog::warn("w");
  log_event(spdlog::level::err, "run_failed", {{"run_id", 3}});
  const auto lines = log.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].substr(0, 3) == "<4>");
  CHECK(lines[1].substr(0, 3) == "<3>");
  const auto warn = json::parse(lines[0].substr(3));
  CHECK(warn["msg"] == "w");
  CHECK(warn["ts"].is_string());
  const auto event = json::parse(lines[1].substr(3));
  CHECK(event["msg"] == "run_failed");
  CHECK(event["run_id"] == 3);
}

TEST_CASE("lines at info and above write every email as <email>; debug lines keep them",
          "[core][log][privacy]") {
  CapturedLog log("text");
  spdlog::info("contact Ann.Lee+tag@Example.COM rejected: 'x@y.io' and jürgen@bücher.de");
  spdlog::warn("two: a@b.cd,c_d%e@sub.x-y.museum; end a@b.cd");
  spdlog::error("no email: user@host, @example.com, a@.com, a@b.c, 50% @ 3.14, a@b.1x");
  spdlog::debug("debug keeps ann@example.com");
  log_event(spdlog::level::info, "rejected",
            {{"error", "Invalid email: bob@example.org"}, {"count", 2}});
  log_event(spdlog::level::debug, "rejected", {{"email", "bob@example.org"}});
  CHECK(log.lines().size() == 6);
  std::vector<std::string> messages;
  for (const auto& line : log.lines()) {
    messages.push_back(without_timestamp(line));
  }
  CHECK(messages == std::vector<std::string>{
                        "info contact <email> rejected: '<email>' and <email>",
                        "warning two: <email>,<email>; end <email>",
                        "error no email: user@host, @example.com, a@.com, a@b.c, 50% @ 3.14, a@b.1x",
                        "debug debug keeps ann@example.com",
                        R"(info rejected count=2 error="Invalid email: <email>")",
                        "debug rejected email=bob@example.org"});
}

TEST_CASE("json: emails are removed from messages and fields, and the line stays valid JSON",
          "[core][log][privacy]") {
  CapturedLog log("json");
  spdlog::info("\"quoted\"\n\tann@example.com\\");
  log_event(spdlog::level::warn, "e", {{"error", "row\n\x01x@y.io\""}});
  const auto lines = log.json_lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["msg"] == "\"quoted\"\n\t<email>\\");
  CHECK(lines[1]["error"] == "row\n\x01<email>\"");
}
