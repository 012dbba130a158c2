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
