#include "service/run_queue.hpp"

#include <algorithm>
#include <iterator>

namespace emsync::service {

RunQueue::RunQueue(std::size_t max_concurrent)
    : m_max_concurrent(std::max<std::size_t>(max_concurrent, 1)) {}

std::optional<std::int64_t> RunQueue::waiting_run(const std::string& activation) const {
  auto it = std::find_if(m_waiting.begin(), m_waiting.end(),
                         [&](const Start& s) { return s.activation == activation; });
  if (it == m_waiting.end()) {
    return std::nullopt;
  }
  return it->run_id;
}

std::optional<std::int64_t> RunQueue::running_run(const std::string& activation) const {
  auto it = m_running.find(activation);
  if (it == m_running.end()) {
    return std::nullopt;
  }
  return it->second;
}

RunQueue::Admission RunQueue::submit(const std::string& activation, std::int64_t run_id) {
  if (waiting_run(activation)) {
    return Admission::coalesced;
  }
  m_waiting.push_back({activation, run_id});
  const auto started = start_what_fits();
  const bool now = std::any_of(started.begin(), started.end(),
                               [&](const Start& s) { return s.run_id == run_id; });
  // Only this request can have become startable: before it, everything that
  // fitted had started.
  return now ? Admission::start : Admission::wait;
}

std::vector<RunQueue::Start> RunQueue::finish(const std::string& activation) {
  m_running.erase(activation);
  return start_what_fits();
}

std::optional<std::int64_t> RunQueue::withdraw(const std::string& activation) {
  auto id = waiting_run(activation);
  std::erase_if(m_waiting, [&](const Start& s) { return s.activation == activation; });
  return id;
}

std::vector<RunQueue::Start> RunQueue::withdraw_all() {
  std::vector<Start> withdrawn(std::make_move_iterator(m_waiting.begin()),
                               std::make_move_iterator(m_waiting.end()));
  m_waiting.clear();
  return withdrawn;
}

std::vector<RunQueue::Start> RunQueue::set_max_concurrent(std::size_t max_concurrent) {
  m_max_concurrent = std::max<std::size_t>(max_concurrent, 1);
  return start_what_fits();
}

std::vector<RunQueue::Start> RunQueue::start_what_fits() {
  std::vector<Start> started;
  for (auto it = m_waiting.begin(); it != m_waiting.end() && m_running.size() < m_max_concurrent;) {
    if (m_running.contains(it->activation)) {
      ++it;
      continue;
    }
    m_running.emplace(it->activation, it->run_id);
    started.push_back(std::move(*it));
    it = m_waiting.erase(it);
  }
  return started;
}

}  // namespace emsync::service
