#include "service/daemon_metrics.hpp"

#include <array>
#include <utility>

namespace emsync::service {

namespace {

constexpr std::array k_run_statuses = {store::RunStatus::succeeded, store::RunStatus::partial,
                                       store::RunStatus::failed, store::RunStatus::cancelled,
                                       store::RunStatus::interrupted};
constexpr std::array k_triggers = {Trigger::schedule, Trigger::manual};
constexpr std::array k_read_kinds = {store::ReadKind::full, store::ReadKind::incremental};
// "added" and "removed": list activations (config::Mode::list).
constexpr std::array<const char*, 8> k_contact_outcomes = {
    "unchanged", "updated", "inserted", "not_found", "rejected", "failed", "added", "removed"};
// The calls a sync makes (method, path template).
constexpr std::array<std::pair<const char*, const char*>, 8> k_endpoints = {{
    {"GET", "/field"},
    {"POST", "/field"},
    {"GET", "/contactlist"},
    {"POST", "/contactlist"},
    {"PUT", "/contact"},
    {"POST", "/contact"},
    {"POST", "/contactlist/{id}/add"},
    {"POST", "/contactlist/{id}/delete"},
}};

double seconds_of(UnixMillis t) { return static_cast<double>(t) / 1000.0; }

std::array<std::int64_t, 8> outcome_counts(const store::RunCounts& c) {
  return {c.unchanged, c.updated, c.inserted, c.not_found, c.rejected, c.failed, c.added, c.removed};
}

}  // namespace

class DaemonMetrics::Observer : public emarsys::ClientObserver {
 public:
  Observer(DaemonMetrics& metrics, std::string destination)
      : m_metrics(metrics), m_destination(std::move(destination)) {}

  void on_exchange(std::string_view method, std::string_view endpoint, int status,
                   double seconds) override {
    const std::string code = status == 0 ? "error" : std::to_string(status);
    m_metrics.m_requests.with({m_destination, std::string(method), std::string(endpoint), code})
        .add();
    m_metrics.m_request_duration.with({m_destination, std::string(method), std::string(endpoint)})
        .observe(seconds);
  }
  void on_retry(std::string_view endpoint, std::string_view reason) override {
    m_metrics.m_retries.with({m_destination, std::string(endpoint), std::string(reason)}).add();
  }
  void on_rate_limit_wait(double seconds) override {
    m_metrics.m_ratelimit_waits.with({m_destination}).add();
    m_metrics.m_ratelimit_wait_seconds.with({m_destination}).add(seconds);
  }
  void on_rate_limit_remaining(std::int64_t remaining) override {
    m_metrics.m_ratelimit_remaining.with({m_destination}).set(static_cast<double>(remaining));
  }

