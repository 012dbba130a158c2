// Cursor values of incremental reads (lib/sync/read_plan.hpp,
// lib/source/row_filter.hpp): what a warehouse returns in the cursor column,
// and the bound made from it.
//
// Input: one byte choosing the column type (integer, numeric, date,
// timestamp), then the value's text. Invariants: a value that reads as a
// cursor number prints as canonical text that reads back as the same number,
// prints the same again, and is a bound every source accepts (filter_bound);
// the tracker takes the value exactly when it reads.
#include <string>

#include "check.hpp"
#include "source/row_filter.hpp"
#include "sync/read_plan.hpp"

namespace {

using emsync::source::ColumnType;

constexpr ColumnType k_types[] = {ColumnType::integer, ColumnType::numeric, ColumnType::date,
                                  ColumnType::timestamp};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const ColumnType column_type = k_types[data[0] % 4];
  const std::string text(emsync::fuzz::as_text(data + 1, size - 1));
  const ColumnType type = *emsync::sync::cursor_type(column_type);
  const auto number = emsync::sync::cursor_number(column_type, text);
  emsync::sync::CursorTracker tracker(column_type);
  FUZZ_CHECK(tracker.see(text, true) == number.has_value());
  if (!number) {
    return 0;
  }
  FUZZ_CHECK(tracker.highest() == number && tracker.lowest_spooled() == number);
  const std::string canonical = emsync::sync::cursor_text(type, *number);
  FUZZ_CHECK(emsync::sync::cursor_number(type, canonical) == number);
  FUZZ_CHECK(emsync::sync::cursor_text(type, *number) == canonical);
  emsync::source::QueryOptions options;
  options.filter = emsync::source::RowFilter{"cursor", type, canonical};
  const auto bound = emsync::source::filter_bound(options);
  FUZZ_CHECK(bound && *bound);
  return 0;
}
