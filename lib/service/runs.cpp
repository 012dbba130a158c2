// Service runs: requesting, queueing, executing and waiting for runs.
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/blocking.hpp"
#include "service/connections.hpp"
#include "service/service.hpp"
#include "source/row_source.hpp"

namespace emsync::service {

namespace asio = boost::asio;

namespace {

// How often a waiter looks again at a run that has ended but whose result is
// not recorded yet (the state DB could not be written).
constexpr auto k_unrecorded_poll = std::chrono::seconds(1);

}  // namespace

asio::awaitable<Result<Service::RunTicket>> Service::request_run(
    const store::ActivationRecord& activation, Trigger trigger, sync::Scope scope,
    sync::SafetyValve valve) {
  if (m_stopping) {
    co_return make_error(Errc::cancelled, "the daemon is shutting down; no new run is started");
  }
  if (auto degraded = m_health.refusal()) {
    co_return *degraded;
  }
  if (auto joined = m_runs.join(activation.name, valve)) {
    co_return RunTicket{*joined, true};
  }
  auto run_id = co_await on_pool(
      m_pool, [&] { return m_store->create_run(activation.id, scope == sync::Scope::full, m_clock.wall()); });
  if (!run_id) {
    co_return run_id.error();
  }
  if (m_stopping) {  // began while the run was being recorded
    co_await cancel_waiting_run(*run_id, "the daemon stopped before the run started");
    co_return make_error(Errc::cancelled, "the daemon is shutting down; no new run is started");
  }
  const auto queued = m_runs.queue({.id = *run_id,
                                    .activation = activation.name,
                                    .trigger = trigger,
                                    .scope = scope,
                                    .safety_valve = valve},
                                   m_clock.wall());
  switch (queued.admission) {
    case RunRegistry::Admission::start:
      start_runs({queued.run_id});
      co_return RunTicket{queued.run_id, false};
    case RunRegistry::Admission::wait:
      co_return RunTicket{queued.run_id, true};
    case RunRegistry::Admission::coalesced:
      break;
  }
  // Another request queued a run while this one was being recorded.
  co_await cancel_waiting_run(*run_id, "merged into run " + std::to_string(queued.run_id));
  co_return RunTicket{queued.run_id, true};
}

void Service::start_runs(const std::vector<std::int64_t>& run_ids) {
  for (const std::int64_t run_id : run_ids) {
    asio::co_spawn(m_io, run_activation(run_id), asio::detached);
  }
  publish_status();
}

asio::awaitable<void> Service::run_activation(std::int64_t run_id) {
  const Run& run = *m_runs.find(run_id);  // held until finish() below
  const std::string name = run.activation;
  std::optional<std::string> internal_error;
  std::optional<std::string> needs_attention;
  try {
    needs_attention = co_await run_one(run);
  } catch (const std::exception& e) {
    // A bug must not take the daemon down with every other activation.
    internal_error = std::string("internal error (please report): ") + e.what();
    spdlog::error("run {} of activation {}: {}", run_id, name, *internal_error);
  }
  if (internal_error) {
    auto finished = co_await on_pool(m_pool, [&] {
      return m_store->finish_run(run_id, store::RunStatus::failed, {}, m_clock.wall(),
                                 internal_error);
    });
    if (!finished) {
      spdlog::error("run {} of activation {}: could not record it failed: {}", run_id, name,
                    finished.error().message);
    }
  }
  co_await note_run_health(name, needs_attention);
  // Nothing waits to start once the daemon stops (RunRegistry::cancel_all).
  start_runs(m_runs.finish(run_id, m_clock.wall()));
}

Result<Service::RunTools> Service::run_tools(const config::Activation& activation) {
  EMSYNC_TRY(config::check_references(activation, m_config));
  const config::SourceConfig& source = m_config.sources.at(activation.source);
  RunTools tools;
  tools.client = m_resources.clients.at(activation.destination);
  tools.source = make_source(source, m_resources.source_passwords[activation.source]);
  tools.query_options = {.statement_timeout = source.statement_timeout};
  tools.new_contacts_list_id = m_config.destinations.at(activation.destination).new_contacts_list_id;
  return tools;
}

sync::RejectionPolicy Service::rejection_policy() const {
  return {.park_after = m_config.park_after_rejections,
          .hash_row_keys = m_config.rejected_row_keys == config::Config::RowKeys::hashed};
}

sync::RunResources Service::run_resources(const RunTools& tools) {
  return {.pool = m_pool,
          .store = *m_store,
          .model = {.rows = *tools.source, .query_options = tools.query_options},
          .destination = {.api = *tools.client, .new_contacts_list_id = tools.new_contacts_list_id},
          .spool_dir = m_spool_dir};
}

asio::awaitable<std::optional<std::string>> Service::run_one(const Run& run) {
  const std::string& name = run.activation;
  const std::int64_t run_id = run.id;
  RunSummary summary;
  summary.run_id = run_id;
  summary.activation = name;
  summary.started_at = m_clock.wall();
  summary.trigger = run.trigger;
  auto fail = [&](const std::string& error) -> asio::awaitable<std::optional<std::string>> {
    summary.finished_at = m_clock.wall();
    summary.error = error;
    co_await record_finish(summary);
    report_run(summary);
    co_return error;
  };
  auto record = co_await on_pool(m_pool, [&] { return m_store->find_run(run_id); });
  auto activation = co_await on_pool(m_pool, [&] { return m_store->find_activation(name); });
  if (!record || !*record || !activation || !*activation) {
    co_return co_await fail("activation '" + name + "' or its run disappeared before it started");
  }
  const auto& definition = (*activation)->definition;
  if (!definition) {
    co_return co_await fail((*activation)->definition_error);
  }
  const sync::RunRequest request{
      .run_id = run_id,
      .activation_id = (*activation)->id,
      .activation = *definition,
      .scope = run.scope,
      .safety_valve = run.safety_valve};
  // The run keeps what it started with, whatever a reload swaps in meanwhile.
  auto tools = run_tools(request.activation);
  if (!tools) {
    co_return co_await fail(tools.error().message);
  }
  m_runs.set_client(run_id, tools->client);
  const sync::RunEnvironment env{
      .resources = run_resources(*tools),
      .control = {.cancel_requested = run.cancel.get(), .progress = run.progress.get()},
      .rejections = rejection_policy(),
      .request_stats = &summary.requests};
  summary.started_at = m_clock.wall();
  auto marked =
      co_await on_pool(m_pool, [&] { return m_store->start_run(run_id, summary.started_at); });
  if (!marked) {
    spdlog::error("run {} of activation {}: could not record that it started (the state DB "
                  "still says queued): {}",
                  run_id, name, marked.error().message);
  }
  m_plans.note_start(name, summary.started_at);  // intervals count from the latest start
  spdlog::info("run {} of activation {} started{}", run_id, name, request.full() ? " (full)" : "");
  const sync::RunOutcome outcome = co_await sync::execute_run(request, env);
  summary.status = outcome.status;
  summary.counts = outcome.counts;
  summary.read = outcome.read;
  summary.batches = outcome.batches;
  summary.error = outcome.error;
  summary.warnings = outcome.warnings;
  summary.finished_at = m_clock.wall();
  co_await record_finish(summary);
  report_run(summary);
  co_return outcome.needs_attention ? outcome.error : std::nullopt;
}

asio::awaitable<void> Service::cancel_waiting_run(std::int64_t run_id, std::string reason) {
  auto finished = co_await on_pool(m_pool, [&] {
    return m_store->finish_run(run_id, store::RunStatus::cancelled, {}, m_clock.wall(), reason);
  });
  if (!finished) {
    spdlog::error("run {}: could not record it cancelled: {}", run_id, finished.error().message);
  }
  start_runs(m_runs.finish(run_id, m_clock.wall()));  // a withdrawn run frees no place
}

asio::awaitable<Result<store::RunRecord>> Service::wait_for_run(std::int64_t run_id) {
  for (;;) {
    // Register before looking, so a run that ends meanwhile still wakes us.
    auto timer = std::make_shared<asio::steady_timer>(m_io, asio::steady_timer::time_point::max());
    const auto waiter = m_runs.add_waiter(run_id, [timer] { timer->cancel(); });
    if (!waiter) {  // it has ended; a record still queued or running is written later
      timer->expires_after(k_unrecorded_poll);
    }
    auto record = co_await on_pool(m_pool, [&] { return m_store->find_run(run_id); });
    const bool done = !record || !*record ||
                      ((*record)->status != store::RunStatus::queued &&
                       (*record)->status != store::RunStatus::running);
    if (done) {
      if (waiter) {
        m_runs.remove_waiter(run_id, *waiter);
      }
      if (!record) {
        co_return record.error();
      }
      if (!*record) {
        co_return make_error(Errc::not_found, "run " + std::to_string(run_id) + " does not exist");
      }
      co_return std::move(**record);
    }
    boost::system::error_code ignored;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

}  // namespace emsync::service
