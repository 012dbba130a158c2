#include "emarsys/client.hpp"

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <spdlog/spdlog.h>

#include "emarsys/backoff.hpp"
#include "emarsys/http.hpp"
#include "emarsys/oauth.hpp"
#include "emarsys/reply.hpp"
#include "emarsys/reply_data.hpp"
#include "emarsys/token_bucket.hpp"
#include "emarsys/wsse.hpp"

namespace emsync::emarsys {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// One API call: `endpoint` is appended to api_url and names the call in logs
// and errors.
struct Call {
  std::string method;
  std::string endpoint;
  std::string body;
};

// Small bursts only: requests share one connection anyway.
int burst_for(int rate_per_minute) { return std::clamp(rate_per_minute / 60, 1, 10); }

std::optional<std::int64_t> header_int(const HttpResponse& response, std::string_view name) {
  const auto text = response.header(name);
  std::int64_t value = 0;
  if (!text || std::from_chars(text->data(), text->data() + text->size(), value).ec != std::errc()) {
    return std::nullopt;
  }
  return value;
}

// Built outside the coroutines: GCC 12 mishandles initializer lists in them.
HttpRequest make_request(const Call& call, const std::string& base_path,
                         std::pair<std::string, std::string> authorization) {
  return HttpRequest{call.method,
                     base_path + call.endpoint,
                     {{"Content-Type", "application/json"},
                      {"Accept", "application/json"},
                      std::move(authorization)},
                     call.body};
}

}  // namespace

struct Client::Impl {
  Impl(asio::any_io_executor ex, ClientConfig cfg);

  // Runs `call` and turns its data into T with parse(data, "<METHOD> <endpoint>").
  template <class T, class Parse>
  Task<T> run(Call call, Parse parse);
  // Paces, authenticates, sends and retries one call; the reply's data.
  asio::awaitable<Result<json>> call(const Call& call);
  asio::awaitable<Result<json>> attempt(const Call& call, std::string& used_token);
  asio::awaitable<Result<std::pair<std::string, std::string>>> authorization(std::string& used_token);
  asio::awaitable<void> sleep(Clock::duration duration);
  void observe(const HttpResponse& response);
  Clock::duration retry_delay(const Error& error, int attempt);
  Error stopped_error(const Call& call) const;

  asio::any_io_executor executor;
  ClientConfig config;
  std::optional<Error> config_error;  // returned by every call
  Url api;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<OAuth> oauth;
  TokenBucket bucket;
  std::mt19937_64 random{std::random_device{}()};
  bool stopping = false;  // stop_retrying() was called
  std::set<asio::steady_timer*> sleeping;  // cancelled by stop_retrying()
};

Client::Impl::Impl(asio::any_io_executor ex, ClientConfig cfg)
    : executor(std::move(ex)),
      config(std::move(cfg)),
      bucket(std::max(config.rate_limit_per_minute, 1), burst_for(config.rate_limit_per_minute),
             Clock::now()) {
  auto api_url = parse_url(config.api_url, "Emarsys api_url");
  if (!api_url) {
    config_error = api_url.error();
    return;
  }
  api = api_url.value();
  http = std::make_unique<HttpClient>(executor, api, config.ca_file, config.request_timeout);
  if (config.auth == AuthKind::oauth2) {
    auto token_url = parse_url(config.token_url, "Emarsys token_url");
    if (!token_url) {
      config_error = token_url.error();
      return;
    }
    oauth = std::make_unique<OAuth>(executor, token_url.value(), config.user, config.secret,
                                    config.ca_file, config.request_timeout);
  }
  if (config.rate_limit_per_minute < 1) {
    config_error = make_error(Errc::invalid_input, "Emarsys rate_limit_per_minute must be at least 1; fix the config");
  }
}

asio::awaitable<void> Client::Impl::sleep(Clock::duration duration) {
  if (duration > Clock::duration::zero() && !stopping) {
    asio::steady_timer timer(executor, duration);
    sleeping.insert(&timer);
    boost::system::error_code cancelled;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
    sleeping.erase(&timer);
  }
}

Error Client::Impl::stopped_error(const Call& call) const {
  return make_error(Errc::cancelled, "Emarsys " + call.method + " " + call.endpoint +
                                         " not sent: the daemon is stopping");
}

asio::awaitable<Result<std::pair<std::string, std::string>>> Client::Impl::authorization(
    std::string& used_token) {
  if (!oauth) {
    const auto created = wsse_created(std::chrono::system_clock::now());
    co_return std::pair{std::string("X-WSSE"),
                        wsse_header(config.user, config.secret, wsse_nonce(), created)};
  }
  auto token = co_await oauth->token();
  if (!token) {
    co_return token.error();
  }
  used_token = token.value();
  co_return std::pair{std::string("Authorization"), "Bearer " + token.value()};
}

void Client::Impl::observe(const HttpResponse& response) {
  auto remaining = header_int(response, "X-Ratelimit-Remaining");
  if (response.status == 429) {
    remaining = 0;  // whatever the header says, the server wants a pause
  }
  bucket.observe(remaining, header_int(response, "X-Ratelimit-Reset"), Clock::now(),
                 std::chrono::system_clock::now());
}

