// quote_value: what a message quotes of a value, bounded.
#include <catch2/catch.hpp>
#include <string>

#include "core/quote.hpp"

using emsync::quote_value;

TEST_CASE("quote_value keeps a value that fits", "[quote]") {
  CHECK(quote_value("a b@x.com") == "a b@x.com");
  CHECK(quote_value("") == "");
  const std::string exact(256, 'x');
  CHECK(quote_value(exact) == exact);
}

TEST_CASE("quote_value cuts a long value and names its size", "[quote]") {
  const std::string huge = "a b" + std::string(1 << 20, 'x');
  const std::string quoted = quote_value(huge);
  CHECK(quoted == "a b" + std::string(253, 'x') + "\u2026(1048579 bytes)");
  CHECK(quoted.size() < 300);
  CHECK(quote_value("abcdef", 3) == "abc\u2026(6 bytes)");
}

TEST_CASE("quote_value cuts on a UTF-8 boundary", "[quote]") {
  // "é" is 2 bytes, "€" 3, "😀" 4: a cut inside one keeps none of it.
  CHECK(quote_value("ab\u00e9cd", 3) == "ab\u2026(6 bytes)");
  CHECK(quote_value("ab\u00e9cd", 4) == "ab\u00e9\u2026(6 bytes)");
  CHECK(quote_value("a\u20acb", 2) == "a\u2026(5 bytes)");
  CHECK(quote_value("a\u20acb", 3) == "a\u2026(5 bytes)");
  CHECK(quote_value("a\U0001F600b", 4) == "a\u2026(6 bytes)");
  CHECK(quote_value("a\U0001F600b", 5) == "a\U0001F600\u2026(6 bytes)");
}

TEST_CASE("quote_value cuts bytes that are not UTF-8 at the limit", "[quote]") {
  const std::string continuations(10, '\x80');
  CHECK(quote_value(continuations, 5) == std::string(5, '\x80') + "\u2026(10 bytes)");
}
