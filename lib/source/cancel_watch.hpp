// Cancelling a blocking database call from outside it.
//
// A query blocks its thread inside the driver (PQgetResult, SQLExecute,
// SQLFetch) until the database answers, which may be minutes; a cancel flag
// checked between rows is not enough. A CancelWatch polls the flag from its
// own thread and calls `cancel` once when the flag turns true; the callback
// must be safe to call while the query's thread is inside the driver
// (PQcancel and SQLCancel are documented so).
//
//   CancelWatch watch(options.cancel_requested, [&] { SQLCancel(statement); });
//   ... blocking calls on `statement` ...
//   if (watch.fired()) return make_error(Errc::cancelled, "...");
//
// The watch must be destroyed before what `cancel` touches (declare it after
// the handle). With a null flag no thread is started.
// Threading: construct, query and destroy on one thread; `cancel` runs on
// the watcher thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace emsync::source {

class CancelWatch {
 public:
  static constexpr std::chrono::milliseconds k_poll{50};

  // REQUIRES: `flag`, when not null, outlives the watch.
  CancelWatch(const std::atomic<bool>* flag, std::function<void()> cancel);
  // Stops the watcher; returns at once when it is idle.
  ~CancelWatch();
  CancelWatch(const CancelWatch&) = delete;
  CancelWatch& operator=(const CancelWatch&) = delete;

  // Whether `cancel` was called (then the query's error is the cancellation).
  bool fired() const { return m_fired.load(); }

 private:
  void watch();

  const std::atomic<bool>* m_flag;
  std::function<void()> m_cancel;
  std::atomic<bool> m_fired{false};
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_done = false;  // guarded by m_mutex
  std::thread m_thread;  // last: started once the members above exist
};

}  // namespace emsync::source
