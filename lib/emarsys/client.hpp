// emarsys::Client: the Emarsys Core API calls a contact sync needs, over a
// small pool of keep-alive HTTPS (or, for the simulator on loopback, HTTP)
// connections.
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

#include "core/result.hpp"
#include "emarsys/rate_limiter.hpp"

namespace emsync::emarsys {

template <class T>
using Task = boost::asio::awaitable<Result<T>>;

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

struct Field {
  std::int64_t id = 0;
  std::string name;
  std::string string_id;         // "" when the field has none
  std::string application_type;  // "shorttext", "numeric", "special", ...
};

struct ContactList {
  std::int64_t id = 0;
  std::string name;
};

// A per-contact error from data.errors: the key as sent (the email), the
// replyCode as text ("2008") and its message.
struct ContactError {
  std::string key;
  std::string code;
  std::string message;
};

// Contacts of the request that are not in `errors` were accepted.
struct ContactsResult {
  std::vector<ContactError> errors;
};

struct ListAddResult {
  std::int64_t inserted = 0;
  std::vector<ContactError> errors;
};

// What the requests of one run cost, for its run_finished log line: give
// the same RequestStats to every call of the run. Updated on the executor.
struct RequestStats {
  std::int64_t requests = 0;          // HTTP exchanges, retries included
  std::int64_t http_429 = 0;
  std::int64_t http_5xx = 0;
  std::int64_t transport_errors = 0;  // no reply: connect error, reset, timeout
  std::int64_t retries = 0;
  double ratelimit_wait_seconds = 0;  // held by the API user's rate limiter
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

class Client {
 public:
  // `limiter` is the API user's limiter, shared with that user's other
  // Clients (see RateLimiters in rate_limiter.hpp); without one the Client
  // makes its own.
  // `observer` (optional) hears about every exchange.
  Client(boost::asio::any_io_executor executor, ClientConfig config,
         std::shared_ptr<SharedRateLimiter> limiter = nullptr,
         std::shared_ptr<ClientObserver> observer = nullptr);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Every call counts its exchanges in `stats` when given (see RequestStats).

  // GET /field
  Task<std::vector<Field>> list_fields(RequestStats* stats = nullptr);
  // POST /field {"name","application_type"}; returns the new field id.
  Task<std::int64_t> create_field(const std::string& name, const std::string& application_type,
                                  RequestStats* stats = nullptr);
  // GET /contactlist
  Task<std::vector<ContactList>> list_contact_lists(RequestStats* stats = nullptr);

  // `contacts` are the JSON texts of contact objects keyed by field id, each
  // holding "3" (the email), at most 1000 and 8 MB in all. The request body
  // is written around them in one allocation (a batch is ~0.5 MB).
  // PUT /contact with key_id 3, create_if_not_exists=0: unknown contacts come
  // back as 2008 errors.
  Task<ContactsResult> update_contacts(const std::vector<std::string_view>& contacts,
                                       RequestStats* stats = nullptr);
  // POST /contact with key_id 3 (and contact_list_id when given, which adds
  // exactly the created contacts to that list). Existing ones give 2009.
  Task<ContactsResult> create_contacts(const std::vector<std::string_view>& contacts,
                                       std::optional<std::int64_t> contact_list_id,
                                       RequestStats* stats = nullptr);
  // POST /contactlist/{id}/add with key_id 3.
  Task<ListAddResult> add_to_list(std::int64_t list_id, const std::vector<std::string>& emails,
                                  RequestStats* stats = nullptr);

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
