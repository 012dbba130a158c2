// parse_json_bounded: untrusted JSON nested at most 64 deep, with a bounded
// number of values, checked before any tree exists.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "core/json_limits.hpp"

using emsync::Errc;
using emsync::JsonLimits;
using emsync::parse_json_bounded;

namespace {

// `depth` arrays inside each other around `inner`.
std::string nested(std::size_t depth, const std::string& inner = "") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

}  // namespace

TEST_CASE("JSON nested 64 deep parses, 65 and 100,000 deep are refused", "[json_limits]") {
  auto ok = parse_json_bounded(nested(64, "1"));
  REQUIRE(ok);
  CHECK(ok->dump().size() == 129);

  for (const std::size_t depth : {std::size_t{65}, std::size_t{100'000}}) {
    CAPTURE(depth);
    auto refused = parse_json_bounded(nested(depth));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::invalid_input);
    CHECK(refused.error().message == "JSON nested deeper than 64 levels");
  }
  // Objects count too, and so does an unfinished document (16 MB of '[').
  std::string objects;
  for (int i = 0; i < 65; ++i) {
    objects += R"({"a":)";
  }
  CHECK_FALSE(parse_json_bounded(objects + "1" + std::string(65, '}')));
  CHECK_FALSE(parse_json_bounded(std::string(16'000'000, '[')));
  CHECK(parse_json_bounded(nested(3), JsonLimits{3}));
  CHECK_FALSE(parse_json_bounded(nested(4), JsonLimits{3}));
}

TEST_CASE("brackets inside strings do not count", "[json_limits]") {
  const std::string deep_text = "\"" + std::string(1000, '[') + "\\\"[{\"";
  auto parsed = parse_json_bounded(nested(64, deep_text));
  REQUIRE(parsed);
  auto ordered = parse_json_bounded<nlohmann::ordered_json>(R"({"b":"]]]]","a":"\\"})");
  REQUIRE(ordered);
  CHECK(ordered->dump() == R"({"b":"]]]]","a":"\\"})");
}

TEST_CASE("the number of values is bounded", "[json_limits]") {
  // [1,2,3] and {"a":[],"b":{}} are 4 values; an empty container may count 2.
  CHECK(parse_json_bounded("[1,2,3]", JsonLimits{64, 4}));
  CHECK_FALSE(parse_json_bounded("[1,2,3,4]", JsonLimits{64, 4}));
  CHECK(parse_json_bounded(R"({"a":[1],"b":{"c":2}})", JsonLimits{64, 5}));
  auto refused = parse_json_bounded(R"({"a":[1],"b":{"c":2}})", JsonLimits{64, 4});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::invalid_input);
  CHECK(refused.error().message == "JSON has more than 4 values");
  CHECK(parse_json_bounded(R"(["a,b,c,d,e"])", JsonLimits{64, 2}));
  CHECK(parse_json_bounded("42", JsonLimits{64, 1}));
}

TEST_CASE("a syntax error is a protocol_error with nlohmann's position, untagged",
          "[json_limits]") {
  auto bad = parse_json_bounded("{\"a\": tru}");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::protocol_error);
  CHECK_THAT(bad.error().message, Catch::StartsWith("parse error at line 1, column"));
  CHECK_FALSE(parse_json_bounded("]]]]"));
  CHECK_FALSE(parse_json_bounded(""));
}
