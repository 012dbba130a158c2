#include "service/state_db_health.hpp"

namespace emsync::service {

StateDbHealth::StateDbHealth(const Clock& clock) : m_clock(clock), m_last_tick(clock.steady()) {}

void StateDbHealth::tick() { m_last_tick = m_clock.steady(); }

bool StateDbHealth::begin_probe() {
  const auto now = m_clock.steady();
  if (!m_degraded && m_last_probe && now - *m_last_probe < k_probe_interval) {
    return false;
  }
  m_last_probe = now;
  return true;
}

void StateDbHealth::probe_soon() { m_last_probe.reset(); }

bool StateDbHealth::probe_failed(std::string reason) {
  const bool entered = !m_degraded;
  m_degraded = std::move(reason);
  return entered;
}

StateDbHealth::Passed StateDbHealth::probe_passed() {
  Passed passed{std::exchange(m_degraded, std::nullopt), std::move(m_unrecorded)};
  m_unrecorded.clear();
  return passed;
}

void StateDbHealth::keep_unrecorded(RunSummary run) {
  m_unrecorded.push_back(std::move(run));
  probe_soon();
}

std::optional<Error> StateDbHealth::refusal() const {
  if (!m_degraded) {
    return std::nullopt;
  }
  return make_error(Errc::state_error,
                    "no run starts while the daemon is degraded: " + *m_degraded +
                        ". Runs start again by themselves once the state DB "
                        "can be written.");
}

metrics::Health StateDbHealth::health(bool stopping) const {
  if (m_degraded) {
    return {false, "degraded: " + *m_degraded};
  }
  const auto since_tick = m_clock.steady() - m_last_tick;
  if (since_tick > k_stalled_loop && !stopping) {
    return {false, "the scheduler loop has not turned for " +
                       std::to_string(
                           std::chrono::duration_cast<std::chrono::seconds>(since_tick).count()) +
                       " s"};
  }
  return {true, {}};
}

}  // namespace emsync::service
