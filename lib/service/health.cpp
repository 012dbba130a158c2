// Service health and metrics: the state DB write probe (when and what follows:
// StateDbHealth), /healthz, /metrics, and what each finished run reports.
#include <spdlog/spdlog.h>

#include "core/blocking.hpp"
#include "core/log.hpp"
#include "service/report.hpp"
#include "service/service.hpp"

namespace emsync::service {

namespace asio = boost::asio;

namespace {

spdlog::level::level_enum level_of(store::RunStatus status) {
  switch (status) {
    case store::RunStatus::succeeded:
      return spdlog::level::info;
    case store::RunStatus::failed:
    case store::RunStatus::interrupted:
      return spdlog::level::err;
    default:
      return spdlog::level::warn;
  }
}

}  // namespace

Result<void> Service::start_metrics_endpoint() {
  if (m_config.metrics_listen.empty()) {
    return ok();
  }
  const auto address = config::parse_listen_address(m_config.metrics_listen);
  if (!address) {  // parse_config checked it
    return make_error(Errc::invalid_input,
                      "metrics_listen '" + m_config.metrics_listen + "' is not host:port");
  }
  m_endpoint = std::make_unique<metrics::HttpEndpoint>(
      m_io.get_executor(), address->host, address->port,
      metrics::EndpointHandlers{[this] { return render_metrics(); },
                                [this] { return m_health.health(m_stopping); }});
  EMSYNC_TRY(m_endpoint->start());
  spdlog::info("serving /metrics and /healthz on http://{}", m_config.metrics_listen);
  return ok();
}

asio::awaitable<void> Service::check_state_db() {
  if (!m_health.begin_probe()) {
    co_return;
  }
  const UnixMillis now = m_clock.wall();
  auto checked = co_await on_pool(m_pool, [&] { return m_probe->check(now); });
  if (!checked) {
    if (m_health.probe_failed(checked.error().message)) {
      spdlog::error(
          "degraded: {}; no run starts until the state DB can be written again "
          "(checked every second)",
          checked.error().message);
    }
    publish_status();
    co_return;
  }
  auto passed = m_health.probe_passed();
  if (passed.recovered_from) {
    spdlog::info("the state DB can be written again (was: {}); runs start again",
                 *passed.recovered_from);
  }
  for (const auto& summary : passed.unrecorded) {
    co_await record_finish(summary);
  }
  if (passed.recovered_from) {
    publish_status();
  }
}

std::string Service::render_metrics() {
  for (const auto& [name, paused] : m_known_activations) {
    m_metrics.set_activation_state(name, paused, m_runs.running(name) != nullptr, m_plans.next_run(name));
  }
  m_metrics.set_state_db(!m_health.degraded(), static_cast<double>(m_probe->size_bytes()));
  return m_metrics.render();
}

void Service::report_run(const RunSummary& run) {
  m_metrics.record_run(run);
  const auto& r = run.requests;
  nlohmann::json fields = counts_json(run.counts);
  fields.update({{"run_id", run.run_id},
                 {"activation", run.activation},
                 {"trigger", to_string(run.trigger)},
                 {"status", store::to_string(run.status)},
                 {"read", store::to_string(run.read.kind)},
                 {"started_at", format_rfc3339(run.started_at)},
                 {"finished_at", format_rfc3339(run.finished_at)},
                 {"duration_s", static_cast<double>(run.finished_at - run.started_at) / 1000.0},
                 {"batches", run.batches},
                 {"http_requests", r.requests},
                 {"http_429", r.http_429},
                 {"http_5xx", r.http_5xx},
                 {"http_transport_errors", r.transport_errors},
                 {"http_retries", r.retries},
                 {"ratelimit_wait_s", r.ratelimit_wait_seconds},
                 {"config_generation", m_config_generation},
                 {"error", run.error ? nlohmann::json(*run.error) : nlohmann::json(nullptr)},
                 {"warnings", run.warnings}});
  log_event(level_of(run.status), "run_finished", fields);
}

asio::awaitable<void> Service::record_finish(const RunSummary& run) {
  if (run.status == store::RunStatus::failed) {
    m_health.probe_soon();  // it may have failed on a state DB write
  }
  auto finished = co_await on_pool(m_pool, [&]() -> Result<void> {
    if (!run.warnings.empty()) {
      EMSYNC_TRY(m_store->set_run_warnings(run.run_id, run.warnings));
    }
    return m_store->finish_run(run.run_id, run.status, run.counts, run.finished_at, run.error);
  });
  if (!finished) {
    spdlog::error(
        "run {}: could not record its result (recorded once the state DB can be "
        "written): {}",
        run.run_id, finished.error().message);
    m_health.keep_unrecorded(run);
  }
}

}  // namespace emsync::service
