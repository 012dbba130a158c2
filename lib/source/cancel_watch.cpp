#include "source/cancel_watch.hpp"

namespace emsync::source {

CancelWatch::CancelWatch(const std::atomic<bool>* flag, std::function<void()> cancel)
    : m_flag(flag), m_cancel(std::move(cancel)) {
  if (m_flag != nullptr) {
    m_thread = std::thread([this] { watch(); });
  }
}

CancelWatch::~CancelWatch() {
  {
    const std::lock_guard lock(m_mutex);
    m_done = true;
  }
  m_wake.notify_one();
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void CancelWatch::watch() {
  std::unique_lock lock(m_mutex);
  while (!m_done) {
    if (m_flag->load()) {
      m_fired.store(true);
      lock.unlock();
      m_cancel();
      return;
    }
    m_wake.wait_for(lock, k_poll, [this] { return m_done; });
  }
}

}  // namespace emsync::source
