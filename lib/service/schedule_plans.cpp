#include "service/schedule_plans.hpp"

namespace emsync::service {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

schedule::TimePoint to_time_point(UnixMillis t) {
  return schedule::TimePoint{duration_cast<seconds>(milliseconds(t))};
}

}  // namespace

SchedulePlans::SchedulePlans(const Clock& clock) : m_clock(clock) {}

bool SchedulePlans::is_planned(const schedule::Schedule& schedule, bool paused) {
  return schedule.kind != schedule::Kind::manual && !paused;
}

void SchedulePlans::replace(std::vector<Activation> activations) {
  m_plans.clear();
  for (auto& activation : activations) {
    if (is_planned(activation.schedule, activation.paused)) {
      m_plans.emplace(std::move(activation.name),
                      Plan{std::move(activation.schedule), activation.last_start});
    }
  }
}

std::optional<UnixMillis> SchedulePlans::next_run(const std::string& activation) const {
  const auto plan = m_plans.find(activation);
  if (plan == m_plans.end()) {
    return std::nullopt;
  }
  return next_run(plan->second, m_clock.wall());
}

std::optional<UnixMillis> SchedulePlans::next_run(const Plan& plan, UnixMillis now) const {
  std::optional<schedule::TimePoint> last;
  if (plan.last_start) {
    last = to_time_point(*plan.last_start);
  }
  const auto due = schedule::next_run(plan.schedule, last, to_time_point(now));
  if (!due) {
    return std::nullopt;
  }
  return duration_cast<milliseconds>(due->time_since_epoch()).count();
}

std::optional<SchedulePlans::Due> SchedulePlans::take_due(
    const std::function<bool(const std::string&)>& is_idle) {
  const UnixMillis now = m_clock.wall();
  for (auto& [name, plan] : m_plans) {
    if (!is_idle(name)) {
      continue;  // due while running: once idle, the missed time makes it due
    }
    const auto due = next_run(plan, now);
    if (due && *due <= now) {
      plan.last_start = now;
      return Due{name, plan.schedule.text};
    }
  }
  return std::nullopt;
}

void SchedulePlans::note_start(const std::string& activation, UnixMillis at) {
  if (auto plan = m_plans.find(activation); plan != m_plans.end()) {
    plan->second.last_start = at;
  }
}

}  // namespace emsync::service