 private:
  DaemonMetrics& m_metrics;
  const std::string m_destination;
};

DaemonMetrics::DaemonMetrics(UnixMillis loaded_at)
    : m_runs(m_registry.counter("emsync_sync_runs_total",
                                "Finished runs by what started them and their status (the run "
                                "report's words).",
                                {"activation", "trigger", "status"})),
      m_run_duration(m_registry.histogram(
          "emsync_sync_run_duration_seconds", "Duration of finished runs, in seconds.",
          {1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600}, {"activation"})),
      m_contacts(m_registry.counter(
          "emsync_contacts_total",
          "Contacts of finished runs by outcome (the run report's counters; failed ones are "
          "retried next run).",
          {"activation", "outcome"})),
      m_rows_read(m_registry.counter(
          "emsync_source_rows_read_total",
          "Rows read from the model by finished runs, by read (full or incremental).",
          {"activation", "read"})),
      m_batches(m_registry.counter("emsync_batches_total",
                                   "Contact batches finished runs sent to Emarsys.",
                                   {"activation"})),
      m_last_run(m_registry.gauge("emsync_sync_last_run_timestamp_seconds",
                                  "When the latest run ended (whatever its status), unix time.",
                                  {"activation"})),
      m_last_success(m_registry.gauge(
          "emsync_sync_last_success_timestamp_seconds",
          "When the latest succeeded run ended, unix time; 0 when none did (alert on staleness).",
          {"activation"})),
      m_last_duration(m_registry.gauge("emsync_sync_last_run_duration_seconds",
                                       "Duration of the latest run, in seconds.", {"activation"})),
      m_next_run(m_registry.gauge(
          "emsync_sync_next_run_timestamp_seconds",
          "When the schedule starts the activation next, unix time; 0 when manual or paused.",
          {"activation"})),
      m_paused(m_registry.gauge("emsync_sync_paused",
                                "1 when the activation is paused or auto-paused.", {"activation"})),
      m_running(
          m_registry.gauge("emsync_sync_running", "1 while the activation runs.", {"activation"})),
      m_requests(m_registry.counter(
          "emsync_http_client_requests_total",
          "Emarsys API exchanges by path template and HTTP status (code=\"error\": no reply).",
          {"destination", "method", "endpoint", "code"})),
      m_request_duration(m_registry.histogram("emsync_http_client_request_duration_seconds",
                                              "Emarsys API exchange latency, in seconds.",
                                              {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
                                              {"destination", "method", "endpoint"})),
      m_retries(m_registry.counter("emsync_http_client_retries_total",
                                   "Emarsys API attempts that failed and were retried, by reason.",
                                   {"destination", "endpoint", "reason"})),
      m_ratelimit_waits(m_registry.counter(
          "emsync_ratelimit_waits_total",
          "Requests that waited for the API user's rate limiter (its own pace or a reset).",
          {"destination"})),
      m_ratelimit_wait_seconds(m_registry.counter("emsync_ratelimit_wait_seconds_total",
                                                  "Time requests waited for the rate limiter.",
                                                  {"destination"})),
      m_ratelimit_remaining(m_registry.gauge(
          "emsync_ratelimit_remaining",
          "X-Ratelimit-Remaining of the latest Emarsys reply (0 after a 429).", {"destination"})),
      m_ratelimit_limit(m_registry.gauge("emsync_ratelimit_limit",
                                         "Configured requests per minute (rate_limit_per_minute).",
                                         {"destination"})),
      m_state_db_up(m_registry
                        .gauge("emsync_state_db_up",
                               "1 when the state DB can be written; 0 stops new runs (degraded).")
                        .with({})),
      m_state_db_size(
          m_registry.gauge("emsync_state_db_size_bytes", "State DB size, WAL included.").with({})),
      m_reload_ok(m_registry
                      .gauge("emsync_config_last_reload_successful",
                             "1 when the latest config reload (or the start) succeeded.")
                      .with({})),
      m_reload_at(m_registry
                      .gauge("emsync_config_last_reload_success_timestamp_seconds",
                             "When the config was last loaded successfully, unix time.")
                      .with({})) {
  m_registry.gauge("emsync_build_info", "Build information; the value is always 1.", {"version"})
      .with({EMSYNC_VERSION})
      .set(1);
  m_state_db_up.set(1);
  record_reload(true, loaded_at);
}

void DaemonMetrics::add_activation(const std::string& name,
                                   std::optional<UnixMillis> last_success) {
  for (Trigger trigger : k_triggers) {
    for (store::RunStatus status : k_run_statuses) {
      m_runs.with({name, to_string(trigger), store::to_string(status)});
    }
  }
  for (const char* outcome : k_contact_outcomes) {
    m_contacts.with({name, outcome});
  }
  m_run_duration.with({name});
  for (store::ReadKind read : k_read_kinds) {
    m_rows_read.with({name, store::to_string(read)});
  }
  m_batches.with({name});
  m_last_run.with({name});
  m_last_duration.with({name});
  m_next_run.with({name});
  m_paused.with({name});
  m_running.with({name});
  auto& success = m_last_success.with({name});
  if (last_success && seconds_of(*last_success) > success.value()) {
    success.set(seconds_of(*last_success));
  }
}

void DaemonMetrics::remove_activation(const std::string& name) {
  m_runs.remove("activation", name);
  m_run_duration.remove("activation", name);
  m_contacts.remove("activation", name);
  m_rows_read.remove("activation", name);
  m_batches.remove("activation", name);
  for (auto* gauge :
       {&m_last_run, &m_last_success, &m_last_duration, &m_next_run, &m_paused, &m_running}) {
    gauge->remove("activation", name);
  }
}

std::shared_ptr<emarsys::ClientObserver> DaemonMetrics::add_destination(const std::string& name,
                                                                        int rate_limit_per_minute) {
  for (const auto& [method, endpoint] : k_endpoints) {
    m_request_duration.with({name, method, endpoint});
  }
  m_ratelimit_waits.with({name});
  m_ratelimit_wait_seconds.with({name});
  m_ratelimit_remaining.with({name});
  m_ratelimit_limit.with({name}).set(rate_limit_per_minute);
  return std::make_shared<Observer>(*this, name);
}

void DaemonMetrics::record_run(const RunSummary& run) {
  const double duration = seconds_of(run.finished_at - run.started_at);
  m_runs.with({run.activation, to_string(run.trigger), store::to_string(run.status)}).add();
  m_run_duration.with({run.activation}).observe(duration);
  const auto counts = outcome_counts(run.counts);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    m_contacts.with({run.activation, k_contact_outcomes[i]}).add(static_cast<double>(counts[i]));
  }
  m_rows_read.with({run.activation, store::to_string(run.read.kind)})
      .add(static_cast<double>(run.counts.rows_read));
  m_batches.with({run.activation}).add(static_cast<double>(run.batches));
  m_last_run.with({run.activation}).set(seconds_of(run.finished_at));
  m_last_duration.with({run.activation}).set(duration);
  if (run.status == store::RunStatus::succeeded) {
    m_last_success.with({run.activation}).set(seconds_of(run.finished_at));
  }
}

void DaemonMetrics::set_activation_state(const std::string& name, bool paused, bool running,
                                         std::optional<UnixMillis> next_run) {
  m_paused.with({name}).set(paused ? 1 : 0);
  m_running.with({name}).set(running ? 1 : 0);
  m_next_run.with({name}).set(next_run ? seconds_of(*next_run) : 0);
}

void DaemonMetrics::set_state_db(bool writable, double size_bytes) {
  m_state_db_up.set(writable ? 1 : 0);
  m_state_db_size.set(size_bytes);
}

void DaemonMetrics::record_reload(bool succeeded, UnixMillis at) {
  m_reload_ok.set(succeeded ? 1 : 0);
  if (succeeded) {
    m_reload_at.set(seconds_of(at));
  }
}

std::string DaemonMetrics::render() {
  m_process.update();
  return m_registry.render();
}

}  // namespace emsync::service
