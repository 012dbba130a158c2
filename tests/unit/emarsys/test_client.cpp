// emarsys::Client end to end against the in-process FakeServer: request
// shape, retries, reconnects, OAuth renewal, rate-limit holds, timeouts.
#include <catch2/catch.hpp>

#include "emarsys/client.hpp"
#include "emarsys/reply.hpp"
#include "fake_server.hpp"

using namespace emsync::emarsys;
using namespace emsync::emarsys::test;
using emsync::Errc;
using namespace std::chrono_literals;

namespace {

const std::string k_fields =
    R"({"replyCode":0,"replyText":"OK","data":[{"id":3,"name":"Email","application_type":"longtext","string_id":"email"}]})";
const std::string k_busy = R"({"replyCode":1,"replyText":"The system is overloaded","data":""})";

ClientConfig wsse_config(const FakeServer& server) {
  ClientConfig config;
  config.api_url = server.url("/api/v2");
  config.user = "acme001";
  config.secret = "s3cret";
  config.backoff_base = 1ms;
  config.backoff_cap = 5ms;
  config.max_attempts = 3;
  config.request_timeout = 2s;
  return config;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("list_fields sends a WSSE GET and parses the fields", "[emarsys][client]") {
  asio::io_context io;
  FakeServer server(io, {answer(200, k_fields)});
  Client client(io.get_executor(), wsse_config(server));
  auto fields = run(io, client.list_fields());
  REQUIRE(fields);
  REQUIRE(fields->size() == 1);
  CHECK(fields->at(0).string_id == "email");
  const auto& head = server.received.at(0).head;
  CHECK(head.starts_with("get /api/v2/field http/1.1\r\n"));
  CHECK(has(head, "x-wsse: usernametoken username=\"acme001\", passworddigest=\""));
  CHECK(has(head, "accept: application/json"));
  CHECK_FALSE(has(head, "s3cret"));
}

TEST_CASE("update and create send key_id 3 with the contacts array", "[emarsys][client]") {
  using Contacts = std::vector<std::string_view>;
  asio::io_context io;
  const std::string ok = R"({"replyCode":0,"replyText":"OK","data":{"ids":["1"],"errors":{
      "ghost@x.com":{"2008":"No contact found with the external id: 3 - ghost@x.com"}}}})";
  FakeServer server(io, {answer(200, ok), answer(200, ok)});
  Client client(io.get_executor(), wsse_config(server));
  auto updated = run(io, client.update_contacts(Contacts{R"({"3":"a@x.com"})", R"({"3":"c@x.com","1":"C"})"}));
  REQUIRE(updated);
  REQUIRE(updated->errors.size() == 1);
  CHECK(updated->errors[0].code == "2008");
  io.restart();
  auto created = run(io, client.create_contacts(Contacts{R"({"3":"b@x.com"})"}, 969));
  REQUIRE(created);
  CHECK(server.received[0].head.starts_with("put /api/v2/contact?create_if_not_exists=0 "));
  CHECK(server.received[0].body ==
        R"({"key_id":"3","contacts":[{"3":"a@x.com"},{"3":"c@x.com","1":"C"}]})");
  CHECK(has(server.received[0].head, "content-type: application/json"));
  CHECK(server.received[1].head.starts_with("post /api/v2/contact "));
  CHECK(server.received[1].body ==
        R"({"key_id":"3","contacts":[{"3":"b@x.com"}],"contact_list_id":969})");
  CHECK(server.connections == 1);  // keep-alive
}

TEST_CASE("add_to_contact_list posts external ids to the list", "[emarsys][client]") {
  asio::io_context io;
  FakeServer server(io, {answer(200, R"({"replyCode":0,"replyText":"OK","data":{"inserted_contacts":"2","errors":[]}})")});
  Client client(io.get_executor(), wsse_config(server));
  auto added = run(io, client.add_to_contact_list(900337462, {"a@x.com", "b@x.com"}));
  REQUIRE(added);
  CHECK(added->changed == 2);
  CHECK(added->errors.empty());
  CHECK(server.received[0].head.starts_with("post /api/v2/contactlist/900337462/add "));
  CHECK(server.received[0].body == R"({"external_ids":["a@x.com","b@x.com"],"key_id":"3"})");
}

