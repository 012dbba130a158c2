// Result<T>: a value or an Error that says what failed and what to do.
//
// Inside emsync, expected failures (bad input, a refused request, a lost
// connection) are values, not exceptions. Exceptions from libraries
// (nlohmann::json, Asio) are caught at module boundaries and turned
// into an Error whose message names the thing (activation, row key, field,
// HTTP status) and the remedy.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace emsync {

// What kind of failure, so callers can decide (retry, reject, abort) without
// parsing messages.
enum class Errc {
  invalid_input,   // bad config, activation, row value: the user must fix it
  not_found,       // a named thing does not exist
  io_error,        // local file or socket failure
  source_error,    // the model query or its connection failed
  state_error,     // the SQLite state store failed
  transient,       // a remote failure worth retrying (5xx, 423, reset)
  rate_limited,    // HTTP 429 / replyCode 7003
  auth_failed,     // HTTP 401/403, token refused
  rejected,        // the remote refused the request as invalid (4xx)
  protocol_error,  // the remote answered something we cannot parse
  cancelled,       // stopped on request
  timeout,         // a deadline passed
};

const char* to_string(Errc code);

struct Error {
  Errc code = Errc::invalid_input;
  std::string message;
  int http_status = 0;  // set for HTTP failures, 0 otherwise
  int reply_code = 0;   // Emarsys replyCode when known, 0 otherwise

  bool is_retryable() const {
    return code == Errc::transient || code == Errc::rate_limited || code == Errc::timeout;
  }
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const { return m_v.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  T&& value() && { return std::get<0>(std::move(m_v)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(m_v); }

 private:
  std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)) {}

  bool has_value() const { return !m_error; }
  explicit operator bool() const { return has_value(); }
  const Error& error() const { return *m_error; }

 private:
  std::optional<Error> m_error;
};

inline Result<void> ok() { return {}; }

}  // namespace emsync

// EMSYNC_TRY(expr): evaluate a Result<void>-like expression and return its
// error from the enclosing function (which must return a Result) on failure.
#define EMSYNC_TRY(expr)                     \
  do {                                       \
    auto emsync_try_result_ = (expr);        \
    if (!emsync_try_result_) {               \
      return emsync_try_result_.error();     \
    }                                        \
  } while (false)
