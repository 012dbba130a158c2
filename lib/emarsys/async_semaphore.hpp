// A FIFO counting semaphore for coroutines on one executor: acquire()
// suspends while `count` Guards are alive, and waiters are let in in order.
// Built on a channel of `count` slots (sending takes a slot, receiving frees
// it). close() fails the waiting and every later acquire() (shutdown);
// Guards already handed out stay valid. With count 1 it is a mutex.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <optional>
#include <utility>

namespace emsync::emarsys {

class AsyncSemaphore {
 public:
  class Guard {
   public:
    explicit Guard(AsyncSemaphore* semaphore) : m_semaphore(semaphore) {}
    Guard(Guard&& other) noexcept : m_semaphore(std::exchange(other.m_semaphore, nullptr)) {}
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    Guard& operator=(Guard&&) = delete;
    ~Guard() {
      if (m_semaphore != nullptr) {
        m_semaphore->m_slots.try_receive([](boost::system::error_code) {});
      }
    }

   private:
    AsyncSemaphore* m_semaphore;
  };

  // REQUIRES: count >= 1.
  AsyncSemaphore(const boost::asio::any_io_executor& executor, std::size_t count)
      : m_slots(executor, count) {}

  // A Guard, or nothing once close() was called.
  boost::asio::awaitable<std::optional<Guard>> acquire() {
    if (m_closed) {
      co_return std::nullopt;
    }
    auto [ec] = co_await m_slots.async_send(boost::system::error_code{},
                                            boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) {
      co_return std::nullopt;  // cancelled by close()
    }
    co_return Guard(this);
  }

  void close() {
    m_closed = true;
    m_slots.cancel();
  }

 private:
  boost::asio::experimental::channel<void(boost::system::error_code)> m_slots;
  bool m_closed = false;
};

}  // namespace emsync::emarsys
