// Service: the running daemon, minus main(). Owns the state store, one
// Emarsys client per destination, the blocking thread pool, the run queue and
// the admin server, and answers the admin methods of lib/admin/PROTOCOL.md.
//
// Schedules: a loop wakes every second and starts the activations whose
// schedule (lib/schedule) is due; one that is due while it runs starts once
// after it (the next tick sees the missed time), and a schedule missed while
// the daemon was down runs once at start-up (SchedulePlans decides). The
// same loop pings the systemd watchdog, so a stuck event loop gets the
// daemon restarted.
//
// Runs: each one is a Run owned by a RunRegistry (run_registry.hpp), which
// decides: an activation runs at most once at a time (further requests
// coalesce into one waiting run), and at most max_concurrent_runs activations
// run at once.
//
// Reload (`emsyncctl reload`, SIGHUP): the config file is read again and
// swapped in only if it is valid, every stored activation still finds its
// source and destination, and every secret can be read; otherwise the old
// config keeps running and the reason is returned. Running runs finish with
// the config they started with.
//
// Stop (SIGTERM): no new run starts; running runs stop (a model query at once,
// sending at the next batch boundary; retries and rate-limit waits are cut short) and are recorded
// `cancelled`; after shutdown_timeout the daemon stops anyway, recording the
// remaining runs `cancelled` (nothing unacknowledged is ever stored).
//
// Health: every 10 s (every tick while degraded) a WriteProbe checks the
// state DB can be written (StateDbHealth decides when, and what follows).
// When it cannot (disk full, file system read only, I/O errors) the daemon
// is degraded: no run starts (scheduled ones wait, `run` is refused), running
// ones fail at their next commit without storing anything unacknowledged,
// `status` and GET /healthz (503) give the reason; once the probe passes
// again the daemon resumes by itself and records the results of runs that
// ended meanwhile.
//
// Metrics: GET /metrics on metrics_listen (DaemonMetrics); each run ends
// with one `run_finished` log line carrying the same counts.
//
// Time: every reading of the time here comes from the Clock given to
// create(); the decisions that depend on it (SchedulePlans, StateDbHealth,
// auto_pause_policy, history_retention) are unit-tested with a ManualClock.
// Asio timers still wait in real time.
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

#include "admin/access.hpp"
#include "admin/server.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "metrics/endpoint.hpp"
#include "service/daemon_metrics.hpp"
#include "store/write_probe.hpp"
#include "core/file_lock.hpp"
#include "emarsys/client.hpp"
#include "schedule/schedule.hpp"
#include "service/auto_pause_policy.hpp"
#include "service/run_registry.hpp"
#include "service/schedule_plans.hpp"
#include "service/state_db_health.hpp"
#include "source/row_source.hpp"
#include "store/state_store.hpp"
#include "sync/run.hpp"

namespace emsync::service {

class Service {
 public:
  // Opens the state DB (marking runs a crash left unfinished as
  // `interrupted`), reads every secret and creates the Emarsys clients.
  // `config_path` is where reload() reads the config again. Fails with a
  // message naming what is wrong (state DB, secret file, ...). Every time
  // reading goes through `clock`, which must outlive the Service.
  static Result<std::unique_ptr<Service>> create(boost::asio::io_context& io, config::Config config,
                                                 std::string config_path,
                                                 const Clock& clock = system_clock());
  ~Service();

  // Starts serving the admin socket and the scheduler; tells systemd READY=1.
  Result<void> start();
  // Stops accepting commands and starting runs, cancels running runs (a model query
  // at once, sending at the next batch boundary), and calls `on_stopped` once no run is left or
  // shutdown_timeout has passed.
  void stop(std::function<void()> on_stopped);
  // Reloads the config (see above) and logs the outcome; for SIGHUP.
  void reload_in_background();
  // After stop(): true when shutdown_timeout passed with runs still going.
  // Their blocking work may never return (a slow query), so the caller
  // should exit without destroying the Service (which joins the pool).
  bool abandoned_runs() const { return m_abandoned_runs; }

 private:
  struct RunTicket {
    std::int64_t run_id = 0;
    bool queued = false;
  };
  // What a config needs at run time besides itself: secrets and clients.
  struct Resources {
    std::map<std::string, std::optional<std::string>> source_passwords;
    std::map<std::string, std::shared_ptr<emarsys::Client>> clients;  // by destination
  };

  Service(boost::asio::io_context& io, const Clock& clock, config::Config config,
          std::string config_path, FileLock lock, std::unique_ptr<store::StateStore> store);
  // Reads the secrets of `config` and makes its clients, reusing those of
  // m_resources whose settings (secret included) did not change.
  Result<Resources> load_resources(const config::Config& config);

