#include "emarsys/client.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <spdlog/spdlog.h>

#include "core/hardening.hpp"
#include "emarsys/backoff.hpp"
#include "emarsys/http.hpp"
#include "emarsys/oauth.hpp"
#include "emarsys/rate_limiter.hpp"
#include "emarsys/reply.hpp"
#include "emarsys/reply_data.hpp"
#include "emarsys/wsse.hpp"

namespace emsync::emarsys {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using Duration = std::chrono::steady_clock::duration;

// One API call: `endpoint` is appended to api_url and names the call in logs
// and errors.
// "/contactlist/123/add?x=1" -> "/contactlist/{id}/add": no id, no query.
std::string endpoint_label(std::string_view endpoint) {
  endpoint = endpoint.substr(0, endpoint.find('?'));
  std::string out;
  for (std::size_t at = 0; at < endpoint.size();) {
    const auto next = std::min(endpoint.find('/', at + 1), endpoint.size());
    const auto segment = endpoint.substr(at, next - at);  // with its leading '/'
    const bool numeric = segment.size() > 1 &&
                         segment.find_first_not_of("0123456789", 1) == std::string_view::npos;
    out += numeric ? std::string_view("/{id}") : segment;
    at = next;
  }
  return out;
}

struct Call {
  std::string method;
  std::string endpoint;
  std::string body;
  std::size_t reply_limit;  // body bytes of the reply (reply.hpp)
  RequestStats* stats = nullptr;
  std::string label = endpoint_label(endpoint);  // for metrics
};

std::optional<std::int64_t> header_int(const HttpResponse& response, std::string_view name) {
  const auto text = response.header(name);
  return text ? parse_ratelimit_header(*text) : std::nullopt;
}

// The config check (core/url.hpp) refuses what the Client refuses: this is
// for a config that was not checked.
Error url_error(std::string_view key, const Error& problem) {
  return make_error(Errc::invalid_input,
                    "Emarsys " + std::string(key) + " " + problem.message + "; fix the config");
}

// The clock's wall reading as the system_clock time WSSE and
// X-Ratelimit-Reset are compared with.
std::chrono::system_clock::time_point system_time(const Clock& clock) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(clock.wall()));
}

