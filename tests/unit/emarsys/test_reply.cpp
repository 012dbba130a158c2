// The envelope and its classification (emarsys-api.md §3, §7, §8, §11).
#include <catch2/catch.hpp>

#include "emarsys/reply.hpp"

using namespace emsync::emarsys;
using emsync::Errc;

namespace {

emsync::Error error_of(int status, std::string_view body) {
  auto result = check_reply("PUT", "/contact", status, body);
  REQUIRE_FALSE(result);
  return result.error();
}

}  // namespace

TEST_CASE("a 200 with replyCode 0 yields data, whatever the content type", "[emarsys][reply]") {
  auto data = check_reply("PUT", "/contact", 200,
                          R"({"replyCode":0,"replyText":"OK","data":{"ids":[106504559]}})");
  REQUIRE(data);
  CHECK(data.value()["ids"][0] == 106504559);
}

TEST_CASE("the envelope accepts every data shape", "[emarsys][reply]") {
  for (const char* data : {R"({})", R"([])", R"("")", "42", "false", "null"}) {
    auto envelope =
        parse_envelope(std::string(R"({"replyCode":0,"replyText":"OK","data":)") + data + "}");
    REQUIRE(envelope);
    CHECK(envelope->reply_code == 0);
  }
  auto string_code = parse_envelope(R"({"replyCode":"2004","replyText":"x"})");
  REQUIRE(string_code);
  CHECK(string_code->reply_code == 2004);
  CHECK(string_code->data.is_null());
  CHECK_FALSE(parse_envelope("<html>Bad Gateway</html>"));
  CHECK_FALSE(parse_envelope(R"({"replyText":"no code"})"));
  CHECK_FALSE(parse_envelope(R"([1,2])"));
}

TEST_CASE("a 400 is rejected and the message names call, status, replyCode and text",
          "[emarsys][reply]") {
  const auto error = error_of(
      400, R"({"replyCode":1000,"replyText":"The request exceeded the maximum batch size of 1,000","data":""})");
  CHECK(error.code == Errc::rejected);
  CHECK(error.http_status == 400);
  CHECK(error.reply_code == 1000);
  CHECK(error.message ==
        "Emarsys PUT /contact answered HTTP 400, replyCode 1000: The request exceeded the "
        "maximum batch size of 1,000");
}

TEST_CASE("401 and 403 are auth failures", "[emarsys][reply]") {
  const auto error = error_of(401, R"({"replyCode":1,"replyText":"Unauthorized","data":""})");
  CHECK(error.code == Errc::auth_failed);
  CHECK(error.reply_code == 1);
  CHECK(error.message.find("check the API user") != std::string::npos);
  CHECK(error_of(403, "Forbidden").code == Errc::auth_failed);
  CHECK(error_of(403, "").http_status == 403);
}

TEST_CASE("429 and replyCode 7003 are rate limited", "[emarsys][reply]") {
  CHECK(error_of(429, R"({"replyCode":7003,"replyText":"Too many requests","data":""})").code ==
        Errc::rate_limited);
  CHECK(error_of(429, "").code == Errc::rate_limited);
  CHECK(error_of(400, R"({"replyCode":7003,"replyText":"Too many","data":""})").code ==
        Errc::rate_limited);
}

TEST_CASE("423, 5xx and replyCode 2011 are transient", "[emarsys][reply]") {
  for (int status : {423, 500, 502, 503, 504}) {
    CHECK(error_of(status, R"({"replyCode":1,"replyText":"busy","data":""})").code ==
          Errc::transient);
    CHECK(error_of(status, "<html>oops</html>").code == Errc::transient);
  }
  CHECK(error_of(200, R"({"replyCode":2011,"replyText":"Database connection error"})").code ==
        Errc::transient);
  CHECK(error_of(501, R"({"replyCode":1,"replyText":"Not implemented","data":""})").code ==
        Errc::rejected);
}

TEST_CASE("a 200 with a nonzero replyCode is rejected", "[emarsys][reply]") {
  const auto error = error_of(200, R"({"replyCode":2004,"replyText":"Invalid key field id: "})");
  CHECK(error.code == Errc::rejected);
  CHECK(error.reply_code == 2004);
}