TEST_CASE("list changes report unknown contacts keyed by email, errors as object, [] or absent",
          "[emarsys][client]") {
  asio::io_context io;
  const std::string by_email = R"({"replyCode":0,"replyText":"OK","data":{"inserted_contacts":1,
      "errors":{"nobody@x.com":{"2008":"No contact found with the external id: 3 - nobody@x.com"}}}})";
  const std::string no_errors =
      R"({"replyCode":0,"replyText":"OK","data":{"deleted_contacts":"3"}})";
  const std::string delete_by_email = R"({"replyCode":0,"replyText":"OK","data":{
      "deleted_contacts":0,"errors":{"gone@x.com":{"2008":"No contact found"}}}})";
  FakeServer server(io,
                    {answer(200, by_email), answer(200, no_errors), answer(200, delete_by_email)});
  Client client(io.get_executor(), wsse_config(server));
  auto added = run(io, client.add_to_contact_list(7, {"a@x.com", "nobody@x.com"}));
  REQUIRE(added);
  CHECK(added->changed == 1);
  REQUIRE(added->errors.size() == 1);
  CHECK(added->errors[0].key == "nobody@x.com");
  CHECK(added->errors[0].code == "2008");
  const std::vector<std::string> emails{"a@x.com", "b@x.com", "c@x.com"};
  auto removed = run(io, client.remove_from_contact_list(
                             7, std::vector<std::string_view>(emails.begin(), emails.end())));
  REQUIRE(removed);
  CHECK(removed->changed == 3);
  CHECK(removed->errors.empty());
  CHECK(server.received[1].head.starts_with("post /api/v2/contactlist/7/delete "));
  CHECK(server.received[1].body ==
        R"({"external_ids":["a@x.com","b@x.com","c@x.com"],"key_id":"3"})");
  auto unknown = run(io, client.remove_from_contact_list(7, {"gone@x.com"}));
  REQUIRE(unknown);
  CHECK(unknown->changed == 0);
  REQUIRE(unknown->errors.size() == 1);
  CHECK(unknown->errors[0].key == "gone@x.com");
}

TEST_CASE("a list change to a missing list, or a reply without its count, fails the call",
          "[emarsys][client]") {
  asio::io_context io;
  const std::string no_list =
      R"({"replyCode":3006,"replyText":"No contact list found with the specified ID","data":""})";
  const std::string wrong_count =  // a delete answered with an add's count
      R"({"replyCode":0,"replyText":"OK","data":{"inserted_contacts":1,"errors":[]}})";
  FakeServer server(io, {answer(404, no_list), answer(400, no_list), answer(200, wrong_count)});
  Client client(io.get_executor(), wsse_config(server));
  auto missing = run(io, client.add_to_contact_list(42, {"a@x.com"}));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::rejected);
  CHECK(missing.error().http_status == 404);
  CHECK(missing.error().reply_code == 3006);
  CHECK(has(missing.error().message, "POST /contactlist/42/add answered HTTP 404"));
  auto missing_400 = run(io, client.remove_from_contact_list(42, {"a@x.com"}));
  REQUIRE_FALSE(missing_400);
  CHECK(missing_400.error().code == Errc::rejected);
  CHECK(missing_400.error().reply_code == 3006);
  auto unusable = run(io, client.remove_from_contact_list(42, {"a@x.com"}));
  REQUIRE_FALSE(unusable);
  CHECK(unusable.error().code == Errc::protocol_error);
  CHECK(has(unusable.error().message, "deleted_contacts"));
  CHECK(server.received.size() == 3);  // none retried
}

