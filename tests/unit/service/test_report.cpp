#include <catch2/catch.hpp>
#include <chrono>

#include "service/report.hpp"

namespace emsync::service {
namespace {

using nlohmann::json;

store::RunRecord finished_run() {
  store::RunRecord run;
  run.id = 12;
  run.activation = "crm";
  run.status = store::RunStatus::succeeded;
  run.counts = {.rows_read = 120,
                .unchanged = 100,
                .updated = 10,
                .inserted = 5,
                .not_found = 0,
                .rejected = 5,
                .failed = 0,
                .cursor_null = 3};
  run.started_at = 1'764'669'600'000;  // 2025-12-02T10:00:00Z
  run.finished_at = run.started_at + 18'000;
  return run;
}

store::ReadState read_state(std::string cursor_type, std::optional<std::string> watermark,
                            std::optional<UnixMillis> last_full_read_at) {
  return {std::move(cursor_type), std::move(watermark), last_full_read_at, 0};
}

constexpr const char* k_cannot_see =
    "an incremental read does not see rows deleted from the model or rows whose cursor did not "
    "move (the next full read does), nor rows whose cursor is NULL (full reads only)";

TEST_CASE("a run report says how the run read its model, with its counters", "[report]") {
  store::RunRecord run = finished_run();
  run.read = {.kind = store::ReadKind::incremental,
              .watermark = "2025-12-02 09:30:00",
              .read_from = "2025-12-02 09:15:00"};
  const json report = run_report(run);
  CHECK(report.at("read") == "incremental");
  CHECK(report.at("watermark") == "2025-12-02 09:30:00");
  CHECK(report.at("read_from") == "2025-12-02 09:15:00");
  CHECK(report.at("cursor_null") == 3);
  CHECK(report.at("rows_read") == 120);
  CHECK(report.at("full") == false);
  CHECK(report.at("started_at") == "2025-12-02T10:00:00Z");
  CHECK(report.at("finished_at") == "2025-12-02T10:00:18Z");
  CHECK(report.at("error").is_null());
  // The counters are the ones the run_finished log line carries.
  const json counts = counts_json(run.counts);
  CHECK(counts.size() == 10);
  for (const auto& [key, value] : counts.items()) {
    CAPTURE(key);
    CHECK(report.at(key) == value);
  }

  const json full = run_report(finished_run());
  CHECK(full.at("read") == "full");
  CHECK(full.at("watermark").is_null());
  CHECK(full.at("read_from").is_null());
}

TEST_CASE("show's incremental block: the lookback as configured or its default, the stored state",
          "[report]") {
  config::Incremental incremental;
  incremental.cursor_column = "updated_at";

  SECTION("nothing stored yet: default lookback 15m, no watermark, no full read") {
    const json shown = incremental_json(incremental, std::nullopt);
    CHECK(shown == json{{"cursor_column", "updated_at"},
                        {"lookback", "15m"},
                        {"full_every", "1d"},
                        {"watermark", nullptr},
                        {"last_full_read_at", nullptr},
                        {"cannot_see", k_cannot_see}});
  }
  SECTION("an integer cursor stored: the default lookback is 0") {
    incremental.full_every = std::nullopt;
    const json shown =
        incremental_json(incremental, read_state("integer", "4711", 1'764'669'600'000));
    CHECK(shown.at("lookback") == 0);
    CHECK(shown.at("full_every") == "never");
    CHECK(shown.at("watermark") == "4711");
    CHECK(shown.at("last_full_read_at") == "2025-12-02T10:00:00Z");
  }
  SECTION("a configured lookback is shown as configured") {
    incremental.lookback_time = std::chrono::hours(2);
    incremental.full_every = std::chrono::hours(24 * 7);
    CHECK(incremental_json(incremental, read_state("timestamp", std::nullopt, std::nullopt))
              .at("lookback") == "2h");
    CHECK(incremental_json(incremental, std::nullopt).at("full_every") == "7d");
    incremental.lookback_time.reset();
    incremental.lookback_count = 100;
    const json shown = incremental_json(incremental, read_state("integer", "900", std::nullopt));
    CHECK(shown.at("lookback") == 100);
    CHECK(shown.at("last_full_read_at").is_null());
  }
}

}  // namespace
}  // namespace emsync::service