TEST_CASE("an unparseable body is a protocol error that hides the body", "[emarsys][reply]") {
  const auto ok_status = error_of(200, "<html>secret-looking page</html>");
  CHECK(ok_status.code == Errc::protocol_error);
  CHECK(ok_status.message.find("secret") == std::string::npos);
  CHECK(ok_status.message.find("HTTP 200") != std::string::npos);
  CHECK(error_of(404, "Not Found").code == Errc::protocol_error);
  CHECK(error_of(200, "").code == Errc::protocol_error);
}

TEST_CASE("a long replyText is cut", "[emarsys][reply]") {
  const std::string text(5000, 'x');
  const auto error = error_of(400, R"({"replyCode":1,"replyText":")" + text + R"("})");
  CHECK(error.message.size() < 500);
}

namespace {

// A PUT /contact reply whose data.ids holds `depth` arrays inside each other
// (the envelope and data objects make it depth + 2 deep).
std::string deep_ids_reply(std::size_t depth) {
  return R"({"replyCode":0,"replyText":"OK","data":{"ids":)" + std::string(depth, '[') +
         std::string(depth, ']') + "}}";
}

std::string deep_error_key_reply(std::size_t depth) {
  return R"({"replyCode":0,"replyText":"OK","data":{"ids":[],"errors":[{"key":)" +
         std::string(depth, '[') + std::string(depth, ']') + R"(,"errorCode":2008}]}})";
}

}  // namespace

TEST_CASE("a reply nested deeper than 64 levels is a protocol error, not a crash",
          "[emarsys][reply]") {
  CHECK(check_reply("PUT", "/contact", 200, deep_ids_reply(62)));
  CHECK(check_reply("PUT", "/contact", 200, deep_error_key_reply(60)));  // 64 with the list
  for (const std::string& body :
       {deep_ids_reply(63), deep_ids_reply(100'000), deep_error_key_reply(61),
        deep_error_key_reply(100'000), std::string(16'000'000, '[')}) {
    const auto error = error_of(200, body);
    CHECK(error.code == Errc::protocol_error);
    CHECK(error.http_status == 200);
    CHECK_THAT(error.message,
               Catch::StartsWith("Emarsys PUT /contact answered HTTP 200 with a ") &&
                   Catch::Contains("-byte body that is not an Emarsys reply (JSON nested deeper "
                                   "than 64 levels); check api_url"));
  }
  // A 5xx with such a body is retried like any unparseable 5xx.
  CHECK(error_of(503, deep_ids_reply(100'000)).code == Errc::transient);
}

TEST_CASE("a reply may hold one JSON value per 16 bytes of its call's limit", "[emarsys][reply]") {
  const auto limits = reply_json_limits(1600);  // 100 values
  CHECK(limits.max_depth == 64);
  CHECK(limits.max_values == 100);
  std::string ids;
  for (int i = 0; i < 95; ++i) {
    ids += (i == 0 ? "" : ",") + std::to_string(i);
  }
  // envelope, replyCode, replyText, data, ids and 95 ids: 100 values
  const std::string body = R"({"replyCode":0,"replyText":"OK","data":{"ids":[)" + ids + "]}}";
  CHECK(check_reply("PUT", "/contact", 200, body, limits));
  auto refused =
      check_reply("PUT", "/contact", 200,
                  R"({"replyCode":0,"replyText":"OK","data":{"ids":[)" + ids + ",95]}}", limits);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::protocol_error);
  CHECK_THAT(refused.error().message, Catch::Contains("(JSON has more than 100 values)"));
  CHECK(reply_json_limits(k_bulk_reply_limit).max_values == 262'144);
}

TEST_CASE("an unparseable body is named without being quoted", "[emarsys][reply]") {
  const auto error = error_of(200, "<html>secret-ish</html>");
  CHECK(error.code == Errc::protocol_error);
  CHECK_THAT(error.message, Catch::Contains("that is not an Emarsys reply (not JSON)"));
  CHECK(error.message.find("secret-ish") == std::string::npos);
  CHECK_THAT(error_of(200, "[1,2]").message, Catch::Contains("(not a JSON object)"));
  CHECK_THAT(error_of(200, R"({"replyCode":"x"})").message,
             Catch::Contains("(no integer replyCode)"));
  CHECK_THAT(error_of(200, R"({"replyCode":99999999999})").message,
             Catch::Contains("(no integer replyCode)"));
}
