#include <catch2/catch.hpp>
#include <string>

#include "admin/protocol.hpp"

using emsync::Errc;
using namespace emsync::admin;
using nlohmann::json;

TEST_CASE("a request survives encode and decode", "[admin]") {
  Request sent{"run", {{"name", "crm"}, {"full", true}, {"note", "two\nlines"}}};
  std::string line = encode_request(sent);
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  CHECK(json::parse(line)["protocol"] == k_protocol_version);

  auto decoded = decode_request(line);
  REQUIRE(decoded);
  CHECK(decoded->method == "run");
  CHECK(decoded->params == sent.params);
  CHECK(decoded->peer.uid == -1);
}

TEST_CASE("a request without params decodes with an empty object", "[admin]") {
  auto decoded = decode_request(R"({"protocol":1,"method":"ping"})");
  REQUIRE(decoded);
  CHECK(decoded->params == json::object());
  CHECK(json::parse(encode_request(Request{"ping", nullptr}))["params"] == json::object());
}

TEST_CASE("malformed request lines are invalid_input", "[admin]") {
  const char* lines[] = {
      "",
      "not json",
      R"([1,2])",
      R"({"method":"ping"})",
      R"({"protocol":"1","method":"ping"})",
      R"({"protocol":1})",
      R"({"protocol":1,"method":""})",
      R"({"protocol":1,"method":42})",
      R"({"protocol":1,"method":"ping","params":[]})",
  };
  for (const char* line : lines) {
    INFO(line);
    auto decoded = decode_request(line);
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().code == Errc::invalid_input);
    CHECK(undecodable_request_response(decoded.error()).error_code == "invalid_input");
  }
}

TEST_CASE("a parse error names the position", "[admin]") {
  auto decoded = decode_request("{\"protocol\":1,\n");
  REQUIRE_FALSE(decoded);
  CHECK_THAT(decoded.error().message, Catch::Contains("parse error at line"));
  CHECK_THAT(decoded.error().message, !Catch::Contains("json.exception"));
}

TEST_CASE("a number too large for a double is invalid_input, not an exception (fuzz)", "[admin]") {
  auto decoded = decode_request(R"({"protocol":1,"method":"runs","params":{"limit":1e1300}})");
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().code == Errc::invalid_input);
  CHECK_THAT(decoded.error().message, Catch::Contains("number overflow"));
}

TEST_CASE("another protocol version is unsupported_protocol", "[admin]") {
  auto decoded = decode_request(R"({"protocol":2,"method":"ping","params":{}})");
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().code == Errc::protocol_error);
  Response reply = undecodable_request_response(decoded.error());
  CHECK_FALSE(reply.ok);
  CHECK(reply.error_code == k_unsupported_protocol);
  CHECK_THAT(reply.error_message, Catch::Contains("protocol 2"));
}

TEST_CASE("a line longer than the limit is refused", "[admin]") {
  std::string name(k_max_message_bytes, 'x');
  std::string line = encode_request(Request{"show", {{"name", name}}});
  auto decoded = decode_request(line);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().code == Errc::invalid_input);
  CHECK_THAT(decoded.error().message, Catch::Contains("longer than"));
}

TEST_CASE("responses survive encode and decode", "[admin]") {
  SECTION("success") {
    auto decoded = decode_response(encode_response(Response::success({{"uptime_s", 12}})));
    REQUIRE(decoded);
    CHECK(decoded->ok);
    CHECK(decoded->result == json{{"uptime_s", 12}});
  }
  SECTION("failure") {
    std::string line = encode_response(Response::failure("not_found", "no activation 'crm'"));
    CHECK(json::parse(line)["error"] ==
          json{{"code", "not_found"}, {"message", "no activation 'crm'"}});
    auto decoded = decode_response(line);
    REQUIRE(decoded);
    CHECK_FALSE(decoded->ok);
    CHECK(decoded->error_code == "not_found");
    CHECK(decoded->error_message == "no activation 'crm'");
  }
  SECTION("from an Error") {
    Response reply = Response::from_error(emsync::make_error(Errc::state_error, "disk full"));
    CHECK(reply.error_code == "state_error");
    CHECK(reply.error_message == "disk full");
  }
}

TEST_CASE("encoding replaces invalid UTF-8 instead of throwing", "[admin]") {
  std::string line = encode_response(Response::success(std::string("bad \xff byte")));
  auto decoded = decode_response(line);
  REQUIRE(decoded);
  CHECK(decoded->result.get<std::string>() == "bad \xEF\xBF\xBD byte");
}

TEST_CASE("malformed responses are protocol errors", "[admin]") {
  const char* lines[] = {
      "garbage",
      R"({"protocol":1})",
      R"({"protocol":2,"ok":true,"result":null})",
      R"({"protocol":1,"ok":false})",
      R"({"protocol":1,"ok":false,"error":{"code":1,"message":"x"}})",
  };
  for (const char* line : lines) {
    INFO(line);
    auto decoded = decode_response(line);
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().code == Errc::protocol_error);
  }
}

TEST_CASE("requests and responses nested deeper than 64 levels are refused, not parsed",
          "[admin]") {
  // {"protocol":1,"method":"apply","params":{"a": <depth arrays>}}: depth + 2 deep.
  const auto request = [](std::size_t depth) {
    return R"({"protocol":1,"method":"apply","params":{"a":)" + std::string(depth, '[') +
           std::string(depth, ']') + "}}\n";
  };
  auto deepest = decode_request(request(62));
  REQUIRE(deepest);
  CHECK(deepest->params["a"].dump().size() == 124);
  for (const std::size_t depth : {std::size_t{63}, std::size_t{100'000}}) {
    CAPTURE(depth);
    const std::string line = request(depth);
    REQUIRE(line.size() < k_max_message_bytes);
    auto refused = decode_request(line);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::invalid_input);
    CHECK(refused.error().message == "JSON nested deeper than 64 levels");
    const Response reply = undecodable_request_response(refused.error());
    CHECK(reply.error_code == "invalid_input");
    CHECK(encode_response(reply).find("nested deeper than 64") != std::string::npos);
  }
  auto response = decode_response(R"({"protocol":1,"ok":true,"result":)" +
                                  std::string(100'000, '[') + std::string(100'000, ']') + "}");
  REQUIRE_FALSE(response);
  CHECK(response.error().code == Errc::protocol_error);
  CHECK(parse_json(std::string(100'000, '[')).error().code == Errc::invalid_input);
}
