#include "sync/safety_valve.hpp"

namespace emsync::sync {

namespace {

constexpr const char* k_how_to_force =
    "; if this is intended, run it with `emsyncctl run NAME --force`";

// Clearing more than max_clear_percent of the known contacts (at least one).
bool over_clear_limit(const ValveFacts& facts, std::int64_t clearing) {
  return clearing > 0 && clearing * 100 > facts.known_contacts * facts.max_clear_percent;
}

}  // namespace

std::optional<std::string> volume_stop(const ValveFacts& facts) {
  if (facts.known_contacts < k_min_known_contacts) {
    return std::nullopt;
  }
  const std::string known = std::to_string(facts.known_contacts);
  if (facts.model_contacts == 0) {
    return "safety valve: the model returned no contact (" + std::to_string(facts.model_rows) +
           " rows) while " + known + " contacts are known; nothing was sent" + k_how_to_force;
  }
  if (facts.last_success_rows && facts.model_rows * 2 < *facts.last_success_rows) {
    return "safety valve: the model returned " + std::to_string(facts.model_rows) +
           " rows, under half the " + std::to_string(*facts.last_success_rows) +
           " of the last successful run; nothing was sent" + k_how_to_force;
  }
  return std::nullopt;
}

bool may_clear_too_many(const ValveFacts& facts, std::int64_t candidates) {
  return over_clear_limit(facts, candidates);
}

std::optional<std::string> clearing_stop(const ValveFacts& facts, std::int64_t clearing) {
  if (!over_clear_limit(facts, clearing)) {
    return std::nullopt;
  }
  return "safety valve: the run would clear a field on " + std::to_string(clearing) + " of " +
         std::to_string(facts.known_contacts) + " known contacts (over max_clear_percent " +
         std::to_string(facts.max_clear_percent) + "%); nothing was sent" + k_how_to_force;
}

std::optional<std::string> removal_stop(std::int64_t managed, std::int64_t leaving,
                                        int max_remove_percent) {
  if (leaving == 0 || leaving * 100 <= managed * max_remove_percent) {
    return std::nullopt;
  }
  return "safety valve: the run would remove " + std::to_string(leaving) + " of the " +
         std::to_string(managed) + " list members emsync added (over max_remove_percent " +
         std::to_string(max_remove_percent) + "%); nothing was sent" + k_how_to_force;
}

}  // namespace emsync::sync
