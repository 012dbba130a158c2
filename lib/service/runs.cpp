// Service runs: requesting, queueing, executing and waiting for runs.
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/blocking.hpp"
#include "service/service.hpp"
#include "source/row_source.hpp"

namespace emsync::service {

namespace asio = boost::asio;

namespace {

std::unique_ptr<source::RowSource> make_source(const config::SourceConfig& source,
                                               const std::optional<std::string>& password) {
  if (source.type == config::SourceType::postgres) {
    return source::make_postgres_source(source.conninfo, password);
  }
  return source::make_sqlite_source(source.path);
}

}  // namespace

asio::awaitable<Result<Service::RunTicket>> Service::request_run(
    const store::ActivationRecord& activation, Trigger trigger, bool full, bool force) {
  if (m_stopping) {
    co_return make_error(Errc::cancelled, "the daemon is shutting down; no new run is started");
  }
  if (auto degraded = m_health.refusal()) {
    co_return *degraded;
  }
  if (auto joined = m_queue.waiting_run(activation.name)) {
    if (force) {
      m_forced_runs.insert(*joined);
    }
    co_return RunTicket{*joined, true};
  }
  auto run_id = co_await on_pool(
      m_pool, [&] { return m_store->create_run(activation.id, full, m_clock.wall()); });
  if (!run_id) {
    co_return run_id.error();
  }
  if (m_stopping) {  // began while the run was being recorded
    co_await cancel_waiting_run(*run_id, "the daemon stopped before the run started");
    co_return make_error(Errc::cancelled, "the daemon is shutting down; no new run is started");
  }
  if (force) {
    m_forced_runs.insert(*run_id);
  }
  m_run_triggers[*run_id] = trigger;
  switch (m_queue.submit(activation.name, *run_id)) {
    case RunQueue::Admission::start:
      start_runs({{activation.name, *run_id}});
      co_return RunTicket{*run_id, false};
    case RunQueue::Admission::wait:
      co_return RunTicket{*run_id, true};
    case RunQueue::Admission::coalesced:
      break;
  }
  // Another request queued a run while this one was being recorded.
  const std::int64_t joined = *m_queue.waiting_run(activation.name);
  m_run_triggers.erase(*run_id);
  if (m_forced_runs.erase(*run_id) > 0) {
    m_forced_runs.insert(joined);
  }
  co_await cancel_waiting_run(*run_id, "merged into run " + std::to_string(joined));
  co_return RunTicket{joined, true};
}

void Service::start_runs(const std::vector<RunQueue::Start>& starts) {
  for (const auto& start : starts) {
    ActiveRun& active = m_active[start.activation];
    active.run_id = start.run_id;
    active.started_at = m_clock.wall();
    asio::co_spawn(m_io, run_activation(start.activation, start.run_id), asio::detached);
  }
  publish_status();
}

asio::awaitable<void> Service::run_activation(std::string name, std::int64_t run_id) {
  std::optional<std::string> internal_error;
  std::optional<std::string> needs_attention;
  try {
    needs_attention = co_await run_one(name, run_id, m_active.at(name));
  } catch (const std::exception& e) {
    // A bug must not take the daemon down with every other activation.
    internal_error = std::string("internal error (please report): ") + e.what();
    spdlog::error("run {} of activation {}: {}", run_id, name, *internal_error);
  }
  if (internal_error) {
    (void)co_await on_pool(m_pool, [&] {
      return m_store->finish_run(run_id, store::RunStatus::failed, {}, m_clock.wall(),
                                 internal_error);
    });
  }
  wake_waiters(run_id);
  co_await note_run_health(name, needs_attention);
  m_active.erase(name);
  auto next = m_queue.finish(name);
  if (!m_stopping) {
    start_runs(next);
  }
  publish_status();
}

Result<Service::RunTools> Service::run_tools(const config::Activation& activation) {
  EMSYNC_TRY(config::check_references(activation, m_config));
  const config::SourceConfig& source = m_config.sources.at(activation.source);
  RunTools tools;
  tools.client = m_resources.clients.at(activation.destination);
  tools.source = make_source(source, m_resources.source_passwords[activation.source]);
  tools.query_options = {source.statement_timeout};
  tools.new_contacts_list_id = m_config.destinations.at(activation.destination).new_contacts_list_id;
  return tools;
}

asio::awaitable<std::optional<std::string>> Service::run_one(const std::string& name,
                                                             std::int64_t run_id,
                                                             const ActiveRun& active) {
  RunSummary summary;
  summary.run_id = run_id;
  summary.activation = name;
  summary.started_at = m_clock.wall();
  if (auto trigger = m_run_triggers.find(run_id); trigger != m_run_triggers.end()) {
    summary.trigger = trigger->second;
    m_run_triggers.erase(trigger);
  }
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
  auto definition = config::parse_activations((*activation)->definition);
  if (!definition) {
    co_return co_await fail(definition.error().message);
  }
  sync::RunRequest request{run_id, (*activation)->id, definition->front(), (*record)->full,
                           m_forced_runs.erase(run_id) > 0};
  // The run keeps what it started with, whatever a reload swaps in meanwhile.
  auto tools = run_tools(request.activation);
  if (!tools) {
    co_return co_await fail(tools.error().message);
  }
  m_active.at(name).client = tools->client;
  sync::RunEnvironment env{m_pool,         *m_store,
                           *tools->client, *tools->source,
                           tools->query_options, tools->new_contacts_list_id,
                           m_spool_dir,    active.cancel.get(),
                           active.progress.get(),
                           m_config.park_after_rejections,
                           m_config.rejected_row_keys == config::Config::RowKeys::hashed,
                           &summary.requests};
  summary.started_at = m_clock.wall();
  (void)co_await on_pool(m_pool, [&] { return m_store->start_run(run_id, summary.started_at); });
  m_plans.note_start(name, summary.started_at);  // intervals count from the latest start
  spdlog::info("run {} of activation {} started{}", run_id, name, request.full ? " (full)" : "");
  const sync::RunOutcome outcome = co_await sync::execute_run(request, env);
  summary.status = outcome.status;
  summary.counts = outcome.counts;
  summary.batches = outcome.batches;
  summary.error = outcome.error;
  summary.finished_at = m_clock.wall();
  co_await record_finish(summary);
  report_run(summary);
  co_return outcome.needs_attention ? outcome.error : std::nullopt;
}

asio::awaitable<void> Service::cancel_waiting_run(std::int64_t run_id, std::string reason) {
  m_forced_runs.erase(run_id);
  m_run_triggers.erase(run_id);
  auto finished = co_await on_pool(m_pool, [&] {
    return m_store->finish_run(run_id, store::RunStatus::cancelled, {}, m_clock.wall(), reason);
  });
  if (!finished) {
    spdlog::error("run {}: could not record it cancelled: {}", run_id, finished.error().message);
  }
  wake_waiters(run_id);
}

void Service::wake_waiters(std::int64_t run_id) {
  auto [first, last] = m_waiters.equal_range(run_id);
  for (auto it = first; it != last; ++it) {
    it->second->cancel();
  }
  m_waiters.erase(first, last);
}

asio::awaitable<Result<store::RunRecord>> Service::wait_for_run(std::int64_t run_id) {
  for (;;) {
    // Register before looking, so a run that ends meanwhile still wakes us.
    auto timer = std::make_shared<asio::steady_timer>(m_io, asio::steady_timer::time_point::max());
    m_waiters.emplace(run_id, timer);
    auto record = co_await on_pool(m_pool, [&] { return m_store->find_run(run_id); });
    const bool done = !record || !*record ||
                      ((*record)->status != store::RunStatus::queued &&
                       (*record)->status != store::RunStatus::running);
    if (done) {
      std::erase_if(m_waiters, [&](const auto& entry) { return entry.second == timer; });
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
