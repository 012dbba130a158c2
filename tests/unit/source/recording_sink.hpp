// A RowSink that keeps everything it receives, optionally failing at row n.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "source/row_source.hpp"

namespace emsync::source::test {

class RecordingSink : public RowSink {
 public:
  std::vector<Column> columns;
  std::vector<std::vector<Value>> rows;
  int columns_calls = 0;
  std::optional<std::size_t> fail_at_row;  // 0-based

  Result<void> on_columns(const std::vector<Column>& received) override {
    ++columns_calls;
    columns = received;
    return ok();
  }

  // Column `i` of every row received, NULL as "NULL".
  std::vector<std::string> column(std::size_t i) const {
    std::vector<std::string> out;
    for (const auto& row : rows) {
      out.push_back(row.at(i).value_or("NULL"));
    }
    return out;
  }

  Result<void> on_row(std::span<const Value> values) override {
    if (fail_at_row && rows.size() == *fail_at_row) {
      return make_error(Errc::cancelled, "stopped by the sink");
    }
    rows.emplace_back(values.begin(), values.end());
    return ok();
  }
};

}  // namespace emsync::source::test
