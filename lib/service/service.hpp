// Service: the running daemon, minus main(). Owns the state store, one
// Emarsys client per destination, the blocking thread pool, the run queue and
// the admin server, and answers the admin methods of lib/admin/PROTOCOL.md.
//
// Schedules: a loop wakes every second and starts the activations whose
// schedule (lib/schedule) is due; one that is due while it runs starts once
// after it (the next tick sees the missed time), and a schedule missed while
// the daemon was down runs once at start-up.
//
// Runs: an activation runs at most once at a time. A run requested while it
// runs is queued (one at most: further requests return the queued run's id)
// and starts when the running one ends. Different activations run
// concurrently.
//
// Threading: everything here runs on the io_context's one thread; SQLite,
// the sources and the spool run on the pool via on_pool().
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "admin/server.hpp"
#include "config/activation.hpp"
#include "config/config.hpp"
#include "core/file_lock.hpp"
#include "emarsys/client.hpp"
#include "schedule/schedule.hpp"
#include "store/state_store.hpp"

namespace emsync::service {

class Service {
 public:
  // Opens the state DB (marking runs a crash left unfinished as
  // `interrupted`), reads every secret and creates the Emarsys clients.
  // Fails with a message naming what is wrong (state DB, secret file, ...).
  static Result<std::unique_ptr<Service>> create(boost::asio::io_context& io,
                                                 config::Config config);
  ~Service();

  // Starts serving the admin socket.
  Result<void> start();
  // Stops accepting commands, cancels running runs at their next batch
  // boundary, and calls `on_stopped` once no run is left.
  void stop(std::function<void()> on_stopped);

 private:
  struct Slot {  // one per activation with a run in flight
    bool running = false;
    std::optional<std::int64_t> queued_run;
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
  };
  struct Plan {  // one per activation with a schedule other than manual
    store::ActivationRecord activation;
    schedule::Schedule schedule;
    std::optional<UnixMillis> last_start;  // of its latest run
  };
  struct RunTicket {
    std::int64_t run_id = 0;
    bool queued = false;
  };

  Service(boost::asio::io_context& io, config::Config config, FileLock lock,
          std::unique_ptr<store::StateStore> store);
  Result<void> load_secrets();

  boost::asio::awaitable<admin::Response> handle(admin::Request request);
  boost::asio::awaitable<admin::Response> handle_apply(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_list(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_show(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_delete(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_pause(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_resume(const admin::Request& request);
  boost::asio::awaitable<admin::Response> set_paused(const admin::Request& request, bool paused);
  boost::asio::awaitable<admin::Response> handle_run(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_runs(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_errors(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_ping(const admin::Request& request);

  boost::asio::awaitable<Result<store::ActivationRecord>> find_activation(const std::string& name);
  // The activation named by the request's "name" parameter.
  boost::asio::awaitable<Result<store::ActivationRecord>> named_activation(
      const admin::Request& request);
  boost::asio::awaitable<Result<RunTicket>> request_run(const store::ActivationRecord& activation,
                                                        bool full);
  boost::asio::awaitable<void> run_activation(std::string name, std::int64_t run_id);
  boost::asio::awaitable<void> run_one(const std::string& name, std::int64_t run_id,
                                       const std::atomic<bool>& cancel);
  boost::asio::awaitable<Result<store::RunRecord>> wait_for_run(std::int64_t run_id);
  // Rebuilds m_plans from the stored activations (at start-up and after apply/delete).
  boost::asio::awaitable<void> refresh_plans();
  boost::asio::awaitable<void> schedule_loop();
  std::string state_of(const std::string& name) const;

  boost::asio::io_context& m_io;
  config::Config m_config;
  FileLock m_lock;  // on "<state_db>.lock": one daemon per state DB
  std::unique_ptr<store::StateStore> m_store;
  boost::asio::thread_pool m_pool{4};
  std::map<std::string, std::optional<std::string>> m_source_passwords;
  std::map<std::string, std::unique_ptr<emarsys::Client>> m_clients;  // by destination
  std::map<std::string, Slot> m_slots;                                // by activation
  std::map<std::string, Plan> m_plans;                                // by activation
  std::multimap<std::int64_t, std::shared_ptr<boost::asio::steady_timer>> m_waiters;
  std::unique_ptr<admin::Server> m_server;
  std::string m_spool_dir;
  UnixMillis m_started_at = now_millis();
  bool m_stopping = false;
};

}  // namespace emsync::service