TEST_CASE("a list change over k_max_list_change_emails is refused unsent", "[emarsys][client]") {
  asio::io_context io;
  const std::string ok =
      R"({"replyCode":0,"replyText":"OK","data":{"inserted_contacts":10000,"errors":[]}})";
  FakeServer server(io, {answer(200, ok)});
  Client client(io.get_executor(), wsse_config(server));
  const std::string email = "someone@example.com";
  std::vector<std::string_view> emails(k_max_list_change_emails, email);
  auto full = run(io, client.add_to_contact_list(7, emails));
  REQUIRE(full);
  CHECK(full->changed == 10000);
  emails.push_back(email);
  for (const bool add : {true, false}) {
    auto over = run(io, add ? client.add_to_contact_list(7, emails)
                            : client.remove_from_contact_list(7, emails));
    REQUIRE_FALSE(over);
    CHECK(over.error().code == Errc::invalid_input);
    CHECK(has(over.error().message, "10001 emails, at most 10000"));
  }
  CHECK(server.received.size() == 1);
}

TEST_CASE("create_contact_list posts the name and returns the id; a taken name is 3005",
          "[emarsys][client]") {
  asio::io_context io;
  FakeServer server(
      io, {answer(200, R"({"replyCode":0,"replyText":"OK","data":{"id":"900337462"}})"),
           answer(200, R"({"replyCode":0,"replyText":"OK","data":{"id":900337463,"errors":[]}})"),
           answer(400, R"({"replyCode":3005,"replyText":"List name already exists","data":""})")});
  Client client(io.get_executor(), wsse_config(server));
  auto created = run(io, client.create_contact_list("VIP \"France\""));
  REQUIRE(created);
  CHECK(*created == 900337462);
  CHECK(server.received[0].head.starts_with("post /api/v2/contactlist "));
  CHECK(server.received[0].body == R"({"key_id":"3","name":"VIP \"France\""})");
  auto second = run(io, client.create_contact_list("Other"));
  REQUIRE(second);
  CHECK(*second == 900337463);
  auto taken = run(io, client.create_contact_list("VIP"));
  REQUIRE_FALSE(taken);
  CHECK(taken.error().code == Errc::rejected);
  CHECK(taken.error().http_status == 400);
  CHECK(taken.error().reply_code == 3005);
}

TEST_CASE("get_contact_data posts camelCase keyId, keyValues and the fields, email first",
          "[emarsys][client]") {
  asio::io_context io;
  FakeServer server(io, {answer(200, R"({"replyCode":0,"replyText":"OK","data":{"errors":[],
      "result":[{"id":"7","3":"a@x.com","1":"Ann","4":null}]}})")});
  Client client(io.get_executor(), wsse_config(server));
  auto data = run(io, client.get_contact_data({"a@x.com", "b@x.com"}, {1, 3, 4}));
  REQUIRE(data);
  REQUIRE(data->contacts.size() == 1);
  CHECK(data->contacts[0].values.at("1") == "Ann");
  CHECK(server.received[0].head.starts_with("post /api/v2/contact/getdata "));
  CHECK(server.received[0].body ==
        R"({"fields":[3,1,4],"keyId":"3","keyValues":["a@x.com","b@x.com"]})");
}

TEST_CASE("a 503 is retried and then succeeds", "[emarsys][client]") {
  asio::io_context io;
  FakeServer server(io, {answer(503, k_busy), answer(502, "<html>bad gateway</html>"),
                         answer(200, k_fields)});
  Client client(io.get_executor(), wsse_config(server));
  auto fields = run(io, client.list_fields());
  REQUIRE(fields);
  CHECK(server.received.size() == 3);
  // Every attempt signs afresh.
  CHECK(server.received[0].head != server.received[1].head);
}

TEST_CASE("transient errors give up after max_attempts", "[emarsys][client]") {
  asio::io_context io;
  FakeServer server(io, {answer(503, k_busy), answer(503, k_busy), answer(503, k_busy)});
  Client client(io.get_executor(), wsse_config(server));
  auto fields = run(io, client.list_fields());
  REQUIRE_FALSE(fields);
  CHECK(fields.error().code == Errc::transient);
  CHECK(fields.error().http_status == 503);
  CHECK(has(fields.error().message, "GET /field answered HTTP 503"));
  CHECK(has(fields.error().message, "gave up after 3 attempts"));
  CHECK(server.received.size() == 3);
}

