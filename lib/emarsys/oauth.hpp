// Bearer tokens for the v3 API via the OAuth 2.0 client-credentials grant
// (emarsys-api.md §2.2): POST token_url with HTTP Basic client credentials and
// grant_type=client_credentials. The token is cached (TokenCache); concurrent
// callers share one fetch; fetches are paced to two a minute.
//
// Token lifetimes and the fetch pacing are read on `clock` (which must
// outlive the OAuth); the wait before a paced fetch sleeps in real time.
//
// Threading: use from coroutines on the executor passed in. Must outlive
// every token() call.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/url.hpp"

namespace emsync::emarsys {

class OAuth {
 public:
  OAuth(boost::asio::any_io_executor executor, Url token_url, std::string client_id,
        std::string client_secret, std::optional<std::string> ca_file,
        std::chrono::milliseconds timeout, const Clock& clock);
  ~OAuth();
  OAuth(const OAuth&) = delete;
  OAuth& operator=(const OAuth&) = delete;

  // A valid access token, fetched if none is cached. Errors as
  // parse_token_reply() or the HttpClient give them.
  boost::asio::awaitable<Result<std::string>> token();

  // Forgets `token` after the API refused it, so the next token() fetches.
  // A token that was already replaced is left alone.
  void invalidate(const std::string& token);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace emsync::emarsys