// Counts a request of the API user as on the wire while it lives.
class InFlight {
 public:
  explicit InFlight(SharedRateLimiter& limiter) : m_limiter(limiter) { m_limiter.request_started(); }
  ~InFlight() { m_limiter.request_finished(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  SharedRateLimiter& m_limiter;
};

// Built outside the coroutines: GCC 12 mishandles initializer lists in them.
HttpRequest make_request(const Call& call, const std::string& base_path,
                         std::pair<std::string, std::string> authorization) {
  return HttpRequest{call.method,
                     base_path + call.endpoint,
                     {{"Content-Type", "application/json"},
                      {"Accept", "application/json"},
                      std::move(authorization)},
                     call.body,
                     call.reply_limit};
}

// {"key_id":"3","contacts":[<contacts>]<members>}, written in one piece.
std::string contacts_body(const std::vector<std::string_view>& contacts,
                          std::string_view members) {
  constexpr std::string_view k_head = R"({"key_id":"3","contacts":[)";
  std::size_t size = k_head.size() + contacts.size() + members.size() + 2;
  for (const auto contact : contacts) {
    size += contact.size();
  }
  std::string body;
  body.reserve(size);
  body += k_head;
  for (std::size_t i = 0; i < contacts.size(); ++i) {
    if (i > 0) {
      body += ',';
    }
    body += contacts[i];
  }
  body += ']';
  body += members;
  body += '}';
  return body;
}

template <class T>
Task<T> failed(Error error) {
  co_return error;
}

// {"key_id":"3","external_ids":[<emails>]}.
std::string list_change_body(const std::vector<std::string_view>& emails) {
  json ids = json::array();
  for (const auto email : emails) {
    ids.push_back(std::string(email));
  }
  return json{{"key_id", "3"}, {"external_ids", std::move(ids)}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

struct Client::Impl {
  Impl(asio::any_io_executor ex, ClientConfig cfg, std::shared_ptr<SharedRateLimiter> shared,
       const Clock& time);
  ~Impl();

  // Runs `call` and turns its data into T with parse(data, "<METHOD> <endpoint>").
  template <class T, class Parse>
  Task<T> run(Call call, Parse parse);
  // POST /contactlist/{list_id}/{action} with key_id 3 and `emails` (the
  // body is written before it returns); the reply's `count_member` is the
  // number of members changed.
  Task<ListChangeResult> change_list(std::int64_t list_id, std::string_view action,
                                     std::string_view count_member,
                                     const std::vector<std::string_view>& emails,
                                     RequestStats* stats);
  // Paces, authenticates, sends and retries one call; the reply's data.
  asio::awaitable<Result<json>> call(const Call& call);
  asio::awaitable<Result<json>> attempt(const Call& call, std::string& used_token);
  asio::awaitable<Result<std::pair<std::string, std::string>>> authorization(std::string& used_token);
  asio::awaitable<void> sleep(Duration duration);
  // Waits for the API user's rate limiter (again after a hold voided the slot).
  asio::awaitable<void> pace(const Call& call);
  void observe(const HttpResponse& response);
  // Counts one exchange (status 0: no reply) for metrics and the run's stats.
  void note_exchange(const Call& call, int status, Duration took);
  Duration retry_delay(const Error& error, int attempt);
  Error stopped_error(const Call& call) const;

  asio::any_io_executor executor;
  const Clock& clock;
  ClientConfig config;
  std::optional<Error> config_error;  // returned by every call
  Url api;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<OAuth> oauth;
  std::shared_ptr<SharedRateLimiter> limiter;  // of this API user; maybe shared
  bool joined = false;                         // limiter counts config.rate_limit_per_minute
  std::mt19937_64 random{std::random_device{}()};
  bool stopping = false;  // stop_retrying() was called
  std::set<asio::steady_timer*> sleeping;  // cancelled by stop_retrying()
  std::shared_ptr<ClientObserver> observer;  // maybe null
};

Client::Impl::Impl(asio::any_io_executor ex, ClientConfig cfg,
                   std::shared_ptr<SharedRateLimiter> shared, const Clock& time)
    : executor(std::move(ex)), clock(time), config(std::move(cfg)), limiter(std::move(shared)) {
  if (!limiter) {
    limiter = std::make_shared<SharedRateLimiter>(api_user_key(config.api_url, config.user),
                                                  clock.steady());
  }
  if (config.rate_limit_per_minute < 1 || config.connections < 1) {
    config_error = make_error(Errc::invalid_input,
                              "Emarsys rate_limit_per_minute and connections must be at least 1; "
                              "fix the config");
    return;
  }
  limiter->join(config.rate_limit_per_minute, clock.steady());
  joined = true;
  auto api_url = parse_url(config.api_url);
  if (!api_url) {
    config_error = url_error("api_url", api_url.error());
    return;
  }
  api = api_url.value();
  http = std::make_unique<HttpClient>(executor, api, config.ca_file, config.request_timeout,
                                      config.connections);
  if (config.auth == AuthKind::oauth2) {
    auto token_url = parse_url(config.token_url);
    if (!token_url) {
      config_error = url_error("token_url", token_url.error());
      return;
    }
    oauth = std::make_unique<OAuth>(executor, token_url.value(), config.user, config.secret,
                                    config.ca_file, config.request_timeout, clock);
  }
}

Client::Impl::~Impl() {
  if (joined) {
    limiter->leave(config.rate_limit_per_minute, clock.steady());
  }
}

asio::awaitable<void> Client::Impl::sleep(Duration duration) {
  if (duration > Duration::zero() && !stopping) {
    asio::steady_timer timer(executor, duration);
    sleeping.insert(&timer);
    boost::system::error_code cancelled;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
    sleeping.erase(&timer);
  }
}

asio::awaitable<void> Client::Impl::pace(const Call& call) {
  const auto started = clock.steady();
  while (!stopping) {
    const auto slot = limiter->bucket().reserve(clock.steady());
    co_await sleep(slot.at - clock.steady());
    if (!limiter->bucket().voided(slot)) {
      break;
    }
  }
  const double waited = std::chrono::duration<double>(clock.steady() - started).count();
  if (waited >= 0.001) {
    if (call.stats) {
      call.stats->ratelimit_wait_seconds += waited;
    }
    if (observer) {
      observer->on_rate_limit_wait(waited);
    }
  }
}

void Client::Impl::note_exchange(const Call& call, int status, Duration took) {
  if (RequestStats* stats = call.stats) {
    ++stats->requests;
    stats->http_429 += status == 429 ? 1 : 0;
    stats->http_5xx += status >= 500 ? 1 : 0;
    stats->transport_errors += status == 0 ? 1 : 0;
  }
  if (observer) {
    observer->on_exchange(call.method, call.label, status,
                          std::chrono::duration<double>(took).count());
  }
}

Error Client::Impl::stopped_error(const Call& call) const {
  return make_error(Errc::cancelled, "Emarsys " + call.method + " " + call.endpoint +
                                         " not sent: the daemon is stopping");
}

asio::awaitable<Result<std::pair<std::string, std::string>>> Client::Impl::authorization(
    std::string& used_token) {
  if (!oauth) {
    const auto created = wsse_created(system_time(clock));
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
  if (observer && remaining) {
    observer->on_rate_limit_remaining(*remaining);
  }
  limiter->bucket().observe(remaining, header_int(response, "X-Ratelimit-Reset"),
                            limiter->in_flight() - 1,  // the others: this one is answered
                            clock.steady(), system_time(clock));
}

Duration Client::Impl::retry_delay(const Error& error, int attempt) {
  auto& bucket = limiter->bucket();
  const auto now = clock.steady();
  if (error.code == Errc::rate_limited && bucket.hold_end() > now) {
    return Duration::zero();  // the limiter already waits for X-Ratelimit-Reset
  }
  const double draw = std::uniform_real_distribution<double>(0.0, 1.0)(random);
  const auto delay = backoff_delay(attempt, config.backoff_base, config.backoff_cap, draw);
  if (error.code != Errc::rate_limited) {
    return delay;
  }
  bucket.hold_until(now + delay, now);  // no reset known: every Client of the user backs off
  return Duration::zero();
}

asio::awaitable<Result<json>> Client::Impl::attempt(const Call& call, std::string& used_token) {
  auto auth = co_await authorization(used_token);
  if (!auth) {
    co_return auth.error();
  }
  const auto started = clock.steady();
  const InFlight on_the_wire(*limiter);  // until this attempt returns
  auto response = co_await http->send(make_request(call, api.path, std::move(auth.value())));
  const auto took = clock.steady() - started;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took);
  note_exchange(call, response ? response->status : 0, took);
  if (!response) {
    spdlog::debug("Emarsys {} {} failed after {} ms: {}", call.method, call.endpoint, ms.count(),
                  response.error().message);
    co_return response.error();
  }
  spdlog::debug("Emarsys {} {} -> HTTP {} in {} ms", call.method, call.endpoint, response->status,
                ms.count());
  observe(response.value());
  co_return check_reply(call.method, call.endpoint, response->status, response->body,
                        reply_json_limits(call.reply_limit));
}

asio::awaitable<Result<json>> Client::Impl::call(const Call& call) {
  if (config_error) {
    co_return *config_error;
  }
  bool token_renewed = false;
  for (int attempt_no = 1;; ++attempt_no) {
    co_await pace(call);
    if (stopping) {
      co_return stopped_error(call);
    }
    std::string used_token;
    auto result = co_await attempt(call, used_token);
    if (result) {
      co_return result;
    }
    Error error = result.error();
    if (error.code == Errc::cancelled) {
      co_return stopped_error(call);  // queued for a connection when stop_retrying() came
    }
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
    if (call.stats) {
      ++call.stats->retries;
    }
    if (observer) {
      observer->on_retry(call.label, to_string(error.code));
    }
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

Task<ListChangeResult> Client::Impl::change_list(std::int64_t list_id, std::string_view action,
                                                 std::string_view count_member,
                                                 const std::vector<std::string_view>& emails,
                                                 RequestStats* stats) {
  std::string endpoint = "/contactlist/" + std::to_string(list_id) + "/" + std::string(action);
  if (emails.size() > k_max_list_change_emails) {
    return failed<ListChangeResult>(make_error(
        Errc::invalid_input, "Emarsys POST " + endpoint + " not sent: " +
                                 std::to_string(emails.size()) + " emails, at most " +
                                 std::to_string(k_max_list_change_emails) +
                                 " fit in one request; split them"));
  }
  return run<ListChangeResult>(
      {"POST", std::move(endpoint), list_change_body(emails), k_bulk_reply_limit, stats},
      [count_member](const json& data, std::string_view what) {
        return parse_list_change(data, what, count_member);
      });
}

Client::Client(asio::any_io_executor executor, ClientConfig config,
               std::shared_ptr<SharedRateLimiter> limiter, std::shared_ptr<ClientObserver> observer,
               const Clock& clock)
    : m_impl(std::make_unique<Impl>(std::move(executor), std::move(config), std::move(limiter),
                                    clock)) {
  m_impl->observer = std::move(observer);
}

Client::~Client() { wipe(m_impl->config.secret); }

const ClientConfig& Client::config() const { return m_impl->config; }

int Client::concurrent_requests() const { return std::max(1, m_impl->config.connections); }

const std::shared_ptr<SharedRateLimiter>& Client::rate_limiter() const { return m_impl->limiter; }

void Client::stop_retrying() {
  m_impl->stopping = true;
  for (auto* timer : m_impl->sleeping) {
    timer->cancel();
  }
  if (m_impl->http) {
    m_impl->http->stop_queued();
  }
}

Task<std::vector<Field>> Client::list_fields(RequestStats* stats) {
  return m_impl->run<std::vector<Field>>({"GET", "/field", "", k_field_list_reply_limit, stats},
                                         parse_fields);
}

Task<std::int64_t> Client::create_field(const std::string& name,
                                        const std::string& application_type,
                                        RequestStats* stats) {
  std::string body = json{{"name", name}, {"application_type", application_type}}.dump();
  return m_impl->run<std::int64_t>({"POST", "/field", std::move(body), k_small_reply_limit, stats},
                                   parse_created_id);
}

Task<std::vector<Choice>> Client::list_choices(std::int64_t field_id, ChoiceKind kind,
                                               RequestStats* stats) {
  const std::string id = std::to_string(field_id);
  if (kind == ChoiceKind::single) {
    return m_impl->run<std::vector<Choice>>(
        {"GET", "/field/" + id + "/choice", "", k_field_list_reply_limit, stats},
        [](const json& data, std::string_view what) { return parse_choices(data, what); });
  }
  return m_impl->run<std::vector<Choice>>(
      {"GET", "/field/choices?fields=" + id, "", k_field_list_reply_limit, stats},
      [field_id](const json& data, std::string_view what) {
        return parse_choices(data, what, field_id);
      });
}

Task<std::vector<ContactList>> Client::list_contact_lists(RequestStats* stats) {
  return m_impl->run<std::vector<ContactList>>(
      {"GET", "/contactlist", "", k_bulk_reply_limit, stats}, parse_contact_lists);
}

Task<std::int64_t> Client::create_contact_list(const std::string& name, RequestStats* stats) {
  std::string body = json{{"key_id", "3"}, {"name", name}}.dump(-1, ' ', false,
                                                                json::error_handler_t::replace);
  return m_impl->run<std::int64_t>(
      {"POST", "/contactlist", std::move(body), k_small_reply_limit, stats}, parse_created_id);
}

Task<ListChangeResult> Client::add_to_contact_list(std::int64_t list_id,
                                                   const std::vector<std::string_view>& emails,
                                                   RequestStats* stats) {
  return m_impl->change_list(list_id, "add", "inserted_contacts", emails, stats);
}

Task<ListChangeResult> Client::remove_from_contact_list(
    std::int64_t list_id, const std::vector<std::string_view>& emails, RequestStats* stats) {
  return m_impl->change_list(list_id, "delete", "deleted_contacts", emails, stats);
}

Task<ContactsResult> Client::update_contacts(const std::vector<std::string_view>& contacts,
                                             RequestStats* stats) {
  return m_impl->run<ContactsResult>({"PUT", "/contact?create_if_not_exists=0",
                                      contacts_body(contacts, ""), k_bulk_reply_limit, stats},
                                     parse_contacts_result);
}

Task<ContactsResult> Client::create_contacts(const std::vector<std::string_view>& contacts,
                                             std::optional<std::int64_t> contact_list_id,
                                             RequestStats* stats) {
  const std::string list_member =
      contact_list_id ? R"(,"contact_list_id":)" + std::to_string(*contact_list_id) : "";
  return m_impl->run<ContactsResult>(
      {"POST", "/contact", contacts_body(contacts, list_member), k_bulk_reply_limit, stats},
      parse_contacts_result);
}

Task<ContactDataResult> Client::get_contact_data(const std::vector<std::string>& emails,
                                                 const std::vector<std::int64_t>& field_ids,
                                                 RequestStats* stats) {
  // camelCase and case-sensitive (emarsys-api.md 4.4); "3" first, so the
  // email of each result is there to match it with.
  json fields = json::array({3});
  for (const std::int64_t id : field_ids) {
    if (id != 3) {
      fields.push_back(id);
    }
  }
  std::string body =
      json{{"keyId", "3"}, {"keyValues", emails}, {"fields", std::move(fields)}}.dump(
          -1, ' ', false, json::error_handler_t::replace);
  return m_impl->run<ContactDataResult>(
      {"POST", "/contact/getdata", std::move(body), k_bulk_reply_limit, stats},
      parse_contact_data);
}

}  // namespace emsync::emarsys
