#include <catch2/catch.hpp>
#include <vector>

#include "source/copy_text.hpp"

namespace emsync::source {
namespace {

std::vector<Value> decode(std::string_view line, std::size_t fields) {
  std::vector<Value> values(fields);
  REQUIRE(decode_copy_line(line, values));
  return values;
}

TEST_CASE("a COPY line splits at tabs and \\N alone is NULL", "[source]") {
  const auto values = decode("1\t\\N\t\tx\\\\N", 4);
  CHECK(values[0] == "1");
  CHECK_FALSE(values[1].has_value());
  CHECK(values[2] == "");
  CHECK(values[3] == "x\\N");
}

TEST_CASE("COPY escapes are decoded", "[source]") {
  const auto values = decode("a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh\t\\101\\x42\\x4a\\q", 2);
  CHECK(values[0] == "a\tb\nc\rd\\e\bf\fg\vh");
  CHECK(values[1] == "ABJq");
}

TEST_CASE("a COPY line with the wrong number of fields is refused", "[source]") {
  std::vector<Value> values(2);
  CHECK_FALSE(decode_copy_line("only one", values));
  CHECK_FALSE(decode_copy_line("one\ttwo\tthree", values));
}

TEST_CASE("decoding reuses the values of the previous line", "[source]") {
  std::vector<Value> values(2);
  REQUIRE(decode_copy_line("a long first value\t\\N", values));
  REQUIRE(decode_copy_line("b\tc", values));
  CHECK(values[0] == "b");
  CHECK(values[1] == "c");
}

}  // namespace
}  // namespace emsync::source