TEST_CASE("a 400 is not retried", "[emarsys][client]") {
  asio::io_context io;
  FakeServer server(io, {answer(400, R"({"replyCode":2004,"replyText":"Invalid key field id: ","data":""})")});
  Client client(io.get_executor(), wsse_config(server));
  auto updated = run(io, client.update_contacts({}));
  REQUIRE_FALSE(updated);
  CHECK(updated.error().code == Errc::rejected);
  CHECK(updated.error().reply_code == 2004);
  CHECK(server.received.size() == 1);
}

TEST_CASE("a keep-alive connection closed by the server is reopened", "[emarsys][client]") {
  asio::io_context io;
  Reply closing = answer(200, k_fields);
  closing.close_after = true;
  FakeServer server(io, {closing, answer(200, k_fields)});
  Client client(io.get_executor(), wsse_config(server));
  REQUIRE(run(io, client.list_fields()));
  io.restart();
  REQUIRE(run(io, client.list_fields()));
  CHECK(server.connections == 2);
}

TEST_CASE("with one connection, concurrent calls queue for it", "[emarsys][client]") {
  asio::io_context io;
  FakeServer server(io, {answer(200, k_fields), answer(200, k_fields), answer(200, k_fields)});
  auto config = wsse_config(server);
  config.connections = 1;
  Client client(io.get_executor(), config);
  int done = 0;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      auto fields = co_await client.list_fields();
      CHECK(fields);
      if (++done == 3) {
        io.stop();
      }
    }, asio::detached);
  }
  io.run();
  CHECK(done == 3);
  CHECK(server.connections == 1);
}

TEST_CASE("a 429 holds until X-Ratelimit-Reset, then retries", "[emarsys][client]") {
  asio::io_context io;
  const auto reset = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()) + 1s;
  Reply limited = answer(429, R"({"replyCode":7003,"replyText":"Too many requests","data":""})",
                "x-ratelimit-remaining: 0\r\nX-RateLimit-Reset: " + std::to_string(reset.count()) +
                    "\r\n");
  FakeServer server(io, {limited, answer(200, k_fields)});
  Client client(io.get_executor(), wsse_config(server));
  const auto started = std::chrono::system_clock::now();
  REQUIRE(run(io, client.list_fields()));
  CHECK(std::chrono::system_clock::now() >= std::chrono::system_clock::time_point(reset) - 10ms);
  CHECK(std::chrono::system_clock::now() - started < 3s);
}

TEST_CASE("a server that does not answer times out", "[emarsys][client]") {
  asio::io_context io;
  Reply silent;
  silent.silent = true;
  FakeServer server(io, {silent, silent});
  auto config = wsse_config(server);
  config.request_timeout = 100ms;
  config.max_attempts = 2;
  Client client(io.get_executor(), config);
  auto fields = run(io, client.list_fields());
  REQUIRE_FALSE(fields);
  CHECK(fields.error().code == Errc::timeout);
  CHECK(has(fields.error().message, "127.0.0.1"));
  CHECK(server.connections == 2);
}

TEST_CASE("a refused connection is a transient error naming the URL", "[emarsys][client]") {
  asio::io_context io;
  ClientConfig config;
  config.api_url = "http://127.0.0.1:1/api/v2";
  config.max_attempts = 1;
  Client client(io.get_executor(), config);
  auto fields = run(io, client.list_fields());
  REQUIRE_FALSE(fields);
  CHECK(fields.error().code == Errc::transient);
  CHECK(has(fields.error().message, "http://127.0.0.1:1"));
}

TEST_CASE("a bad api_url fails every call with invalid_input", "[emarsys][client]") {
  asio::io_context io;
  ClientConfig config;
  config.api_url = "api.emarsys.net/api/v2";
  Client client(io.get_executor(), config);
  auto fields = run(io, client.list_fields());
  REQUIRE_FALSE(fields);
  CHECK(fields.error().code == Errc::invalid_input);
}

