// append_json_string: byte for byte what nlohmann::json::dump() writes.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "core/json_text.hpp"

namespace {

std::string written(const std::string& text) {
  std::string out = "[";
  emsync::append_json_string(out, text);
  return out + "]";
}

}  // namespace

TEST_CASE("append_json_string writes what nlohmann::json::dump() writes", "[json_text]") {
  std::string every_control;
  for (char c = 0; c < 0x20; ++c) {
    every_control += c;
  }
  const std::string samples[] = {
      "",
      "plain",
      "a longer plain text that spans several eight-byte words",
      "quote \" and backslash \\ and slash /",
      every_control,
      "tab\tat seven", "12345678\n", "1234567\"", "\x7f del stays",
      "Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x98\x80 utf-8 stays as it is",
      std::string(200, 'x') + "\r",
  };
  for (const std::string& text : samples) {
    CAPTURE(text);
    CHECK(written(text) == nlohmann::json::array({text}).dump());
  }
}

TEST_CASE("append_json_string appends to what is there", "[json_text]") {
  std::string out = "{\"k\":";
  emsync::append_json_string(out, "v\n");
  CHECK(out == "{\"k\":\"v\\n\"");
}
