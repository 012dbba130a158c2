#include "emarsys/oauth.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/hardening.hpp"
#include "emarsys/async_semaphore.hpp"
#include "emarsys/http.hpp"
#include "emarsys/oauth_token.hpp"
#include "emarsys/reply.hpp"

namespace emsync::emarsys {

namespace asio = boost::asio;

struct OAuth::Impl {
  Impl(asio::any_io_executor ex, Url url, std::string id, std::string secret,
       std::optional<std::string> ca_file, std::chrono::milliseconds timeout, const Clock& time)
      : executor(ex),
        clock(time),
        token_url(std::move(url)),
        client_id(std::move(id)),
        client_secret(std::move(secret)),
        http(ex, token_url, std::move(ca_file), timeout),
        fetching(ex, 1) {}
  ~Impl() { wipe(client_secret); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  asio::awaitable<Result<std::string>> fetch();
  // Built outside the coroutine: GCC 12 mishandles initializer lists in them.
  HttpRequest token_request() const {
    return HttpRequest{"POST",
                       token_url.path.empty() ? "/" : token_url.path,
                       {{"Authorization", basic_authorization(client_id, client_secret)},
                        {"Content-Type", "application/x-www-form-urlencoded"},
                        {"Accept", "application/json"}},
                       token_request_body(),
                       k_small_reply_limit};
  }

  asio::any_io_executor executor;
  const Clock& clock;
  Url token_url;
  std::string client_id;
  std::string client_secret;
  HttpClient http;
  AsyncSemaphore fetching;  // one fetch at a time; later callers reuse its token
  TokenCache cache;
};

asio::awaitable<Result<std::string>> OAuth::Impl::fetch() {
  const auto wait = cache.reserve_fetch(clock.steady());
  if (wait > TokenCache::Clock::duration::zero()) {
    spdlog::warn("OAuth token fetch from {} delayed {} s: at most 2 fetches a minute",
                 token_url.text(), std::chrono::ceil<std::chrono::seconds>(wait).count());
    asio::steady_timer timer(executor, wait);
    co_await timer.async_wait(asio::use_awaitable);
  }
  const auto started = clock.steady();
  auto response = co_await http.send(token_request());
  if (!response) {
    co_return response.error();
  }
  spdlog::debug(
      "OAuth POST {} -> {} in {} ms", token_url.text(), response->status,
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.steady() - started).count());
  auto token = parse_token_reply(token_url.text(), response->status, response->body);
  if (!token) {
    co_return token.error();
  }
  std::string value = token->value;
  cache.store(std::move(token.value()), started);
  co_return value;
}

OAuth::OAuth(asio::any_io_executor executor, Url token_url, std::string client_id,
             std::string client_secret, std::optional<std::string> ca_file,
             std::chrono::milliseconds timeout, const Clock& clock)
    : m_impl(std::make_unique<Impl>(std::move(executor), std::move(token_url), std::move(client_id),
                                    std::move(client_secret), std::move(ca_file), timeout, clock)) {
}

OAuth::~OAuth() = default;

asio::awaitable<Result<std::string>> OAuth::token() {
  if (auto cached = m_impl->cache.get(m_impl->clock.steady())) {
    co_return std::move(*cached);
  }
  auto guard = co_await m_impl->fetching.acquire();  // never closed
  // Another caller may have fetched while this one waited for the lock.
  if (auto cached = m_impl->cache.get(m_impl->clock.steady())) {
    co_return std::move(*cached);
  }
  co_return co_await m_impl->fetch();
}

void OAuth::invalidate(const std::string& token) {
  if (m_impl->cache.get(m_impl->clock.steady()) == token) {
    m_impl->cache.invalidate();
  }
}

}  // namespace emsync::emarsys
