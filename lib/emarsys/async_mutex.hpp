// A FIFO mutex for coroutines on one executor: lock() suspends until the
// previous holder's Guard is destroyed. Built on a one-slot channel (sending
// takes the slot, receiving frees it), so waiters queue in order.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace emsync::emarsys {

class AsyncMutex {
 public:
  class Guard {
   public:
    explicit Guard(AsyncMutex* mutex) : m_mutex(mutex) {}
    Guard(Guard&& other) noexcept : m_mutex(std::exchange(other.m_mutex, nullptr)) {}
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    Guard& operator=(Guard&&) = delete;
    ~Guard() {
      if (m_mutex != nullptr) {
        m_mutex->m_slot.try_receive([](boost::system::error_code) {});
      }
    }

   private:
    AsyncMutex* m_mutex;
  };

  explicit AsyncMutex(const boost::asio::any_io_executor& executor) : m_slot(executor, 1) {}

  boost::asio::awaitable<Guard> lock() {
    co_await m_slot.async_send(boost::system::error_code{}, boost::asio::use_awaitable);
    co_return Guard(this);
  }

 private:
  boost::asio::experimental::channel<void(boost::system::error_code)> m_slot;
};

}  // namespace emsync::emarsys
