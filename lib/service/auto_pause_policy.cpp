#include "service/auto_pause_policy.hpp"

#include <algorithm>

namespace emsync::service {

std::optional<std::string> auto_pause_reason(int failure_streak, int limit,
                                             const std::optional<std::string>& needs_attention) {
  if (!needs_attention || failure_streak < limit) {
    return std::nullopt;
  }
  return std::to_string(failure_streak) + " runs in a row failed; last error: " + *needs_attention;
}

AutoResumeRounds::AutoResumeRounds(const Clock& clock)
    : m_clock(clock), m_last_round(clock.steady()) {}

std::chrono::milliseconds AutoResumeRounds::until_due(std::chrono::seconds interval) const {
  const auto left = m_last_round + interval - m_clock.steady();
  return std::max(std::chrono::milliseconds(0), std::chrono::ceil<std::chrono::milliseconds>(left));
}

void AutoResumeRounds::round_done() { m_last_round = m_clock.steady(); }

bool AutoResumeRounds::needs_check(const store::ActivationRecord& record, bool running) {
  return record.auto_paused_reason.has_value() && !running;
}

}  // namespace emsync::service
