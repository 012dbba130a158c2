#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "sync/row_pipeline.hpp"

using emsync::Errc;
using emsync::Result;
using emsync::source::Column;
using emsync::source::Value;
using emsync::sync::RowPipeline;

namespace {

// Records what it receives, and on which thread; refuses row `fail_at`.
struct Recorder : emsync::source::RowSink {
  std::vector<std::vector<Value>> rows;
  std::vector<Column> columns;
  std::thread::id columns_thread;
  std::thread::id rows_thread;
  long fail_at = -1;

  Result<void> on_columns(const std::vector<Column>& c) override {
    columns = c;
    columns_thread = std::this_thread::get_id();
    return emsync::ok();
  }
  Result<void> on_row(std::span<const Value> values) override {
    rows_thread = std::this_thread::get_id();
    if (static_cast<long>(rows.size()) == fail_at) {
      return emsync::make_error(Errc::invalid_input, "refused row " + std::to_string(fail_at));
    }
    rows.emplace_back(values.begin(), values.end());
    return emsync::ok();
  }
};

std::vector<Value> row(int i) {
  // Values of varying length and NULLs, so reused buffers must be reset right.
  return {std::to_string(i), i % 3 == 0 ? Value() : Value(std::string(i % 50, 'x')),
          i % 2 == 0 ? Value("even") : Value()};
}

}  // namespace

TEST_CASE("RowPipeline hands every row over in order, on another thread", "[sync]") {
  Recorder recorder;
  RowPipeline pipeline(recorder);
  REQUIRE(pipeline.on_columns({{"a", {}}, {"b", {}}, {"c", {}}}));
  CHECK(recorder.columns_thread == std::this_thread::get_id());
  constexpr int k_rows = 3000;  // many chunks, the last one partial
  for (int i = 0; i < k_rows; ++i) {
    const auto values = row(i);
    REQUIRE(pipeline.on_row(values));
  }
  REQUIRE(pipeline.finish());
  REQUIRE(recorder.rows.size() == k_rows);
  for (int i = 0; i < k_rows; ++i) {
    REQUIRE(recorder.rows[static_cast<std::size_t>(i)] == row(i));
  }
  CHECK(recorder.rows_thread != std::this_thread::get_id());
}

TEST_CASE("RowPipeline stops the source once the sink refuses a row", "[sync]") {
  Recorder recorder;
  recorder.fail_at = 700;
  RowPipeline pipeline(recorder);
  REQUIRE(pipeline.on_columns({{"a", {}}, {"b", {}}, {"c", {}}}));
  std::optional<emsync::Error> refused;
  int offered = 0;
  for (; offered < 100000 && !refused; ++offered) {
    const auto values = row(offered);
    if (auto taken = pipeline.on_row(values); !taken) {
      refused = taken.error();
    }
  }
  REQUIRE(refused);
  CHECK(refused->message == "refused row 700");
  CHECK(offered < 700 + 6 * 256);  // at most the chunks in flight past the refusal
  const auto finished = pipeline.finish();
  REQUIRE_FALSE(finished);
  CHECK(finished.error().message == "refused row 700");
  CHECK(recorder.rows.size() == 700);
}

TEST_CASE("RowPipeline without finish() stops its worker when destroyed", "[sync]") {
  Recorder recorder;
  {
    RowPipeline pipeline(recorder);
    REQUIRE(pipeline.on_columns({{"a", {}}, {"b", {}}, {"c", {}}}));
    for (int i = 0; i < 600; ++i) {
      const auto values = row(i);
      REQUIRE(pipeline.on_row(values));
    }
  }  // must not hang
  CHECK(recorder.rows.size() <= 600);
  // A pipeline whose source failed before its columns never started a worker.
  RowPipeline unused(recorder);
  CHECK(unused.finish());
}