Clock::duration Client::Impl::retry_delay(const Error& error, int attempt) {
  if (error.code == Errc::rate_limited && bucket.hold_end() > Clock::now()) {
    return Clock::duration::zero();  // the bucket already waits for X-Ratelimit-Reset
  }
  const double draw = std::uniform_real_distribution<double>(0.0, 1.0)(random);
  return backoff_delay(attempt, config.backoff_base, config.backoff_cap, draw);
}

asio::awaitable<Result<json>> Client::Impl::attempt(const Call& call, std::string& used_token) {
  auto auth = co_await authorization(used_token);
  if (!auth) {
    co_return auth.error();
  }
  const auto started = Clock::now();
  auto response = co_await http->send(make_request(call, api.path, std::move(auth.value())));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  if (!response) {
    spdlog::debug("Emarsys {} {} failed after {} ms: {}", call.method, call.endpoint, ms.count(),
                  response.error().message);
    co_return response.error();
  }
  spdlog::debug("Emarsys {} {} -> HTTP {} in {} ms", call.method, call.endpoint, response->status,
                ms.count());
  observe(response.value());
  co_return check_reply(call.method, call.endpoint, response->status, response->body);
}

asio::awaitable<Result<json>> Client::Impl::call(const Call& call) {
  if (config_error) {
    co_return *config_error;
  }
  bool token_renewed = false;
  for (int attempt_no = 1;; ++attempt_no) {
    co_await sleep(bucket.reserve(Clock::now()));
    if (stopping) {
      co_return stopped_error(call);
    }
    std::string used_token;
    auto result = co_await attempt(call, used_token);
    if (result) {
      co_return result;
    }
    Error error = result.error();
    // A bearer token may be revoked before it expires: renew it once.
    if (error.code == Errc::auth_failed && !used_token.empty() && !token_renewed) {
      token_renewed = true;
      oauth->invalidate(used_token);
      continue;
    }
    if (!error.is_retryable() || attempt_no >= config.max_attempts || stopping) {
      if (attempt_no > 1) {
        error.message += " (gave up after " + std::to_string(attempt_no) + " attempts)";
      }
      co_return error;
    }
    const auto delay = retry_delay(error, attempt_no);
    spdlog::debug("Emarsys {} {}: attempt {} failed ({}), retrying in {} ms", call.method,
                  call.endpoint, attempt_no, to_string(error.code),
                  std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
    co_await sleep(delay);
  }
}

template <class T, class Parse>
Task<T> Client::Impl::run(Call call, Parse parse) {
  auto data = co_await this->call(call);
  if (!data) {
    co_return data.error();
  }
  co_return parse(data.value(), call.method + " " + call.endpoint);
}

Client::Client(asio::any_io_executor executor, ClientConfig config)
    : m_impl(std::make_unique<Impl>(std::move(executor), std::move(config))) {}

Client::~Client() = default;

const ClientConfig& Client::config() const { return m_impl->config; }

void Client::stop_retrying() {
  m_impl->stopping = true;
  for (auto* timer : m_impl->sleeping) {
    timer->cancel();
  }
}

Task<std::vector<Field>> Client::list_fields() {
  return m_impl->run<std::vector<Field>>({"GET", "/field", ""}, parse_fields);
}

Task<std::int64_t> Client::create_field(const std::string& name,
                                        const std::string& application_type) {
  std::string body = json{{"name", name}, {"application_type", application_type}}.dump();
  return m_impl->run<std::int64_t>({"POST", "/field", std::move(body)}, parse_created_id);
}

Task<std::vector<ContactList>> Client::list_contact_lists() {
  return m_impl->run<std::vector<ContactList>>({"GET", "/contactlist", ""}, parse_contact_lists);
}

Task<ContactsResult> Client::update_contacts(std::string contacts_json) {
  std::string body = R"({"key_id":"3","contacts":)" + contacts_json + "}";
  return m_impl->run<ContactsResult>({"PUT", "/contact?create_if_not_exists=0", std::move(body)},
                             parse_contacts_result);
}

Task<ContactsResult> Client::create_contacts(std::string contacts_json,
                                             std::optional<std::int64_t> contact_list_id) {
  std::string body = R"({"key_id":"3","contacts":)" + contacts_json;
  if (contact_list_id) {
    body += R"(,"contact_list_id":)" + std::to_string(*contact_list_id);
  }
  body += "}";
  return m_impl->run<ContactsResult>({"POST", "/contact", std::move(body)}, parse_contacts_result);
}

Task<ListAddResult> Client::add_to_list(std::int64_t list_id,
                                        const std::vector<std::string>& emails) {
  std::string body = json{{"key_id", "3"}, {"external_ids", emails}}.dump();
  return m_impl->run<ListAddResult>(
      {"POST", "/contactlist/" + std::to_string(list_id) + "/add", std::move(body)},
      parse_list_add);
}

}  // namespace emsync::emarsys