  // -- admin methods (admin_methods.cpp, run_methods.cpp, control_methods.cpp) --
  // Refuses a method the peer may not call (admin/access.hpp), dispatches
  // the others, and audits every call that is not read-only.
  boost::asio::awaitable<admin::Response> handle(admin::Request request);
  // Any exception of a method becomes an error reply (invalid_input for a
  // bad parameter, internal otherwise), logged.
  boost::asio::awaitable<admin::Response> dispatch(const admin::Request& request);
  // Sets the policy of m_config (at start and reload), warning when its
  // group could not be resolved and the policy changed.
  void set_access_policy(admin::AccessPolicy policy);
  boost::asio::awaitable<void> record_audit(const admin::Request& request,
                                            const admin::Response& response, UnixMillis at);
  boost::asio::awaitable<admin::Response> handle_apply(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_list(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_show(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_delete(const admin::Request& request);
  // `delete NAME --empty-list`: removes the list members emsync added
  // (sync::empty_list); how many.
  boost::asio::awaitable<Result<std::int64_t>> empty_list(const std::string& name);
  boost::asio::awaitable<admin::Response> handle_pause(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_resume(const admin::Request& request);
  boost::asio::awaitable<admin::Response> set_paused(const admin::Request& request, bool paused);
  boost::asio::awaitable<admin::Response> handle_run(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_cancel(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_retry(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_preview(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_runs(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_errors(const admin::Request& request);
  boost::asio::awaitable<Result<std::optional<store::RunRecord>>> errors_run(
      const store::ActivationRecord& activation, std::optional<std::int64_t> run_id);
  // explain_method.cpp
  boost::asio::awaitable<admin::Response> handle_explain(const admin::Request& request);
  // What the audit log keeps of an `explain`: the contact's hashed key
  // (sync/row_key.hpp) and the outcome, never the email.
  static std::string explain_audit_detail(const admin::Request& request,
                                          const admin::Response& response);
  boost::asio::awaitable<admin::Response> handle_ping(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_status(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_reload(const admin::Request& request);
  boost::asio::awaitable<admin::Response> handle_audit(const admin::Request& request);

  boost::asio::awaitable<Result<store::ActivationRecord>> find_activation(const std::string& name);
  // The activation named by the request's "name" parameter.
  boost::asio::awaitable<Result<store::ActivationRecord>> named_activation(
      const admin::Request& request);
  // "running", "queued" or "idle": what the activation is doing now.
  std::string activity_of(const std::string& name) const;

  // -- runs (runs.cpp) --
  // `force` passes the safety valve (it carries over to a queued run joined).
  boost::asio::awaitable<Result<RunTicket>> request_run(const store::ActivationRecord& activation,
                                                        Trigger trigger, sync::Scope scope,
                                                        sync::SafetyValve valve);
  // Executes the runs m_runs started.
  void start_runs(const std::vector<std::int64_t>& run_ids);
  // Executes one, then finishes it in m_runs (waking its waiters) and starts
  // what that frees a place for.
  boost::asio::awaitable<void> run_activation(std::int64_t run_id);
  // Runs it; returns why it failed when the failure needs attention (auto-pause).
  boost::asio::awaitable<std::optional<std::string>> run_one(const Run& run);
  // What a run or a check of `activation` works with, from the current config.
  struct RunTools {
    std::shared_ptr<emarsys::Client> client;
    std::unique_ptr<source::RowSource> source;
    source::QueryOptions query_options;
    std::optional<std::int64_t> new_contacts_list_id;
  };
  Result<RunTools> run_tools(const config::Activation& activation);
  // `preview`'s result for `activation` (PROTOCOL.md), `sample_limit` contacts shown.
  boost::asio::awaitable<Result<nlohmann::json>> preview(const store::ActivationRecord& activation,
                                                         bool full, int sample_limit);
  // The config's rejected_row_keys and park_after_rejections, for a run or a preview.
  sync::RejectionPolicy rejection_policy() const;
  // What a run or check is given, referring to `tools` (which must outlive it).
  sync::RunResources run_resources(const RunTools& tools);
  // The run's record once it has ended (woken by m_runs; a run that ended
  // without its result recorded, the state DB being unwritable, is looked up
  // again every second until it is).
  boost::asio::awaitable<Result<store::RunRecord>> wait_for_run(std::int64_t run_id);
  // Records a run that never started (withdrawn, merged, or recorded just as
  // the daemon stopped) as cancelled, then finishes it in m_runs if held.
  boost::asio::awaitable<void> cancel_waiting_run(std::int64_t run_id, std::string reason);

  // -- auto-pause (auto_pause.cpp) --
  // After a run: extends or ends the failure streak, auto-pausing at the limit.
  boost::asio::awaitable<void> note_run_health(const std::string& name,
                                               const std::optional<std::string>& needs_attention);
  // Every auto_resume_check (m_auto_resume): checks each auto-paused
  // activation that is not running (preflight) and lifts the pause of those
  // that pass.
  boost::asio::awaitable<void> auto_resume_loop();
  boost::asio::awaitable<Result<void>> check_activation(const store::ActivationRecord& record);
  // `apply`'s check of a new or changed definition (sync::check_activation):
  // the error says what cannot work, the warnings what could not be checked;
  // both name the activation.
  boost::asio::awaitable<Result<std::vector<std::string>>> check_new_activation(
      const config::Activation& activation);

  // -- schedules and lifecycle (scheduler.cpp) --
  // Rebuilds m_plans from the stored activations (at start-up and after
  // apply, delete, pause, resume, auto-pause and reload).
  boost::asio::awaitable<void> refresh_plans();
  boost::asio::awaitable<void> schedule_loop();
  // At start-up, then hourly: prunes the runs that finished more than
  // run_history_days ago (none when 0; prune_cutoff()), with their rejected rows.
  boost::asio::awaitable<void> history_loop();
  // Prunes them in bounded chunks (StateStore::prune_runs), so that batch
  // commits of running runs get the state DB in between; logs the totals.
  boost::asio::awaitable<void> prune_history(UnixMillis finished_before);
  // Records the `withdrawn` runs cancelled, waits for the running ones up to
  // shutdown_timeout (recording those still going cancelled), then calls on_stopped.
  boost::asio::awaitable<void> drain_then(std::vector<std::int64_t> withdrawn,
                                          std::function<void()> on_stopped);
  // Reloads the config; the result says what changed, the error why not.
  boost::asio::awaitable<Result<std::string>> reload();
  // The config at `path` if it is valid and check_reload() accepts it for the
  // stored activations. Blocking.
  Result<config::Config> checked_config(const std::string& path);
  std::string status_line() const;
  void publish_status() const;

  // -- health and metrics (health.cpp) --
  Result<void> start_metrics_endpoint();
  // Probes the state DB when m_health says so, logs entering or leaving
  // degraded mode, and records the results kept meanwhile.
  boost::asio::awaitable<void> check_state_db();
  std::string render_metrics();
  // After a run: its metrics and its run_finished line.
  void report_run(const RunSummary& summary);
  // Records a run's result; kept to record again when the state DB is unwritable.
  boost::asio::awaitable<void> record_finish(const RunSummary& summary);

  boost::asio::io_context& m_io;
  const Clock& m_clock;
  config::Config m_config;
  const std::string m_config_path;
  int m_config_generation = 1;
  UnixMillis m_config_loaded_at = m_clock.wall();
  FileLock m_lock;  // on "<state_db>.lock": one daemon per state DB
  std::unique_ptr<store::StateStore> m_store;
  // max_concurrent_runs + spare threads (service.cpp). While a run reads its
  // model, one pool thread decodes the source's rows (handing them to the
  // run's own RowPipeline worker thread, not a pool thread) and another loads
  // its stored digests, until they are in memory; the rest serve SQLite.
  const int m_pool_threads;
  boost::asio::thread_pool m_pool;
  // Before m_resources: the Emarsys clients report to it until they are gone.
  DaemonMetrics m_metrics{m_config_loaded_at};
  Resources m_resources;
  RunRegistry m_runs;  // every queued and running run
  SchedulePlans m_plans{m_clock};
  admin::AccessPolicy m_access;  // who may call what on the admin socket
  std::unique_ptr<admin::Server> m_server;
  std::string m_spool_dir;
  UnixMillis m_started_at = m_clock.wall();
  bool m_stopping = false;
  bool m_reloading = false;
  // Previews going on (handle_preview), and the flag that stops them when the
  // daemon stops (their model query at once); the drain waits for them too.
  int m_previews = 0;
  std::atomic<bool> m_stop_previews{false};
  bool m_abandoned_runs = false;

  std::unique_ptr<metrics::HttpEndpoint> m_endpoint;
  std::map<std::string, bool> m_known_activations;  // all of them, with `paused` (metrics)
  std::unique_ptr<store::WriteProbe> m_probe;
  StateDbHealth m_health{m_clock};
  AutoResumeRounds m_auto_resume{m_clock};
};

}  // namespace emsync::service
