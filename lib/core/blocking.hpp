// Running blocking work (SQLite, libpq, file I/O) off the event loop.
//
//   auto rows = co_await on_pool(pool, [&] { return store.list_runs(id, 20); });
//
// The lambda runs on a thread of `pool`; the awaiting coroutine resumes on
// its own executor. The pool is bounded (its thread count), so blocking work
// queues instead of starving the event loop. Exceptions thrown by `work`
// propagate to the awaiting coroutine.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <type_traits>
#include <utility>

namespace emsync {

template <class Work>
auto on_pool(boost::asio::thread_pool& pool, Work work)
    -> boost::asio::awaitable<std::invoke_result_t<Work&>> {
  using R = std::invoke_result_t<Work&>;
  if constexpr (std::is_void_v<R>) {
    co_await boost::asio::co_spawn(
        pool.get_executor(), [&]() -> boost::asio::awaitable<void> { work(); co_return; },
        boost::asio::use_awaitable);
  } else {
    // co_spawn needs a default-constructible result; Result<T> is not.
    std::optional<R> out = co_await boost::asio::co_spawn(
        pool.get_executor(),
        [&]() -> boost::asio::awaitable<std::optional<R>> { co_return std::optional<R>(work()); },
        boost::asio::use_awaitable);
    co_return std::move(*out);
  }
}

}  // namespace emsync
