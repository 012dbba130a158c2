// Service schedules and lifecycle loops: the 1 s scheduler tick (which also
// pings the systemd watchdog), run history pruning, the shutdown drain, and
// the status line.
#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/blocking.hpp"
#include "core/notify.hpp"
#include "service/history_retention.hpp"
#include "service/service.hpp"

namespace emsync::service {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr auto k_prune_interval = std::chrono::hours(1);
// Bounds of one prune transaction: a few milliseconds of write lock.
constexpr int k_prune_max_runs = 500;
constexpr std::int64_t k_prune_max_rejections = 20000;

asio::awaitable<void> sleep_for(asio::io_context& io, std::chrono::steady_clock::duration d) {
  asio::steady_timer timer(io, d);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

}  // namespace

asio::awaitable<void> Service::refresh_plans() {
  auto activations = co_await on_pool(m_pool, [&] { return m_store->list_activations(); });
  if (!activations) {
    spdlog::error("cannot read the activations' schedules: {}", activations.error().message);
    co_return;
  }
  std::vector<SchedulePlans::Activation> plans;
  std::map<std::string, bool> known;
  for (const auto& record : *activations) {
    known[record.name] = record.paused || record.auto_paused_reason.has_value();
    if (!m_known_activations.contains(record.name)) {
      // The latest success among its recent runs (the staleness alert's
      // reference); none in that many runs is stale anyway.
      auto recent = co_await on_pool(m_pool, [&] { return m_store->list_runs(record.id, 200); });
      std::optional<UnixMillis> last_success;
      for (const auto& run : recent ? *recent : std::vector<store::RunRecord>{}) {
        if (run.status == store::RunStatus::succeeded && run.finished_at) {
          last_success = run.finished_at;
          break;
        }
      }
      m_metrics.add_activation(record.name, last_success);
    }
  }
  for (const auto& [name, paused] : m_known_activations) {
    if (!known.contains(name)) {
      m_metrics.remove_activation(name);
    }
  }
  m_known_activations = std::move(known);
  for (const auto& record : *activations) {
    if (!record.definition) {
      spdlog::warn("activation {} is not scheduled: {}", record.name, record.definition_error);
      continue;
    }
    auto parsed =
        schedule::parse_schedule(record.definition->schedule, record.definition->timezone);
    if (!parsed) {
      spdlog::warn("activation {} is not scheduled: {}", record.name, parsed.error().message);
      continue;
    }
    const bool paused = record.paused || record.auto_paused_reason;
    if (!SchedulePlans::is_planned(*parsed, paused)) {
      continue;
    }
    auto runs = co_await on_pool(m_pool, [&] { return m_store->list_runs(record.id, 1); });
    std::optional<UnixMillis> last_start;
    if (runs && !runs->empty()) {
      last_start = runs->front().started_at;
    }
    plans.push_back({record.name, std::move(*parsed), paused, last_start});
  }
  m_plans.replace(std::move(plans));
  publish_status();
}

std::string Service::activity_of(const std::string& name) const { return m_runs.activity(name); }

asio::awaitable<void> Service::schedule_loop() {
  co_await refresh_plans();
  const auto watchdog = notify::watchdog_interval();
  std::optional<Clock::SteadyTime> last_ping;
  while (!m_stopping) {
    // Pinging here proves the loop turns: a blocked event loop stops the pings.
    const auto now = m_clock.steady();
    m_health.tick();
    if (watchdog && (!last_ping || now - *last_ping >= *watchdog / 2)) {
      notify::watchdog();
      last_ping = now;
    }
    co_await check_state_db();
    // While degraded, due runs wait until the state DB can be written again.
    const auto due =
        m_health.degraded()
            ? std::nullopt
            : m_plans.take_due([this](const auto& name) { return activity_of(name) == "idle"; });
    if (due) {
      spdlog::info("activation {} is due ({})", due->activation, due->schedule_text);
      auto activation = co_await find_activation(due->activation);
      auto ticket = activation ? co_await request_run(*activation, Trigger::schedule,
                                                       sync::Scope::changes, sync::SafetyValve::enforce)
                               : Result<RunTicket>(activation.error());
      if (!ticket) {
        spdlog::warn("activation {}: scheduled run not started: {}", due->activation,
                     ticket.error().message);
      }
    }
    co_await sleep_for(m_io, seconds(1));
  }
}

asio::awaitable<void> Service::history_loop() {
  while (!m_stopping) {
    // run_history_days is read each time: reload may change it.
    if (auto before = prune_cutoff(m_clock, m_config.run_history_days)) {
      co_await prune_history(*before);
    }
    co_await sleep_for(m_io, k_prune_interval);
  }
}

asio::awaitable<void> Service::prune_history(UnixMillis finished_before) {
  store::PrunedRuns total;
  while (!m_stopping) {
    auto chunk = co_await on_pool(m_pool, [&] {
      return m_store->prune_runs(finished_before, k_prune_max_runs, k_prune_max_rejections);
    });
    if (!chunk) {
      spdlog::warn("run history: cannot prune the runs finished before {} (tried again in an "
                   "hour): {}",
                   format_rfc3339(finished_before), chunk.error().message);
      break;
    }
    total.runs += chunk->runs;
    total.rejections += chunk->rejections;
    if (chunk->runs == 0) {
      break;
    }
  }
  if (total.runs > 0) {
    spdlog::info("run history: pruned {} run(s) and {} rejected row(s) finished before {} "
                 "(run_history_days {})",
                 total.runs, total.rejections, format_rfc3339(finished_before),
                 m_config.run_history_days);
  }
}

asio::awaitable<void> Service::drain_then(std::vector<std::int64_t> withdrawn,
                                          std::function<void()> on_stopped) {
  for (const std::int64_t run_id : withdrawn) {
    co_await cancel_waiting_run(run_id, "the daemon stopped before the run started");
  }
  const auto deadline = m_clock.steady() + m_config.shutdown_timeout;
  while ((m_runs.running_count() > 0 || m_previews > 0) && m_clock.steady() < deadline) {
    co_await sleep_for(m_io, milliseconds(50));
  }
  std::vector<std::pair<std::string, std::int64_t>> unfinished;  // m_runs changes while awaiting
  for (const Run* run : m_runs.running_runs()) {
    unfinished.emplace_back(run->activation, run->id);
  }
  m_abandoned_runs = !unfinished.empty();
  for (const auto& [name, run_id] : unfinished) {
    spdlog::error(
        "run {} of activation {} did not reach a batch boundary within {} s; stopping "
        "anyway (contacts Emarsys had not acknowledged are sent again next run)",
        run_id, name, m_config.shutdown_timeout.count());
    auto recorded = co_await on_pool(m_pool, [&] {
      return m_store->finish_run(run_id, store::RunStatus::cancelled, {}, m_clock.wall(),
                                 std::string("the daemon stopped during the run"));
    });
    if (!recorded) {
      spdlog::error("run {} of activation {}: could not record it cancelled (marked "
                    "interrupted at the next start): {}",
                    run_id, name, recorded.error().message);
    }
  }
  on_stopped();
}

std::string Service::status_line() const {
  const auto running = m_runs.running_runs();
  std::string line = std::to_string(m_plans.size()) + " scheduled activation(s), " +
                     std::to_string(running.size()) + " running, " +
                     std::to_string(m_runs.waiting_count()) + " queued";
  if (!running.empty()) {
    line += ":";
    for (const Run* run : running) {
      line += " " + run->activation;
    }
  }
  return line;
}

void Service::publish_status() const { notify::status(status_line()); }

}  // namespace emsync::service
