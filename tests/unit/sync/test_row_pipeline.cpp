#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
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
  REQUIRE(pipeline.on_columns({{"a", {}, {}}, {"b", {}, {}}, {"c", {}, {}}}));
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
  REQUIRE(pipeline.on_columns({{"a", {}, {}}, {"b", {}, {}}, {"c", {}, {}}}));
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
  CHECK(offered < 700 + 6 * 2048);  // at most the chunks in flight past the refusal
  const auto finished = pipeline.finish();
  REQUIRE_FALSE(finished);
  CHECK(finished.error().message == "refused row 700");
  CHECK(recorder.rows.size() == 700);
}

TEST_CASE("RowPipeline without finish() stops its worker when destroyed", "[sync]") {
  Recorder recorder;
  {
    RowPipeline pipeline(recorder);
    REQUIRE(pipeline.on_columns({{"a", {}, {}}, {"b", {}, {}}, {"c", {}, {}}}));
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

namespace {

// Counts rows and checks the size of column 1; blocks in on_row until opened.
struct Gate : emsync::source::RowSink {
  std::mutex mutex;
  std::condition_variable opened_cv;
  bool opened = false;
  std::atomic<long> rows{0};
  std::atomic<long> wrong_sizes{0};
  std::size_t expected_size = 0;

  Result<void> on_columns(const std::vector<Column>&) override { return emsync::ok(); }
  Result<void> on_row(std::span<const Value> values) override {
    std::unique_lock lock(mutex);
    opened_cv.wait(lock, [&] { return opened; });
    if (!values[1] || values[1]->size() != expected_size) {
      ++wrong_sizes;
    }
    ++rows;
    return emsync::ok();
  }
  void open() {
    {
      std::lock_guard lock(mutex);
      opened = true;
    }
    opened_cv.notify_all();
  }
};

}  // namespace

TEST_CASE("RowPipeline bounds the rows in flight in bytes, not rows", "[sync]") {
  // 1,000,000-byte values in an unmapped column: with chunks of 256 rows,
  // 4 chunks held a thousand of them (1 GB) while the worker was busy.
  Gate gate;
  gate.expected_size = 1000000;
  RowPipeline pipeline(gate);
  REQUIRE(pipeline.on_columns({{"id", {}, {}}, {"blob", {}, {}}, {"email", {}, {}}}));
  constexpr long k_rows = 600;
  std::atomic<long> offered{0};
  std::thread source([&] {
    const std::vector<Value> values = {"1", std::string(gate.expected_size, 'b'), "a@example.com"};
    for (long i = 0; i < k_rows; ++i) {
      if (!pipeline.on_row(values)) {
        return;
      }
      ++offered;
    }
  });
  // The worker is stuck on the first row: the source fills the free chunks
  // (a row or two each, handed over at 1 MiB) and must then wait.
  long seen = -1;
  for (int i = 0; i < 50 && seen != offered.load(); ++i) {
    seen = offered.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  CHECK(offered.load() <= 8);  // about 8 MB in flight, however many rows a chunk may hold
  gate.open();
  source.join();
  REQUIRE(pipeline.finish());
  CHECK(gate.rows.load() == k_rows);
  CHECK(gate.wrong_sizes.load() == 0);
}

TEST_CASE("RowPipeline cuts a value over the limit to one byte more", "[sync]") {
  using emsync::sync::k_max_value_bytes;
  Recorder recorder;
  RowPipeline pipeline(recorder);
  REQUIRE(pipeline.on_columns({{"a", {}, {}}, {"b", {}, {}}}));
  const std::vector<Value> fits = {std::string(k_max_value_bytes, 'f'), Value()};
  const std::vector<Value> over = {"x", std::string(3 * k_max_value_bytes, 'o')};
  REQUIRE(pipeline.on_row(fits));
  REQUIRE(pipeline.on_row(over));
  REQUIRE(pipeline.finish());
  REQUIRE(recorder.rows.size() == 2);
  CHECK(recorder.rows[0] == fits);
  CHECK(recorder.rows[1][0] == "x");
  CHECK(recorder.rows[1][1] == std::string(k_max_value_bytes + 1, 'o'));
}

TEST_CASE("RowPipeline refuses a model of more than 1024 columns", "[sync]") {
  Recorder recorder;
  std::vector<Column> columns;
  for (int i = 0; i < 1024; ++i) {
    columns.push_back({"c" + std::to_string(i), {}, {}});
  }
  RowPipeline widest(recorder);
  REQUIRE(widest.on_columns(columns));
  const std::vector<Value> values(columns.size(), Value("v"));
  REQUIRE(widest.on_row(values));
  REQUIRE(widest.finish());
  CHECK(recorder.rows.size() == 1);

  columns.push_back({"one_more", {}, {}});
  Recorder other;
  RowPipeline too_wide(other);
  auto refused = too_wide.on_columns(columns);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::invalid_input);
  CHECK_THAT(refused.error().message, Catch::Contains("1025 columns") && Catch::Contains("1024"));
  CHECK(other.columns.empty());
}
