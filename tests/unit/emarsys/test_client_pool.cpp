// emarsys::Client concurrency over loopback (FakeServer): the connection pool
// overlaps slow replies, Clients of one API user share one rate limiter (its
// pacing and its holds), and stop_retrying() fails calls queued for a
// connection at once.
#include <catch2/catch.hpp>

#include "emarsys/client.hpp"
#include "emarsys/rate_limiter.hpp"
#include "fake_server.hpp"

using namespace emsync::emarsys;
using namespace emsync::emarsys::test;
using emsync::Errc;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

const std::string k_fields = R"({"replyCode":0,"replyText":"OK","data":[]})";

ClientConfig pool_config(const FakeServer& server, int connections) {
  ClientConfig config;
  config.api_url = server.url("/api/v2");
  config.user = "acme001";
  config.secret = "s3cret";
  config.connections = connections;
  config.request_timeout = 5s;
  config.max_attempts = 1;
  return config;
}

std::vector<Reply> replies(int count, std::chrono::milliseconds delay) {
  Reply reply = answer(200, k_fields);
  reply.delay = delay;
  return std::vector<Reply>(static_cast<std::size_t>(count), reply);
}

struct Outcome {
  SteadyClock::duration elapsed{};
  std::vector<emsync::Result<std::vector<Field>>> results;
};

// `calls` concurrent list_fields(), spread over `clients` in turn; runs `io`
// until all are done.
Outcome call_concurrently(asio::io_context& io, const std::vector<Client*>& clients, int calls) {
  Outcome out;
  const auto started = SteadyClock::now();
  for (int i = 0; i < calls; ++i) {
    Client* client = clients[static_cast<std::size_t>(i) % clients.size()];
    asio::co_spawn(io, [&, client]() -> asio::awaitable<void> {
      out.results.push_back(co_await client->list_fields());
      if (out.results.size() == static_cast<std::size_t>(calls)) {
        out.elapsed = SteadyClock::now() - started;
        io.stop();
      }
    }, asio::detached);
  }
  io.run();
  return out;
}

bool all_ok(const Outcome& outcome) {
  return std::all_of(outcome.results.begin(), outcome.results.end(),
                     [](const auto& result) { return result.has_value(); });
}

}  // namespace

TEST_CASE("concurrent calls overlap on the pool: N slow replies take about one",
          "[emarsys][client][pool]") {
  asio::io_context io;
  FakeServer server(io, replies(8, 300ms));
  Client client(io.get_executor(), pool_config(server, 4));
  auto first = call_concurrently(io, {&client}, 4);
  CHECK(all_ok(first));
  CHECK(first.elapsed >= 300ms);
  CHECK(first.elapsed < 550ms);  // one slow period, not four
  CHECK(server.connections == 4);
  // The connections stay open and are reused.
  io.restart();
  auto second = call_concurrently(io, {&client}, 4);
  CHECK(all_ok(second));
  CHECK(second.elapsed < 550ms);
  CHECK(server.connections == 4);
}

TEST_CASE("more calls than connections queue for a free one", "[emarsys][client][pool]") {
  asio::io_context io;
  FakeServer server(io, replies(4, 200ms));
  Client client(io.get_executor(), pool_config(server, 2));
  auto outcome = call_concurrently(io, {&client}, 4);
  CHECK(all_ok(outcome));
  CHECK(outcome.elapsed >= 400ms);  // two rounds of two
  CHECK(outcome.elapsed < 700ms);
  CHECK(server.connections == 2);
}

TEST_CASE("two Clients of one API user share one limiter and are paced together",
          "[emarsys][client][pool]") {
  asio::io_context io;
  FakeServer server(io, replies(60, 0ms));
  RateLimiters limiters;
  auto config = pool_config(server, 4);
  config.rate_limit_per_minute = 6000;  // 100 a second, burst 10
  Client a(io.get_executor(), config, limiters.of(config.api_url, config.user));
  Client b(io.get_executor(), config, limiters.of(config.api_url, config.user));
  CHECK(a.rate_limiter() == b.rate_limiter());
  // 60 requests: 10 at once, then 50 at 10 ms; alone, each Client's 30
  // would take 0.2 s.
  auto outcome = call_concurrently(io, {&a, &b}, 60);
  CHECK(all_ok(outcome));
  CHECK(outcome.elapsed >= 450ms);
  CHECK(outcome.elapsed < 1500ms);
}

TEST_CASE("the lower rate of two Clients of one user paces both", "[emarsys][client][pool]") {
  asio::io_context io;
  FakeServer server(io, replies(22, 0ms));
  RateLimiters limiters;
  auto fast = pool_config(server, 4);
  fast.rate_limit_per_minute = 60000;
  auto slow = fast;
  slow.rate_limit_per_minute = 1200;  // 20 a second, burst 10
  Client a(io.get_executor(), fast, limiters.of(fast.api_url, fast.user));
  Client b(io.get_executor(), slow, limiters.of(slow.api_url, slow.user));
  auto outcome = call_concurrently(io, {&a}, 22);  // only the fast one sends
  CHECK(all_ok(outcome));
  CHECK(outcome.elapsed >= 550ms);  // 12 after the burst at 50 ms
}

TEST_CASE("a reply with nothing remaining holds the user's other Client until the reset",
          "[emarsys][client][pool]") {
  asio::io_context io;
  const auto reset = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()) + 1s;
  FakeServer server(io, {answer(200, k_fields, "X-Ratelimit-Remaining: 0\r\nX-Ratelimit-Reset: " +
                                                   std::to_string(reset.count()) + "\r\n"),
                         answer(200, k_fields)});
  RateLimiters limiters;
  auto config = pool_config(server, 4);
  Client a(io.get_executor(), config, limiters.of(config.api_url, config.user));
  Client b(io.get_executor(), config, limiters.of(config.api_url, config.user));
  REQUIRE(run(io, a.list_fields()));
  io.restart();
  REQUIRE(run(io, b.list_fields()));
  CHECK(std::chrono::system_clock::now() >= std::chrono::system_clock::time_point(reset) - 10ms);
}

TEST_CASE("stop_retrying fails a call queued for a connection at once",
          "[emarsys][client][pool]") {
  asio::io_context io;
  FakeServer server(io, replies(2, 400ms));
  Client client(io.get_executor(), pool_config(server, 1));
  std::vector<emsync::Result<std::vector<Field>>> results;  // in completion order
  for (int i = 0; i < 2; ++i) {
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      results.push_back(co_await client.list_fields());
      if (results.size() == 2) {
        io.stop();
      }
    }, asio::detached);
  }
  asio::steady_timer timer(io, 100ms);
  timer.async_wait([&](boost::system::error_code) { client.stop_retrying(); });
  io.run();
  REQUIRE(results.size() == 2);
  REQUIRE_FALSE(results[0]);  // the queued one, failed before the other's reply
  CHECK(results[0].error().code == Errc::cancelled);
  CHECK(results[0].error().message.find("not sent: the daemon is stopping") != std::string::npos);
  CHECK(results[1]);  // the one on the wire finished
  CHECK(server.received.size() == 1);
}
