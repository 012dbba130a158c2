#include "service/run_registry.hpp"

#include <algorithm>

#include "sync/run.hpp"

namespace emsync::service {

namespace {

// The run of `activation` in `state` (Run* or const Run*), or nullptr.
template <typename Runs>
auto find_in(Runs& runs, Run::State state, const std::string& activation)
    -> decltype(&runs.begin()->second) {
  for (auto& [id, run] : runs) {
    if (run.state == state && run.activation == activation) {
      return &run;
    }
  }
  return nullptr;
}

}  // namespace

RunRegistry::RunRegistry(std::size_t max_concurrent)
    : m_max_concurrent(std::max<std::size_t>(max_concurrent, 1)) {}

const Run* RunRegistry::find(std::int64_t run_id) const {
  auto it = m_runs.find(run_id);
  return it == m_runs.end() ? nullptr : &it->second;
}

const Run* RunRegistry::waiting(const std::string& activation) const {
  return find_in(m_runs, Run::State::waiting, activation);
}

const Run* RunRegistry::running(const std::string& activation) const {
  return find_in(m_runs, Run::State::running, activation);
}

std::vector<const Run*> RunRegistry::running_runs() const {
  std::vector<const Run*> runs;
  for (const auto& [id, run] : m_runs) {
    if (run.state == Run::State::running) {
      runs.push_back(&run);
    }
  }
  std::sort(runs.begin(), runs.end(),
            [](const Run* a, const Run* b) { return a->activation < b->activation; });
  return runs;
}

std::size_t RunRegistry::running_count() const {
  return static_cast<std::size_t>(std::count_if(m_runs.begin(), m_runs.end(), [](const auto& e) {
    return e.second.state == Run::State::running;
  }));
}

const char* RunRegistry::activity(const std::string& activation) const {
  return running(activation) ? "running" : waiting(activation) ? "queued" : "idle";
}

std::optional<std::int64_t> RunRegistry::join(const std::string& activation,
                                              sync::SafetyValve valve) {
  Run* joined = find_in(m_runs, Run::State::waiting, activation);
  if (!joined) {
    return std::nullopt;
  }
  if (valve == sync::SafetyValve::bypass) {
    joined->safety_valve = sync::SafetyValve::bypass;
  }
  return joined->id;
}

RunRegistry::Queued RunRegistry::queue(RunOrder order, UnixMillis now) {
  if (auto joined = join(order.activation, order.safety_valve)) {
    return {Admission::coalesced, *joined};
  }
  const std::int64_t id = order.id;
  Run run;
  static_cast<RunOrder&>(run) = std::move(order);
  run.cancel = std::make_shared<std::atomic<bool>>(false);
  run.progress = std::make_shared<sync::RunProgress>();
  m_runs.emplace(id, std::move(run));
  m_waiting.push_back(id);
  // Only this run can have become startable: before it, everything that
  // fitted had started.
  const bool now_running = !start_what_fits(now).empty();
  return {now_running ? Admission::start : Admission::wait, id};
}

void RunRegistry::set_client(std::int64_t run_id, std::shared_ptr<emarsys::Client> client) {
  if (auto it = m_runs.find(run_id);
      it != m_runs.end() && it->second.state == Run::State::running) {
    it->second.client = std::move(client);
  }
}

RunRegistry::Cancelled RunRegistry::cancel(const std::string& activation) {
  Cancelled cancelled;
  if (Run* waiting = find_in(m_runs, Run::State::waiting, activation)) {
    waiting->state = Run::State::withdrawn;
    std::erase(m_waiting, waiting->id);
    cancelled.withdrawn = waiting->id;
  }
  if (Run* running = find_in(m_runs, Run::State::running, activation)) {
    running->cancel->store(true);
    cancelled.running = running->id;
  }
  return cancelled;
}

std::vector<std::int64_t> RunRegistry::cancel_all() {
  std::vector<std::int64_t> withdrawn(m_waiting.begin(), m_waiting.end());
  m_waiting.clear();
  for (auto& [id, run] : m_runs) {
    if (run.state == Run::State::waiting) {
      run.state = Run::State::withdrawn;
    } else if (run.state == Run::State::running) {
      run.cancel->store(true);
    }
  }
  return withdrawn;
}

std::vector<std::int64_t> RunRegistry::finish(std::int64_t run_id, UnixMillis now) {
  auto it = m_runs.find(run_id);
  if (it == m_runs.end()) {
    return {};
  }
  Run ended = std::move(it->second);
  m_runs.erase(it);
  std::erase(m_waiting, run_id);  // a waiting run finished without starting
  auto started = start_what_fits(now);
  for (auto& [id, wake] : ended.waiters) {
    wake();
  }
  return started;
}

std::vector<std::int64_t> RunRegistry::set_max_concurrent(std::size_t max_concurrent,
                                                          UnixMillis now) {
  m_max_concurrent = std::max<std::size_t>(max_concurrent, 1);
  return start_what_fits(now);
}

std::optional<Run::WaiterId> RunRegistry::add_waiter(std::int64_t run_id,
                                                     std::function<void()> wake) {
  auto it = m_runs.find(run_id);
  if (it == m_runs.end()) {
    return std::nullopt;
  }
  const Run::WaiterId waiter = m_next_waiter++;
  it->second.waiters.emplace(waiter, std::move(wake));
  return waiter;
}

void RunRegistry::remove_waiter(std::int64_t run_id, Run::WaiterId waiter) {
  if (auto it = m_runs.find(run_id); it != m_runs.end()) {
    it->second.waiters.erase(waiter);
  }
}

std::vector<std::int64_t> RunRegistry::start_what_fits(UnixMillis now) {
  std::vector<std::int64_t> started;
  std::size_t running = running_count();
  for (auto it = m_waiting.begin(); it != m_waiting.end() && running < m_max_concurrent;) {
    Run& run = m_runs.at(*it);
    if (find_in(m_runs, Run::State::running, run.activation)) {
      ++it;
      continue;
    }
    run.state = Run::State::running;
    run.started_at = now;
    ++running;
    started.push_back(run.id);
    it = m_waiting.erase(it);
  }
  return started;
}

}  // namespace emsync::service
