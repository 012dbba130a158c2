// The load generator of bench/rate_bench.sh: drives the real emarsys::Client
// (rate limiter, connection pool, retries) against a rate-limited
// emarsys-sim, so the benchmark measures what the daemon would do.
//
//   emsync-rate-driver --api-url URL --user U --secret S --rate-per-minute R
//                      [--connections N] [--workers K] [--clients C] [--seconds S]
//
// K coroutines on one io_context each send PUT /contact batches of one
// contact, in turn through C Clients of the same API user (one shared
// SharedRateLimiter), until S seconds have passed; then stop_retrying()
// cuts off the calls still waiting. Prints one JSON line: the elapsed
// seconds and the calls that succeeded, failed (by error code) or were cut
// off. What the server saw (429s, windows) is the script's business.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <string>
#include <vector>

#include "emarsys/client.hpp"
#include "emarsys/rate_limiter.hpp"

namespace {

namespace asio = boost::asio;
namespace emarsys = emsync::emarsys;
using Clock = std::chrono::steady_clock;

struct Options {
  emarsys::ClientConfig client;
  int workers = 16;
  int clients = 2;
  int seconds = 60;
};

struct Tally {
  int ok = 0;
  int cut_off = 0;  // cancelled by the stop at the deadline
  std::map<std::string, int> failed;  // by error code
  std::string first_error;
};

bool parse_options(int argc, char** argv, Options& options) {
  std::map<std::string, std::string> values;
  for (int i = 1; i + 1 < argc; i += 2) {
    values[argv[i]] = argv[i + 1];
  }
  auto number = [&](const char* name, int fallback) {
    auto it = values.find(name);
    return it == values.end() ? fallback : std::stoi(it->second);
  };
  options.client.api_url = values["--api-url"];
  options.client.user = values["--user"];
  options.client.secret = values["--secret"];
  options.client.rate_limit_per_minute = number("--rate-per-minute", 1000);
  options.client.connections = number("--connections", 4);
  options.workers = number("--workers", options.workers);
  options.clients = number("--clients", options.clients);
  options.seconds = number("--seconds", options.seconds);
  return argc % 2 == 1 && !options.client.api_url.empty() && options.workers > 0 &&
         options.clients > 0 && options.seconds > 0;
}

void count(Tally& tally, const emsync::Result<emarsys::ContactsResult>& result) {
  if (result) {
    ++tally.ok;
  } else if (result.error().code == emsync::Errc::cancelled) {
    ++tally.cut_off;
  } else {
    ++tally.failed[emsync::to_string(result.error().code)];
    if (tally.first_error.empty()) {
      tally.first_error = result.error().message;
    }
  }
}

asio::awaitable<void> worker(int id, emarsys::Client& client, Clock::time_point deadline,
                             Tally& tally) {
  for (int n = 0; Clock::now() < deadline; ++n) {
    const std::string contact =
        R"({"3":"w)" + std::to_string(id) + "-" + std::to_string(n) + R"(@bench.example"})";
    const std::vector<std::string_view> contacts(1, contact);
    count(tally, co_await client.update_contacts(contacts));
  }
}

nlohmann::json report(const Tally& tally, double seconds) {
  return nlohmann::json{{"seconds", seconds},
                        {"calls_ok", tally.ok},
                        {"calls_cut_off", tally.cut_off},
                        {"calls_failed", tally.failed},
                        {"first_error", tally.first_error}};
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: emsync-rate-driver --api-url URL --user U --secret S "
                 "--rate-per-minute R [--connections N] [--workers K] [--clients C] "
                 "[--seconds S]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  asio::io_context io;
  emarsys::RateLimiters limiters;
  std::vector<std::unique_ptr<emarsys::Client>> clients;
  for (int i = 0; i < options.clients; ++i) {
    clients.push_back(std::make_unique<emarsys::Client>(
        io.get_executor(), options.client,
        limiters.of(options.client.api_url, options.client.user)));
  }
  Tally tally;
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::seconds(options.seconds);
  for (int id = 0; id < options.workers; ++id) {
    auto& client = *clients[static_cast<std::size_t>(id % options.clients)];
    asio::co_spawn(io, worker(id, client, deadline, tally), asio::detached);
  }
  asio::steady_timer stop(io, deadline);
  stop.async_wait([&](boost::system::error_code) {
    for (auto& client : clients) {
      client->stop_retrying();
    }
  });
  io.run();
  const std::chrono::duration<double> elapsed = Clock::now() - started;
  std::cout << report(tally, elapsed.count()).dump() << std::endl;
  return tally.ok > 0 ? 0 : 1;
}