TEST_CASE("OAuth fetches one token, reuses it and renews it once after a 401",
          "[emarsys][client]") {
  asio::io_context io;
  const std::string token1 = R"({"access_token":"tok-1","token_type":"Bearer","expires_in":3600})";
  const std::string token2 = R"({"access_token":"tok-2","token_type":"Bearer","expires_in":3600})";
  const std::string refused = R"({"replyCode":1,"replyText":"Unauthorized","data":""})";
  FakeServer server(io, {answer(200, token1), answer(200, k_fields), answer(401, refused),
                         answer(200, token2), answer(200, k_fields)});
  auto config = wsse_config(server);
  config.auth = AuthKind::oauth2;
  config.api_url = server.url("/api/v3");
  config.token_url = server.url("/oauth2/token");
  config.user = "id";
  config.secret = "secret";
  Client client(io.get_executor(), config);
  REQUIRE(run(io, client.list_fields()));
  io.restart();
  REQUIRE(run(io, client.list_fields()));
  REQUIRE(server.received.size() == 5);
  const auto& token_request = server.received[0];
  CHECK(token_request.head.starts_with("post /oauth2/token "));
  CHECK(has(token_request.head, "authorization: basic awq6c2vjcmv0"));  // lowercased by the fake
  CHECK(has(token_request.head, "content-type: application/x-www-form-urlencoded"));
  CHECK(token_request.body == "grant_type=client_credentials");
  CHECK(has(server.received[1].head, "authorization: bearer tok-1"));
  CHECK(has(server.received[2].head, "authorization: bearer tok-1"));
  CHECK(server.received[3].head.starts_with("post /oauth2/token "));
  CHECK(has(server.received[4].head, "authorization: bearer tok-2"));
}

TEST_CASE("OAuth gives up when the renewed token is refused too", "[emarsys][client]") {
  asio::io_context io;
  const std::string token = R"({"access_token":"t","token_type":"Bearer","expires_in":3600})";
  const std::string refused = R"({"replyCode":1,"replyText":"Unauthorized","data":""})";
  FakeServer server(io, {answer(200, token), answer(401, refused), answer(200, token),
                         answer(401, refused)});
  auto config = wsse_config(server);
  config.auth = AuthKind::oauth2;
  config.token_url = server.url("/oauth2/token");
  Client client(io.get_executor(), config);
  auto fields = run(io, client.list_fields());
  REQUIRE_FALSE(fields);
  CHECK(fields.error().code == Errc::auth_failed);
  CHECK(server.received.size() == 4);
}

namespace {

struct RecordingObserver : ClientObserver {
  std::vector<std::string> exchanges;  // "METHOD endpoint status"
  std::vector<std::string> retries;    // "endpoint reason"
  std::vector<std::int64_t> remaining;
  void on_exchange(std::string_view method, std::string_view endpoint, int status,
                   double seconds) override {
    CHECK(seconds >= 0);
    exchanges.push_back(std::string(method) + " " + std::string(endpoint) + " " +
                        std::to_string(status));
  }
  void on_retry(std::string_view endpoint, std::string_view reason) override {
    retries.push_back(std::string(endpoint) + " " + std::string(reason));
  }
  void on_rate_limit_wait(double) override {}
  void on_rate_limit_remaining(std::int64_t left) override { remaining.push_back(left); }
};

}  // namespace

TEST_CASE("the observer and the run's stats hear of every exchange, ids left out",
          "[emarsys][client]") {
  asio::io_context io;
  const std::string added =
      R"({"replyCode":0,"replyText":"OK","data":{"inserted_contacts":"1","errors":[]}})";
  FakeServer server(io, {answer(503, k_busy), answer(429, k_busy, "X-Ratelimit-Reset: 0\r\n"),
                         answer(200, added, "X-Ratelimit-Remaining: 41\r\n")});
  auto observer = std::make_shared<RecordingObserver>();
  Client client(io.get_executor(), wsse_config(server), nullptr, observer);
  RequestStats stats;
  auto result = run(io, client.add_to_contact_list(900337462, {"a@x.com"}, &stats));
  REQUIRE(result);
  CHECK(observer->exchanges == std::vector<std::string>{"POST /contactlist/{id}/add 503",
                                                        "POST /contactlist/{id}/add 429",
                                                        "POST /contactlist/{id}/add 200"});
  CHECK(observer->retries == std::vector<std::string>{"/contactlist/{id}/add transient",
                                                      "/contactlist/{id}/add rate_limited"});
  CHECK(observer->remaining.back() == 41);
  CHECK(stats.requests == 3);
  CHECK(stats.http_5xx == 1);
  CHECK(stats.http_429 == 1);
  CHECK(stats.retries == 2);
  CHECK(stats.transport_errors == 0);
}

