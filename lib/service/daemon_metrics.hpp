// DaemonMetrics: every Prometheus series emsyncd exports (the list is in the
// README, "Metrics"), built on metrics::Registry.
//
// Names follow ../shared/operations.md: prefix emsync_, base units, label
// `activation` (never `job`), `destination` for Emarsys accounts. The series
// of an activation or destination exist at zero from when the daemon knows
// it (start-up, apply, reload), so rate() and absent() work from the first
// scrape. An activation's series exist with every value of their other
// labels (trigger and status, outcome, read: `full` and `incremental` alike,
// incremental activation or not) until it is deleted. Counters count since
// the daemon started; the last success of each activation is restored from
// the state DB at start-up.
//
// Threading: the event loop updates and renders; the Emarsys observers run
// there too.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/time.hpp"
#include "emarsys/client.hpp"
#include "metrics/process.hpp"
#include "metrics/registry.hpp"
#include "service/run_summary.hpp"
#include "service/trigger.hpp"
#include "store/state_store.hpp"

namespace emsync::service {

class DaemonMetrics {
 public:
  // `loaded_at`: when the daemon loaded its config (the reload timestamp's
  // first value).
  explicit DaemonMetrics(UnixMillis loaded_at);

  // Creates the activation's series (idempotent); `last_success` restores
  // its last successful run's end.
  void add_activation(const std::string& name, std::optional<UnixMillis> last_success);
  // Drops every series of a deleted activation.
  void remove_activation(const std::string& name);
  // Creates the destination's series and returns the observer its Client reports to.
  std::shared_ptr<emarsys::ClientObserver> add_destination(const std::string& name,
                                                           int rate_limit_per_minute);

  void record_run(const RunSummary& run);
  // Before a scrape: what the scheduler knows now about one activation.
  void set_activation_state(const std::string& name, bool paused, bool running,
                            std::optional<UnixMillis> next_run);
  void set_state_db(bool writable, double size_bytes);
  void record_reload(bool succeeded, UnixMillis at);

  // The text exposition, process_* read afresh.
  std::string render();

 private:
  class Observer;
  metrics::Registry m_registry;
  metrics::ProcessMetrics m_process{m_registry};
  metrics::Family<metrics::Counter>& m_runs;
  metrics::Family<metrics::Histogram>& m_run_duration;
  metrics::Family<metrics::Counter>& m_contacts;
  metrics::Family<metrics::Counter>& m_rows_read;
  metrics::Family<metrics::Counter>& m_batches;
  metrics::Family<metrics::Gauge>& m_last_run;
  metrics::Family<metrics::Gauge>& m_last_success;
  metrics::Family<metrics::Gauge>& m_last_duration;
  metrics::Family<metrics::Gauge>& m_next_run;
  metrics::Family<metrics::Gauge>& m_paused;
  metrics::Family<metrics::Gauge>& m_running;
  metrics::Family<metrics::Counter>& m_requests;
  metrics::Family<metrics::Histogram>& m_request_duration;
  metrics::Family<metrics::Counter>& m_retries;
  metrics::Family<metrics::Counter>& m_ratelimit_waits;
  metrics::Family<metrics::Counter>& m_ratelimit_wait_seconds;
  metrics::Family<metrics::Gauge>& m_ratelimit_remaining;
  metrics::Family<metrics::Gauge>& m_ratelimit_limit;
  metrics::Gauge& m_state_db_up;
  metrics::Gauge& m_state_db_size;
  metrics::Gauge& m_reload_ok;
  metrics::Gauge& m_reload_at;
};

}  // namespace emsync::service
