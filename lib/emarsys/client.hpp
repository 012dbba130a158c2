// emarsys::Client: the Emarsys Core API calls a contact sync needs (it
// implements ContactApi, contact_api.hpp), over a small pool of keep-alive
// HTTPS (or, for the simulator on loopback, HTTP) connections.
//
// Follows ../shared/emarsys-api.md: WSSE on /api/v2 or an OAuth 2.0 bearer
// token on /api/v3 (cached, refreshed 60 s before expiry, fetched at most
// twice a minute); the response envelope is parsed whatever the status and
// Content-Type; ids may be strings or ints; `errors` may be missing, [] or an
// object. Requests are paced by the API user's SharedRateLimiter (a token
// bucket at rate_limit_per_minute, the lowest of the Clients sharing it) and
// corrected by X-Ratelimit-Remaining/-Reset: nothing remaining or a 429
// holds every Client of that user until the reset; retryable failures (connect
// errors, timeouts, 429, 423, 5xx, replyCode 2011) are retried with
// exponential backoff and full jitter, at most max_attempts times.
//
// Errors: Errc::auth_failed (401/403 or token refused), Errc::rate_limited,
// Errc::transient, Errc::timeout (after the retries), Errc::rejected (other
// 4xx: the message carries HTTP status, replyCode and replyText),
// Errc::protocol_error (an unparseable reply, or one over its call's size or
// nesting limit: see reply.hpp). Secrets never appear in errors.
//
// Threading: all calls on the executor passed in (one io_context thread).
// Calls may be made concurrently: up to `connections` are on the wire at
// once, the others queue (in order) for the rate limiter and a connection.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "emarsys/api_types.hpp"
#include "emarsys/contact_api.hpp"
#include "emarsys/rate_limiter.hpp"

namespace emsync::emarsys {

enum class AuthKind { wsse, oauth2 };

struct ClientConfig {
  std::string api_url;  // base, e.g. "https://api.emarsys.net/api/v2"
  AuthKind auth = AuthKind::wsse;
  std::string user;       // WSSE user name, or the OAuth client_id
  std::string secret;     // WSSE secret, or the OAuth client secret
  std::string token_url;  // OAuth only, e.g. "https://auth.emarsys.net/oauth2/token"
  std::optional<std::string> ca_file;  // PEM bundle; else the system CA store
  int rate_limit_per_minute = 1000;
  int connections = 4;  // keep-alive connections used at once, at least 1
  std::chrono::milliseconds request_timeout{std::chrono::seconds(60)};
  int max_attempts = 5;
  std::chrono::milliseconds backoff_base{200};
  std::chrono::milliseconds backoff_cap{std::chrono::seconds(30)};

  bool operator==(const ClientConfig&) const = default;
};

// Told about every exchange of a Client, for metrics; called on the executor.
// `endpoint` is the path template ("/contact", "/contactlist/{id}/add"),
// never an id or a query.
class ClientObserver {
 public:
  virtual ~ClientObserver() = default;
  // status 0: no reply came (connect error, reset, timeout).
  virtual void on_exchange(std::string_view method, std::string_view endpoint, int status,
                           double seconds) = 0;
  // A failed attempt that will be retried; `reason` is the Errc name.
  virtual void on_retry(std::string_view endpoint, std::string_view reason) = 0;
  virtual void on_rate_limit_wait(double seconds) = 0;
  // X-Ratelimit-Remaining of a reply (0 after a 429).
  virtual void on_rate_limit_remaining(std::int64_t remaining) = 0;
};

class Client final : public ContactApi {
 public:
  // `limiter` is the API user's limiter, shared with that user's other
  // Clients (see RateLimiters in rate_limiter.hpp); without one the Client
  // makes its own.
  // `observer` (optional) hears about every exchange.
  // `clock` is read for pacing, backoff holds, token lifetimes, WSSE
  // timestamps and the time a call waited; it must outlive the Client. Asio
  // timers still sleep in real time.
  Client(boost::asio::any_io_executor executor, ClientConfig config,
         std::shared_ptr<SharedRateLimiter> limiter = nullptr,
         std::shared_ptr<ClientObserver> observer = nullptr, const Clock& clock = system_clock());
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The ContactApi calls (contact_api.hpp says what each does). Every call
  // counts its exchanges in `stats` when given (see RequestStats).
  Task<std::vector<Field>> list_fields(RequestStats* stats = nullptr) override;
  Task<std::int64_t> create_field(const std::string& name, const std::string& application_type,
                                  RequestStats* stats = nullptr) override;
  Task<std::vector<Choice>> list_choices(std::int64_t field_id, ChoiceKind kind,
                                         RequestStats* stats = nullptr) override;
  Task<std::vector<ContactList>> list_contact_lists(RequestStats* stats = nullptr) override;
  Task<std::int64_t> create_contact_list(const std::string& name,
                                         RequestStats* stats = nullptr) override;
  // The body is written before these return, as for update_contacts; more
  // than k_max_list_change_emails is Errc::invalid_input, nothing sent.
  Task<ListChangeResult> add_to_contact_list(std::int64_t list_id,
                                             const std::vector<std::string_view>& emails,
                                             RequestStats* stats = nullptr) override;
  Task<ListChangeResult> remove_from_contact_list(std::int64_t list_id,
                                                  const std::vector<std::string_view>& emails,
                                                  RequestStats* stats = nullptr) override;
  // The request body is written around `contacts` in one allocation (a
  // batch is ~0.5 MB), before the call returns.
  Task<ContactsResult> update_contacts(const std::vector<std::string_view>& contacts,
                                       RequestStats* stats = nullptr) override;
  Task<ContactsResult> create_contacts(const std::vector<std::string_view>& contacts,
                                       std::optional<std::int64_t> contact_list_id,
                                       RequestStats* stats = nullptr) override;
  Task<ContactDataResult> get_contact_data(const std::vector<std::string>& emails,
                                           const std::vector<std::int64_t>& field_ids,
                                           RequestStats* stats = nullptr) override;
  // `connections`, at least 1.
  int concurrent_requests() const override;

  const ClientConfig& config() const;
  const std::shared_ptr<SharedRateLimiter>& rate_limiter() const;

  // For shutdown: requests already on the wire finish (bounded by
  // request_timeout), but no call retries any more, and a call that is
  // waiting (backoff, rate limit or a free connection) or not yet sent fails
  // at once with Errc::cancelled. Irreversible.
  void stop_retrying();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace emsync::emarsys