TEST_CASE("a reply over its call's size limit fails, unread and not retried", "[emarsys][client]") {
  asio::io_context io;
  const std::string big_field_list = R"({"replyCode":0,"replyText":"OK","data":[{"id":3,"name":")" +
                                     std::string(k_field_list_reply_limit, 'x') + R"("}]})";
  // 2 MB is within PUT /contact's limit (4 MB) but not GET /field's (1 MB).
  const std::string padded_contacts =
      R"({"replyCode":0,"replyText":"OK","data":{"ids":[],"pad":")" + std::string(2 << 20, 'x') +
      R"("}})";
  FakeServer server(
      io, {answer(200, big_field_list), answer(200, k_fields), answer(200, padded_contacts)});
  Client client(io.get_executor(), wsse_config(server));
  auto fields = run(io, client.list_fields());
  REQUIRE_FALSE(fields);
  CHECK(fields.error().code == Errc::protocol_error);
  CHECK(has(fields.error().message, "its body is over the 1048576-byte limit of this request"));
  CHECK(server.received.size() == 1);
  // The connection was dropped; the next call opens another one.
  io.restart();
  CHECK(run(io, client.list_fields()));
  io.restart();
  CHECK(run(io, client.update_contacts({})));
  CHECK(server.received.size() == 3);
}

TEST_CASE("a reply nested 100,000 deep fails the call, not the process", "[emarsys][client]") {
  asio::io_context io;
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  FakeServer server(
      io, {answer(200, R"({"replyCode":0,"replyText":"OK","data":{"ids":)" + deep + "}}"),
           answer(200,
                  R"({"replyCode":0,"replyText":"OK","data":{"errors":[{"key":)" + deep + "}]}}")});
  Client client(io.get_executor(), wsse_config(server));
  for (int call = 0; call < 2; ++call) {
    io.restart();
    auto updated = run(io, client.update_contacts({}));
    REQUIRE_FALSE(updated);
    CHECK(updated.error().code == Errc::protocol_error);
    CHECK(has(updated.error().message, "JSON nested deeper than 64 levels"));
  }
  CHECK(server.received.size() == 2);  // not retried
}

TEST_CASE("api_url goes through the same check as the config", "[emarsys][client]") {
  asio::io_context io;
  ClientConfig config;
  config.api_url = "http://api.emarsys.net/api/v2";  // plain http off loopback
  Client client(io.get_executor(), config);
  auto fields = run(io, client.list_fields());
  REQUIRE_FALSE(fields);
  CHECK(fields.error().code == Errc::invalid_input);
  CHECK(fields.error().message ==
        "Emarsys api_url uses plain http:// to 'api.emarsys.net'; http is only allowed for "
        "loopback hosts (127.0.0.1, localhost, [::1]); use https://; fix the config");
}

TEST_CASE("the Client paces requests by its clock, not by the time that passed",
          "[emarsys][client]") {
  asio::io_context io;
  FakeServer server(io, {answer(200, k_fields), answer(200, k_fields)});
  emsync::ManualClock clock;
  ClientConfig config = wsse_config(server);
  config.rate_limit_per_minute = 60;  // one a second, burst 1
  Client client(io.get_executor(), config, nullptr, nullptr, clock);
  RequestStats stats;
  REQUIRE(run(io, client.list_fields(&stats)));
  // A second of the manual clock refills the token: the next call goes at
  // once, where the real clock would have held it for a second.
  clock.advance(1s);
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(run(io, client.list_fields(&stats)));
  CHECK(std::chrono::steady_clock::now() - started < 500ms);
  CHECK(stats.ratelimit_wait_seconds == 0);
  CHECK(stats.requests == 2);
  // The bucket is empty again: the next slot is a second of the manual clock away.
  CHECK(client.rate_limiter()->bucket().reserve(clock.steady()).at == clock.steady() + 1s);
}
