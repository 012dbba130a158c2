// COPY text decoding (lib/source/copy_text.hpp): one line of PostgreSQL's
// COPY TO STDOUT text format into a row of values.
//
// Input: one byte giving the number of columns (0-7), then the line.
// Invariants: a line decodes for exactly one column count (its raw tabs plus
// one); reusing the row's previous values (as the source does from row to
// row) decodes the same values as fresh ones; decoded values written back in
// COPY's text format decode to the same values.
#include <algorithm>
#include <vector>

#include "check.hpp"
#include "source/copy_text.hpp"

namespace {

using namespace emsync;
using source::Value;

// How PostgreSQL writes a value: NULL is \N; backslash, tab, newline and
// carriage return are escaped; every other byte is itself.
std::string copy_text(const std::vector<Value>& values) {
  std::string line;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      line += '\t';
    }
    if (!values[i]) {
      line += "\\N";
      continue;
    }
    for (char c : *values[i]) {
      switch (c) {
        case '\\':
          line += "\\\\";
          break;
        case '\t':
          line += "\\t";
          break;
        case '\n':
          line += "\\n";
          break;
        case '\r':
          line += "\\r";
          break;
        default:
          line += c;
      }
    }
  }
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::size_t columns = data[0] % 8;
  const auto line = fuzz::as_text(data + 1, size - 1);

  std::vector<Value> values(columns);
  const bool decoded = source::decode_copy_line(line, values);
  const auto tabs = static_cast<std::size_t>(std::count(line.begin(), line.end(), '\t'));
  FUZZ_CHECK(decoded == (columns == tabs + 1 || (columns == 0 && line.empty())));
  if (!decoded) {
    return 0;
  }

  if (columns > 0) {
    std::vector<Value> reused(columns, Value("stale value from the previous row"));
    reused.front().reset();
    FUZZ_CHECK(source::decode_copy_line(line, reused) && reused == values);
  }

  std::vector<Value> again(columns);
  FUZZ_CHECK(source::decode_copy_line(copy_text(values), again));
  FUZZ_CHECK(again == values);
  return 0;
}
